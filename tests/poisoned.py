"""A model whose activations turn NaN after a given number of training calls.

For the tests of how a run stops on a non-finite loss. Register it with the
`poisoned_mlp` fixture, which leaves the model registry as it found it.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from trainers import models

NAME = "test_poisoned_mlp"


class PoisonAfter(keras.layers.Layer):
  """Identity for the first `calls` training calls, then NaN."""

  def __init__(self, calls, **kwargs):
    super().__init__(**kwargs)
    self.calls = calls
    self.count = self.add_weight(shape=(), initializer="zeros",
                                 trainable=False, name="count")

  def call(self, x, training=False):
    if training:
      self.count.assign_add(1.0)
    # Added rather than tf.where(..., x * nan, x), whose gradient is NaN even
    # while the clean branch is selected.
    return x + tf.where(self.count > self.calls, np.nan, 0.0)

  def get_config(self):
    return {**super().get_config(), "calls": self.calls}


def poisoned_mlp(*, input_shape, num_classes, calls=3):
  """A small MLP that trains normally for `calls` steps, then yields NaN."""
  return keras.Sequential([
      keras.Input(input_shape), keras.layers.Flatten(),
      keras.layers.Dense(8), PoisonAfter(calls),
      models.classifier_head(num_classes)])
