r"""Accuracy, per-class precision/recall and a confusion matrix for a run.

  python -m trainers.evaluate --model=WORKDIR --data_dir=DATA_DIR \
      --split=test [--out=confusion.png]
"""

from __future__ import annotations

from collections.abc import Sequence
import pathlib

from absl import app
from absl import flags
import keras
import numpy as np
import tensorflow as tf

import asl_pipeline
from trainers import introspect
from trainers import plots

_MODEL = flags.DEFINE_string("model", None, "Training WORKDIR.", required=True)
_DATA_DIR = flags.DEFINE_string("data_dir", None, "TFDS data directory.")
_SPLIT = flags.DEFINE_string("split", "test", "TFDS split to evaluate.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 256, "Batch size.",
                                   lower_bound=1)
_OUT = flags.DEFINE_string("out", None, "Confusion-matrix PNG; default "
                           "WORKDIR/confusion_<split>.png.")


def confusion_matrix(model: keras.Model, dataset: tf.data.Dataset,
                     num_classes: int) -> np.ndarray:
  """Counts [true class, predicted class] over a finite dataset."""
  matrix = np.zeros((num_classes, num_classes), np.int64)
  predict = tf.function(lambda x: tf.argmax(model(x, training=False), -1),
                        reduce_retracing=True)
  for images, labels in dataset:
    np.add.at(matrix, (labels.numpy(), predict(images).numpy()), 1)
  return matrix


def report(matrix: np.ndarray, class_names: Sequence[str]) -> str:
  """Accuracy plus a precision/recall/support table, one row per class."""
  hits = np.diag(matrix).astype(np.float64)
  predicted, support = matrix.sum(axis=0), matrix.sum(axis=1)
  with np.errstate(invalid="ignore", divide="ignore"):
    precision, recall = hits / predicted, hits / support
  lines = [f"accuracy {hits.sum() / max(matrix.sum(), 1):.4f} "
           f"({int(hits.sum())}/{int(matrix.sum())})",
           f"{'class':>8} {'precision':>9} {'recall':>7} {'support':>8}"]
  for i, name in enumerate(class_names):
    p = "-" if np.isnan(precision[i]) else f"{precision[i]:.3f}"
    r = "-" if np.isnan(recall[i]) else f"{recall[i]:.3f}"
    lines.append(f"{name:>8} {p:>9} {r:>7} {int(support[i]):>8}")
  return "\n".join(lines)


def main(argv: Sequence[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  try:
    model, config = introspect.load_run(_MODEL.value)
  except FileNotFoundError as e:
    raise app.UsageError(f"--model: {e}") from None
  data_dir = _DATA_DIR.value or config.data_dir
  info = asl_pipeline.info(config.dataset, data_dir)
  dataset = asl_pipeline.eval_dataset(
      config.dataset, batch_size=_BATCH_SIZE.value, split=_SPLIT.value,
      data_dir=data_dir, image_size=config.image_size)
  matrix = confusion_matrix(model, dataset, info.num_classes)
  print(f"{config.dataset} {_SPLIT.value}, model {_MODEL.value}")
  print(report(matrix, info.class_names))
  out = pathlib.Path(_OUT.value or pathlib.Path(_MODEL.value) /
                     f"confusion_{_SPLIT.value.replace('/', '_')}.png")
  plots.plot_confusion(matrix, info.class_names, out,
                       f"{config.dataset} {_SPLIT.value}")
  print(f"Confusion matrix: {out}")


if __name__ == "__main__":
  app.run(main)
