"""`--class_weight=balanced`: the weights, and their effect on the loss."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from trainers.training import class_weights
from trainers.training import losses
from trainers.training import metrics as metrics_lib
from trainers.training import steps as steps_lib


def test_balanced_weights_are_inverse_to_the_counts():
  weights = class_weights.balanced({0: 30, 1: 10}, num_classes=3)
  # 40 examples over 2 present classes: 40 / (2 * 30) and 40 / (2 * 10).
  np.testing.assert_allclose(weights, [2 / 3, 2.0, 0.0], rtol=1e-6)


def _first_loss(weights):
  keras.utils.set_random_seed(0)
  model = keras.Sequential([keras.Input((4,)),
                            keras.layers.Dense(2, activation="softmax")])
  optimizer = keras.optimizers.SGD(learning_rate=0.0)
  optimizer.build(model.trainable_variables)
  step = steps_lib.make_train_step(
      model, optimizer, losses.train_loss(2, 0.0),
      metrics_lib.StepMetrics("train"), augmenter=None, jit_compile=False,
      first_bad_step=tf.Variable(-1, dtype=tf.int64),
      step=tf.Variable(0, dtype=tf.int64), class_weights=weights)
  images = tf.constant(np.random.default_rng(0).normal(size=(8, 4)),
                       tf.float32)
  # Planted imbalance: 6 of class 0, 2 of class 1.
  labels = tf.constant([0, 0, 0, 0, 0, 0, 1, 1])
  per_example = keras.losses.sparse_categorical_crossentropy(
      labels, model(images)).numpy()
  return float(step(images, labels)), per_example


def test_class_weights_scale_each_example_loss():
  weights = class_weights.balanced({0: 6, 1: 2}, num_classes=2)
  plain, per_example = _first_loss(None)
  weighted, _ = _first_loss(tf.constant(weights))
  assert plain == pytest.approx(per_example.mean(), rel=1e-5)
  expected = (weights[0] * per_example[:6].sum()
              + weights[1] * per_example[6:].sum()) / 8
  assert weighted == pytest.approx(expected, rel=1e-5)
