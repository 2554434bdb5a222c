"""The examples a model gets wrong most confidently.

A confident mistake is worth a look: the model may have learned something
wrong, or the example's label may be. The ranking is by the probability the
model gives its (wrong) prediction, highest first; ties keep reading order.
One pass over the data gives both the confusion matrix and the mistakes,
keeping only the images of the current top N.
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
import pathlib
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from trainers.analysis import example_keys
from trainers.run_dir import grids

DEFAULT_COUNT = 16


@dataclasses.dataclass(frozen=True)
class Mistake:
  """One wrongly classified example.

  Attributes:
    tfds_id: Its TFDS id.
    label: The class its label gives.
    predicted: The class the model chose.
    probability: The model's probability of `predicted`.
    label_probability: The model's probability of `label`.
    image: The model's input, [H, W, C] floats in [0, 1].
    key: What people know it by (photo file, `FILE:LINE`), or its id.
  """

  tfds_id: str
  label: int
  predicted: int
  probability: float
  label_probability: float
  image: np.ndarray = dataclasses.field(repr=False, compare=False)
  key: str = ""


def most_confident(probabilities: np.ndarray, labels: np.ndarray,
                   count: int) -> np.ndarray:
  """Indices of the `count` most confidently wrong rows, most first.

  Args:
    probabilities: [n, classes] predicted class probabilities.
    labels: [n] true classes.
    count: How many to return at most.

  Returns:
    Row indices where argmax differs from the label, ordered by the
    probability of the predicted class, highest first; equal
    probabilities in row order.
  """
  probabilities, labels = np.asarray(probabilities), np.asarray(labels)
  predicted = probabilities.argmax(axis=-1)
  wrong = np.flatnonzero(predicted != labels)
  confidence = probabilities[wrong, predicted[wrong]]
  # A stable sort on the negated confidence keeps row order within ties.
  order = np.argsort(-confidence, kind="stable")
  return wrong[order[:max(0, count)]]


class _TopMistakes:
  """The `count` most confident mistakes of a stream of batches."""

  def __init__(self, count: int):
    self.count = count
    self.kept: list[Mistake] = []

  def add(self, images, labels, probabilities, ids) -> None:
    if not self.count:
      return
    chosen = most_confident(probabilities, labels, self.count)
    batch = [Mistake(ids[i].decode() if isinstance(ids[i], bytes)
                     else str(ids[i]), int(labels[i]),
                     int(probabilities[i].argmax()),
                     float(probabilities[i].max()),
                     float(probabilities[i, labels[i]]), images[i])
             for i in chosen]
    # Kept ones first: a tie keeps the example read first.
    merged = self.kept + batch
    order = sorted(range(len(merged)),
                   key=lambda j: (-merged[j].probability, j))
    self.kept = [merged[j] for j in order[:self.count]]


def scan(model, dataset: tf.data.Dataset, num_classes: int,
         count: int = DEFAULT_COUNT) -> tuple[np.ndarray, list[Mistake]]:
  """The confusion matrix and the most confident mistakes, in one pass.

  Args:
    model: A Keras model that outputs class probabilities, or a
      `trainers.analysis.backends.Backend` (a LiteRT model).
    dataset: Finite `(images, labels, ids)` batches
      (`asl_pipeline.eval_dataset(..., with_ids=True)`).
    num_classes: Classes of the matrix.
    count: Mistakes to keep; 0 keeps none.

  Returns:
    `(matrix, mistakes)`: [true, predicted] counts, and up to `count`
    mistakes, most confident first (their `key` still unset).
  """
  matrix = np.zeros((num_classes, num_classes), np.int64)
  if isinstance(model, keras.Model):
    predict = tf.function(lambda x: model(x, training=False),
                          reduce_retracing=True)
  else:
    # A Backend takes uint8: the pipeline scaled them by 1/255, rounding
    # gives them back (as `evaluation.confusion_matrix` does).
    predict = lambda x: model.predict_probabilities(tf.cast(
        tf.round(x * 255.0), tf.uint8).numpy())
  top = _TopMistakes(count)
  for images, labels, ids in dataset:
    probabilities = np.asarray(predict(images), np.float64)
    labels = labels.numpy()
    np.add.at(matrix, (labels, probabilities.argmax(-1)), 1)
    top.add(images.numpy(), labels, probabilities, ids.numpy())
  return matrix, top.kept


def with_keys(mistakes: Sequence[Mistake],
              keys: dict[str, str]) -> list[Mistake]:
  """The mistakes with their keys filled in from `{tfds_id: key}`."""
  return [dataclasses.replace(m, key=keys.get(m.tfds_id, m.tfds_id))
          for m in mistakes]


def named(mistakes: Sequence[Mistake], dataset: str,
          data_dir: str | None) -> list[Mistake]:
  """The mistakes with the keys `example_keys` finds in their dataset."""
  return with_keys(mistakes, example_keys.keys(
      dataset, data_dir, [m.tfds_id for m in mistakes]))


def as_json(mistakes: Sequence[Mistake],
            class_names: Sequence[str]) -> list[dict[str, Any]]:
  """The mistakes as JSON-able rows, in rank order (images left out)."""
  return [{"rank": rank, "key": m.key or m.tfds_id, "tfds_id": m.tfds_id,
           "label": str(class_names[m.label]),
           "predicted": str(class_names[m.predicted]),
           "probability": round(m.probability, 6),
           "label_probability": round(m.label_probability, 6)}
          for rank, m in enumerate(mistakes, 1)]


def plot(mistakes: Sequence[Mistake], class_names: Sequence[str],
         path: str | pathlib.Path, title: str) -> pathlib.Path:
  """The mistakes as a grid: image, key, true and predicted class.

  Args:
    mistakes: From `scan`, with keys.
    class_names: Names of the classes, in index order.
    path: Output PNG.
    title: The figure's title.

  Returns:
    The PNG path.
  """
  captions = [f"{m.key or m.tfds_id}\ntrue {class_names[m.label]}, "
              f"predicted {class_names[m.predicted]} {m.probability:.0%}"
              for m in mistakes]
  return grids.plot_image_grid([m.image for m in mistakes], captions, path,
                               title)
