"""The training loss: cross-entropy on probabilities, optionally smoothed."""

from __future__ import annotations

import keras
import tensorflow as tf


class SmoothedSparseCrossentropy(keras.losses.Loss):
  """Cross-entropy of integer labels against smoothed one-hot targets.

  Keras's sparse cross-entropy has no label smoothing; the labels are made
  one-hot here, inside the step, so the datasets keep integer labels. The
  reduction (and its 1 / replicas scaling under a strategy) is Keras's.
  """

  def __init__(self, num_classes: int, label_smoothing: float,
               name: str = "smoothed_sparse_crossentropy"):
    super().__init__(name=name)
    self.num_classes = num_classes
    self.label_smoothing = label_smoothing

  def call(self, y_true, y_pred):
    labels = tf.reshape(tf.cast(y_true, tf.int32), [-1])
    targets = tf.one_hot(labels, self.num_classes, dtype=y_pred.dtype)
    return keras.losses.categorical_crossentropy(
        targets, y_pred, label_smoothing=self.label_smoothing)


def train_loss(num_classes: int, label_smoothing: float) -> keras.losses.Loss:
  """The loss the train step minimizes (`--label_smoothing`).

  Args:
    num_classes: Classes of the model's output.
    label_smoothing: Probability moved from the true class evenly over all
      classes; 0 is the plain sparse cross-entropy.

  Returns:
    A loss on probabilities.
  """
  if not label_smoothing:
    return keras.losses.SparseCategoricalCrossentropy()
  return SmoothedSparseCrossentropy(num_classes, label_smoothing)


def weighted(loss_fn: keras.losses.Loss, labels, probabilities,
             class_weights: tf.Tensor | None) -> tf.Tensor:
  """The batch's loss, each example weighted by its class's weight.

  Args:
    loss_fn: From `train_loss`.
    labels: Integer labels.
    probabilities: The model's output.
    class_weights: float32 [num_classes] (`--class_weight`), or None for
      equal weights.

  Returns:
    The reduced loss.
  """
  if class_weights is None:
    return loss_fn(labels, probabilities)
  return loss_fn(labels, probabilities, sample_weight=tf.gather(
      class_weights, tf.reshape(tf.cast(labels, tf.int32), [-1])))
