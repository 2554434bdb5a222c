"""The GradientTape train step and the eval step, eager or tf.function.

As in Orbit, `use_tf_function` is one boolean: the same Python step runs op
by op (debuggable) or as a graph. Python side effects (progress bars,
summaries, checkpoints) live outside the step; the step only updates
variables: the model, the optimizer, the metrics and a non-finite-loss
sentinel the loop polls.
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses

import keras
import tensorflow as tf


@dataclasses.dataclass
class StepMetrics:
  """Running means over an epoch or an eval pass.

  Attributes:
    loss: Mean loss.
    accuracy: Mean top-1 accuracy.
  """

  loss: keras.metrics.Mean
  accuracy: keras.metrics.SparseCategoricalAccuracy

  @classmethod
  def create(cls, prefix: str) -> StepMetrics:
    """Fresh metrics named `{prefix}_loss` and `{prefix}_accuracy`."""
    return cls(keras.metrics.Mean(name=f"{prefix}_loss"),
               keras.metrics.SparseCategoricalAccuracy(
                   name=f"{prefix}_accuracy"))

  def update(self, labels, probabilities, loss) -> None:
    """Adds one batch."""
    self.loss.update_state(loss)
    self.accuracy.update_state(labels, probabilities)

  def reset(self) -> None:
    """Clears the running means, e.g. at the start of an epoch."""
    self.loss.reset_state()
    self.accuracy.reset_state()

  def result(self) -> dict[str, float]:
    """Current values as Python floats (forces a device sync)."""
    return {"loss": float(self.loss.result()),
            "accuracy": float(self.accuracy.result())}


def _maybe_function(fn: Callable, use_tf_function: bool,
                    jit_compile: bool = False) -> Callable:
  if not use_tf_function:
    return fn
  # reduce_retracing: a partial last eval batch retraces once, not per shape.
  return tf.function(fn, jit_compile=jit_compile, reduce_retracing=True)


def make_train_step(model: keras.Model, optimizer: keras.optimizers.Optimizer,
                    loss_fn: keras.losses.Loss, metrics: StepMetrics, *,
                    augmenter: keras.layers.Layer | None,
                    use_tf_function: bool, jit_compile: bool,
                    first_bad_step: tf.Variable,
                    step: tf.Variable) -> Callable:
  """Builds `train_step(images, labels) -> loss`.

  Args:
    model: Maps [0, 1] images to class probabilities.
    optimizer: Applies the gradients; a `LossScaleOptimizer` under mixed
      precision (its `scale_loss` and `apply` undo the scaling and skip
      steps whose gradients overflowed).
    loss_fn: Loss on probabilities.
    metrics: Updated with every batch.
    augmenter: Applied to each batch before the forward pass, or None.
    use_tf_function: Run the step as a `tf.function`.
    jit_compile: XLA-compile the forward and backward pass. The augmenter
      stays outside the compiled region because XLA cannot compile
      ImageProjectiveTransformV3 (RandomRotation/Zoom/Translation).
    first_bad_step: int64 variable holding -1, set to the global step of the
      first non-finite loss. Recording it in the graph lets the loop check
      only now and then without losing which step it was.
    step: The global step, incremented once per call.

  Returns:
    The step function.
  """

  def forward_backward(images, labels):
    with tf.GradientTape() as tape:
      probabilities = model(images, training=True)
      loss = loss_fn(labels, probabilities)
      if model.losses:  # Weight regularizers, if a model has any.
        loss += tf.add_n(model.losses)
      scaled_loss = optimizer.scale_loss(loss)
    gradients = tape.gradient(scaled_loss, model.trainable_variables)
    optimizer.apply(gradients, model.trainable_variables)
    return loss, probabilities

  compiled = forward_backward
  if jit_compile:
    compiled = tf.function(forward_backward, jit_compile=True)

  def train_step(images, labels):
    if augmenter is not None:
      images = augmenter(images, training=True)
    loss, probabilities = compiled(images, labels)
    metrics.update(labels, probabilities, loss)
    step.assign_add(1)
    bad = tf.logical_and(first_bad_step < 0,
                         tf.logical_not(tf.math.is_finite(loss)))
    first_bad_step.assign(tf.where(bad, step, first_bad_step))
    return loss

  return _maybe_function(train_step, use_tf_function)


def make_eval_step(model: keras.Model, loss_fn: keras.losses.Loss,
                   metrics: StepMetrics, *, use_tf_function: bool) -> Callable:
  """Builds `eval_step(images, labels)`, which updates `metrics`.

  Args:
    model: Maps [0, 1] images to class probabilities.
    loss_fn: Loss on probabilities.
    metrics: Updated with every batch.
    use_tf_function: Run the step as a `tf.function`.

  Returns:
    The step function.
  """

  def eval_step(images, labels):
    probabilities = model(images, training=False)
    metrics.update(labels, probabilities, loss_fn(labels, probabilities))

  return _maybe_function(eval_step, use_tf_function)


def evaluate(eval_step: Callable, metrics: StepMetrics,
             dataset: tf.data.Dataset) -> dict[str, float]:
  """Runs one pass of `eval_step` over `dataset`.

  Args:
    eval_step: From `make_eval_step`, bound to `metrics`.
    metrics: Reset first, then read at the end.
    dataset: Finite `(images, labels)` batches.

  Returns:
    `{"loss": ..., "accuracy": ...}`.
  """
  metrics.reset()
  for images, labels in dataset:
    eval_step(images, labels)
  return metrics.result()
