"""The confusion matrix and the per-class report."""

from __future__ import annotations

import json
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from trainers.analysis import evaluation


MATRIX = np.array([[3, 1, 0],
                   [0, 2, 0],
                   [1, 1, 0]])


def test_scores_per_class_and_averages():
  result = evaluation.scores(MATRIX, ["A", "B", "C"])
  assert (result["accuracy"], result["correct"], result["total"]) == (
      0.625, 5, 8)
  a, b, c = (result["classes"][name] for name in "ABC")
  assert a == pytest.approx({"precision": 0.75, "recall": 0.75, "f1": 0.75,
                             "support": 4})
  assert b == pytest.approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3,
                             "support": 2})
  # Never predicted: no precision; F1 = 2tp / (2tp + fp + fn) = 0.
  assert c == {"precision": None, "recall": 0.0, "f1": 0.0, "support": 2}
  # As scikit-learn's classification_report: undefined counts as 0.
  assert result["macro avg"] == pytest.approx(
      {"precision": 1.25 / 3, "recall": 1.75 / 3, "f1": (0.75 + 2 / 3) / 3,
       "support": 8})
  assert result["weighted avg"] == pytest.approx(
      {"precision": 0.5, "recall": 0.625, "f1": (3 + 4 / 3) / 8,
       "support": 8})
  assert result["confusion_matrix"] == MATRIX.tolist()


def test_scores_are_plain_json():
  matrix = np.zeros((3, 3), np.int64)
  matrix[0, 0] = 2  # Class 2 never present nor predicted.
  matrix[1, 0] = 1
  result = evaluation.scores(matrix, ["x", "y", "z"])
  assert json.loads(json.dumps(result, allow_nan=False)) == result
  assert result["classes"]["z"] == {"precision": None, "recall": None,
                                    "f1": None, "support": 0}
  # Averaged over the classes present or predicted (x and y) only.
  assert result["macro avg"]["recall"] == pytest.approx(0.5)
  assert result["macro avg"]["precision"] == pytest.approx(2 / 3 / 2)
  assert evaluation.scores(np.zeros((2, 2), int), ["a", "b"])[
      "accuracy"] is None


def test_report_rows_line_up_for_any_name_length():
  names = ["A", "a class name of 31 characters..", "fresh banana"]
  lines = evaluation.report(MATRIX, names).splitlines()
  assert lines[0] == "accuracy 0.6250 (5/8)"
  table = [line for line in lines[2:] if line]
  assert len(table) == 1 + 3 + 2  # header, classes, averages
  assert len({len(line) for line in table}) == 1
  # Every column ends where the header's does.
  ends = [m.end() for m in re.finditer(r"\S+", table[0])]
  for line in table[1:]:
    assert [m.end() for m in re.finditer(r"\S+", line)][-5:] == ends
  rows = {line[:ends[0]].strip(): line[ends[0]:].split() for line in table}
  assert rows["A"] == ["0.750", "0.750", "0.750", "4"]
  assert rows["a class name of 31 characters.."] == [
      "0.500", "1.000", "0.667", "2"]
  assert rows["fresh banana"] == ["-", "0.000", "0.000", "2"]
  assert rows["macro avg"] == ["0.417", "0.583", "0.472", "8"]
  assert rows["weighted avg"] == ["0.500", "0.625", "0.542", "8"]


def test_report_rejects_a_mismatched_matrix():
  with pytest.raises(ValueError, match="class_names has 2 names"):
    evaluation.report(MATRIX, ["A", "B"])
  with pytest.raises(ValueError, match="square"):
    evaluation.scores(np.zeros((2, 3)), ["A", "B"])


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
