"""Confusion matrices and per-class precision/recall."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf


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
