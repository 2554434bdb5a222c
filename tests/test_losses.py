"""The train loss: label smoothing on integer labels."""

from __future__ import annotations

import numpy as np
import pytest

from trainers.training import losses


def test_smoothed_loss_is_cross_entropy_against_smoothed_targets():
  probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
  labels = np.array([0, 1])
  smoothing = 0.3
  targets = np.eye(3)[labels] * (1 - smoothing) + smoothing / 3
  expected = np.mean(-np.sum(targets * np.log(probabilities), axis=1))
  loss = losses.train_loss(3, smoothing)(labels, probabilities)
  assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_no_smoothing_is_the_sparse_cross_entropy():
  probabilities = np.array([[0.7, 0.2, 0.1]], np.float32)
  loss = losses.train_loss(3, 0.0)(np.array([0]), probabilities)
  assert float(loss) == pytest.approx(-np.log(0.7), rel=1e-5)
