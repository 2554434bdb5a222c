r"""Accuracy, per-class precision/recall and a confusion matrix for a run.

  python -m trainers.evaluate --model=WORKDIR --data_dir=DATA_DIR \
      --split=test [--out=confusion.png]
"""

from __future__ import annotations

from collections.abc import Sequence
import pathlib

from absl import app
from absl import flags

from tfds_builders.common import console

if __name__ == "__main__":
  # First, before anything loads TensorFlow (see tfds_builders/common/console.py).
  console.quiet()

# pylint: disable=g-import-not-at-top,wrong-import-position
import asl_pipeline
from trainers.analysis import evaluation
from trainers.run_dir import plots
from trainers.run_dir import workdir as workdir_lib

_MODEL = flags.DEFINE_string("model", None, "Training WORKDIR.", required=True)
_DATA_DIR = flags.DEFINE_string("data_dir", None, "TFDS data directory.")
_SPLIT = flags.DEFINE_string("split", "test", "TFDS split to evaluate.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 256, "Batch size.",
                                   lower_bound=1)
_OUT = flags.DEFINE_string("out", None, "Confusion-matrix PNG; default "
                           "WORKDIR/confusion_<split>.png.")


def main(argv: Sequence[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  try:
    run = workdir_lib.load_run(_MODEL.value)
    model, config = run.load_model(), run.config
  except FileNotFoundError as e:
    raise app.UsageError(f"--model: {e}") from None
  data_dir = _DATA_DIR.value or config.data_dir
  info = asl_pipeline.info(config.dataset, data_dir)
  dataset = asl_pipeline.eval_dataset(
      config.dataset, batch_size=_BATCH_SIZE.value, split=_SPLIT.value,
      data_dir=data_dir, image_size=config.image_size)
  matrix = evaluation.confusion_matrix(model, dataset, info.num_classes)
  print(f"{config.dataset} {_SPLIT.value}, model {_MODEL.value}")
  print(evaluation.report(matrix, info.class_names))
  out = pathlib.Path(_OUT.value or workdir_lib.confusion_png(_MODEL.value,
                                                            _SPLIT.value))
  plots.plot_confusion(matrix, info.class_names, out,
                       f"{config.dataset} {_SPLIT.value}")
  print(f"Confusion matrix: {out}")


if __name__ == "__main__":
  app.run(main)
