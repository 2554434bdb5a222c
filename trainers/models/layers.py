"""Layers the model families share."""

from __future__ import annotations

import keras
import tensorflow as tf


def classifier_head(num_classes: int) -> keras.layers.Layer:
  """The softmax output layer every model ends with.

  Args:
    num_classes: Number of classes.

  Returns:
    A Dense softmax layer computing in float32, because a float16 softmax
    under mixed precision loses the small probabilities the loss needs.
  """
  return keras.layers.Dense(num_classes, activation="softmax",
                            dtype="float32", name="probabilities")


@keras.saving.register_keras_serializable(package="trainers")
class LocalResponseNormalization(keras.layers.Layer):
  """`tf.nn.local_response_normalization` as a saveable Keras layer.

  Args:
    depth_radius: Half-width of the normalization window over channels.
    bias: Offset added to the windowed sum of squares.
    alpha: Scale of the windowed sum of squares.
    beta: Exponent.
    **kwargs: Standard layer arguments (name, dtype).
  """

  def __init__(self, depth_radius: int = 2, bias: float = 1.0,
               alpha: float = 1e-4, beta: float = 0.75, **kwargs):
    super().__init__(**kwargs)
    self.depth_radius = depth_radius
    self.bias = bias
    self.alpha = alpha
    self.beta = beta

  def call(self, inputs):
    # The op has no float16 kernel on every device, and its sum of squares
    # overflows float16 easily, so it always runs in float32.
    outputs = tf.nn.local_response_normalization(
        tf.cast(inputs, tf.float32), depth_radius=self.depth_radius,
        bias=self.bias, alpha=self.alpha, beta=self.beta)
    return tf.cast(outputs, inputs.dtype)

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    return {**super().get_config(), "depth_radius": self.depth_radius,
            "bias": self.bias, "alpha": self.alpha, "beta": self.beta}
