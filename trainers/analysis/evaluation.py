"""Confusion matrices and per-class precision, recall and F1.

The numbers follow scikit-learn's `classification_report` (with
`zero_division=0` in the averages), so they can be checked against it: a
class's F1 is `2 tp / (2 tp + fp + fn)`; the macro average weighs every
class that was present or predicted equally, the weighted average weighs
classes by their support. A value with no examples behind it (the precision
of a class never predicted, the recall of a class never present) is None
per class, and counts as 0 in the averages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import dataclasses
from typing import Any

import keras
import numpy as np
import tensorflow as tf

# Rows of the report below the classes, in this order.
AVERAGES = ("macro avg", "weighted avg")


def evaluation_set(config, split: str | None = None, with_ids: bool = False
                   ) -> tuple[str, tf.data.Dataset]:
  """The examples to evaluate a run on, and their name.

  Args:
    config: The run's `Config` (its dataset, image size, data directory and
      eval batch size are used).
    split: A TFDS split string; None takes the run's own test split, else
      its validation examples (which may be a part held out of the
      training split), the same ones the run was tested or validated on.
    with_ids: Batches of `(images, labels, ids)`, ids the TFDS ids.

  Returns:
    `(name, dataset)`: "test", "validation" or `split`, and one pass of
    `(images, labels)` batches (with `ids` if asked).
  """
  # pylint: disable=g-import-not-at-top
  import asl_pipeline
  from trainers.training import data as data_lib
  # pylint: enable=g-import-not-at-top
  if split:
    return split, asl_pipeline.eval_dataset(
        config.dataset, batch_size=config.eval_batch_size, split=split,
        data_dir=config.data_dir, image_size=config.image_size,
        with_ids=with_ids)
  # What is left out of training changes no validation or test example:
  # skip finding it (a --drop_label_issues file may have moved since).
  spec = data_lib.DataSpec.create(dataclasses.replace(
      config, drop_cross_split_duplicates=False, drop_label_issues=None,
      holdout_fold=""), announce=False)
  if spec.test_split:
    return spec.test_split, spec.test(with_ids)
  if spec.validation_split:
    print("No test split: evaluating the run's validation examples.")
    return "validation", spec.validation(with_ids)
  raise ValueError("the run has neither a test nor a validation split; "
                   "name one with --split.")


def confusion_matrix(model, dataset: tf.data.Dataset,
                     num_classes: int) -> np.ndarray:
  """Counts [true class, predicted class] over a finite dataset.

  Args:
    model: A Keras model (fed the float batches as they are), or a
      `trainers.analysis.backends.Backend` such as a LiteRT model (fed the
      same pixels as uint8, what it takes).
    dataset: `(images, labels)` batches, float32 images in [0, 1] decoded
      from uint8.
    num_classes: The matrix's size.
  """
  matrix = np.zeros((num_classes, num_classes), np.int64)
  if isinstance(model, keras.Model):
    predict = tf.function(lambda x: tf.argmax(model(x, training=False), -1),
                          reduce_retracing=True)
  else:
    # The pipeline scaled uint8 pixels by 1/255: rounding gives them back.
    predict = lambda x: model.predict_probabilities(tf.cast(
        tf.round(x * 255.0), tf.uint8).numpy()).argmax(-1)
  for images, labels in dataset:
    np.add.at(matrix, (labels.numpy(), np.asarray(predict(images))), 1)
  return matrix


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
  """numerator / denominator, NaN where the denominator is 0."""
  with np.errstate(invalid="ignore", divide="ignore"):
    return np.where(denominator > 0, numerator / denominator, np.nan)


def _number(value) -> float | None:
  """A JSON number: a Python float, or None for an undefined value."""
  return None if np.isnan(value) else float(value)


def _check(matrix: np.ndarray, class_names: Sequence[str]) -> np.ndarray:
  matrix = np.asarray(matrix)
  if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
    raise ValueError(f"matrix must be square, got shape {matrix.shape}.")
  if len(class_names) != len(matrix):
    raise ValueError(f"class_names has {len(class_names)} names for a "
                     f"{len(matrix)}-class matrix.")
  return matrix


def scores(matrix: np.ndarray, class_names: Sequence[str]) -> dict[str, Any]:
  """Accuracy, per-class precision/recall/F1 and their averages, JSON-able.

  Args:
    matrix: [classes, classes] counts, rows true classes, columns
      predictions (as `confusion_matrix` returns).
    class_names: Name of each class, in index order.

  Returns:
    `{"accuracy", "correct", "total", "classes": {name: {"precision",
    "recall", "f1", "support"}}, "macro avg": {...}, "weighted avg": {...},
    "confusion_matrix": [[...]]}`: plain floats and ints, None where a value
    is undefined (see the module's docstring), ready for `json.dump`.

  Raises:
    ValueError: the matrix is not square or does not match `class_names`.
  """
  matrix = _check(matrix, class_names)
  hits = np.diag(matrix).astype(np.float64)
  predicted, support = matrix.sum(axis=0), matrix.sum(axis=1)
  precision, recall = _ratio(hits, predicted), _ratio(hits, support)
  f1 = _ratio(2 * hits, predicted + support)
  total = int(matrix.sum())
  result = {
      "accuracy": float(hits.sum() / total) if total else None,
      "correct": int(hits.sum()), "total": total,
      "classes": {
          str(name): {"precision": _number(precision[i]),
                      "recall": _number(recall[i]), "f1": _number(f1[i]),
                      "support": int(support[i])}
          for i, name in enumerate(class_names)},
  }
  # The classes scikit-learn averages over: those present or predicted.
  seen = (support + predicted) > 0
  values = {"precision": precision, "recall": recall, "f1": f1}
  for average, weights in zip(AVERAGES, (seen.astype(np.float64), support)):
    result[average] = {
        key: (float(np.average(np.nan_to_num(value), weights=weights))
              if weights.sum() else None)
        for key, value in values.items()}
    result[average]["support"] = total
  result["confusion_matrix"] = matrix.astype(int).tolist()
  return result


def _cell(value: float | None) -> str:
  return "-" if value is None else f"{value:.3f}"


def format_scores(result: Mapping[str, Any]) -> str:
  """`scores(...)` as a table, one row per class, then the averages.

  The class column is as wide as the longest name, names right-aligned,
  so the numbers line up whatever the names.

  Args:
    result: What `scores` returns.

  Returns:
    The text, first line `accuracy A (correct/total)`.
  """
  accuracy = result["accuracy"]
  lines = [f"accuracy {accuracy or 0.0:.4f} "
           f"({result['correct']}/{result['total']})", ""]
  width = max([len("class"), *map(len, AVERAGES),
               *map(len, result["classes"])])
  header = ("class", "precision", "recall", "f1", "support")
  lines.append(f"{header[0]:>{width}}  {header[1]:>9}  {header[2]:>9}  "
               f"{header[3]:>9}  {header[4]:>9}")

  def row(name: str, values: Mapping[str, Any]) -> str:
    return (f"{name:>{width}}  {_cell(values['precision']):>9}  "
            f"{_cell(values['recall']):>9}  {_cell(values['f1']):>9}  "
            f"{values['support']:>9}")

  lines.extend(row(name, values) for name, values in result["classes"].items())
  lines.append("")
  lines.extend(row(average, result[average]) for average in AVERAGES)
  return "\n".join(lines)


def report(matrix: np.ndarray, class_names: Sequence[str]) -> str:
  """Accuracy and the precision/recall/F1/support table, as text.

  Args:
    matrix: [classes, classes] counts, as `confusion_matrix` returns.
    class_names: Name of each class, in index order.

  Returns:
    `format_scores(scores(matrix, class_names))`.
  """
  return format_scores(scores(matrix, class_names))
