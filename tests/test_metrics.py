"""The running metrics of an eval pass: accuracy and balanced accuracy."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from trainers.training import metrics as metrics_lib


def _probabilities(predicted, num_classes):
  return tf.one_hot(predicted, num_classes)


def test_balanced_accuracy_is_the_mean_recall_of_present_classes():
  metrics = metrics_lib.StepMetrics("eval", num_classes=3)
  # Class 0: 6 examples, 5 right; class 1: 2 examples, 0 right; class 2:
  # none (left out of the mean, not counted as 0).
  labels = tf.constant([0, 0, 0, 0, 0, 0, 1, 1])
  predicted = tf.constant([0, 0, 0, 0, 0, 1, 0, 0])
  for half in (slice(0, 4), slice(4, 8)):  # Two batches add up.
    probabilities = _probabilities(predicted[half], 3)
    metrics.update(0.0, *metrics_lib.correct_and_count(labels[half],
                                                       probabilities))
    metrics.update_classes(labels[half], probabilities)
  result = metrics.result()
  assert result["accuracy"] == pytest.approx(5 / 8)
  assert result["balanced_accuracy"] == pytest.approx((5 / 6 + 0 / 2) / 2)
  assert metrics.imbalance() == pytest.approx(3.0)
  metrics.reset()
  np.testing.assert_array_equal(metrics.class_count.numpy(), [0, 0, 0])


def test_train_metrics_keep_no_per_class_counts():
  metrics = metrics_lib.StepMetrics("train")
  metrics.update(1.0, 1.0, 2.0)
  assert set(metrics.result()) == {"loss", "accuracy"}
