"""The confusion matrix and the per-class report."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from trainers.analysis import evaluation


def test_report_computes_precision_and_recall():
  matrix = np.array([[3, 1, 0],
                     [0, 2, 0],
                     [1, 1, 0]])
  lines = evaluation.report(matrix, ["A", "B", "C"]).splitlines()
  assert lines[0] == "accuracy 0.6250 (5/8)"
  rows = {l.split()[0]: l.split()[1:] for l in lines[2:]}
  assert rows["A"] == ["0.750", "0.750", "4"]
  assert rows["B"] == ["0.500", "1.000", "2"]
  assert rows["C"] == ["-", "0.000", "2"]  # Never predicted: no precision.


def test_confusion_matrix_counts_true_against_predicted():
  # A "model" that always predicts class 1.
  model = keras.Sequential([
      keras.Input((2, 2, 1)), keras.layers.Flatten(),
      keras.layers.Dense(3, activation="softmax", kernel_initializer="zeros",
                         bias_initializer=keras.initializers.Constant(
                             [0, 5, 0]))])
  labels = np.array([0, 1, 1, 2, 2, 2])
  dataset = tf.data.Dataset.from_tensor_slices(
      (np.zeros((6, 2, 2, 1), np.float32), labels)).batch(4)
  matrix = evaluation.confusion_matrix(model, dataset, 3)
  np.testing.assert_array_equal(matrix, [[0, 1, 0], [0, 2, 0], [0, 3, 0]])
