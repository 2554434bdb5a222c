"""The GradientTape train step, the eval step, and the loops that run them.

The steps are plain Python functions of tensors. As in Orbit,
`use_tf_function` is one boolean of the loops: `make_train_loop` runs
`num_steps` steps per call, compiled into one graph or op by op
(debuggable); `make_evaluate` runs a whole eval pass per call. Python side
effects (progress bars, summaries, checkpoints) live outside them; the steps
only update variables: the model, the optimizer, the metrics and a
non-finite-loss sentinel the loop polls between calls.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from trainers.training import ema as ema_lib
from trainers.training import losses
from trainers.training import metrics as metrics_lib


def make_train_step(model: keras.Model, optimizer: keras.optimizers.Optimizer,
                    loss_fn: keras.losses.Loss, metrics: metrics_lib.StepMetrics, *,
                    augmenter: keras.layers.Layer | None,
                    jit_compile: bool,
                    first_bad_step: tf.Variable,
                    step: tf.Variable,
                    strategy: tf.distribute.Strategy | None = None,
                    grad_norms: metrics_lib.GradNorms | None = None,
                    schedule: Callable | None = None,
                    class_weights: tf.Tensor | None = None,
                    weight_average: ema_lib.WeightAverage | None = None
                    ) -> Callable:
  """Builds `train_step(images, labels) -> loss`.

  Under a `tf.distribute` strategy, `images` and `labels` are the per-replica
  values of a distributed dataset; each replica augments, runs forward and
  backward on its share, and the optimizer sums the gradients. Keras 3
  losses already scale each replica's loss by 1 / replicas, so the sum of
  the replicas' losses is the global batch's mean loss, and the summed
  gradients are those of one device on the whole batch: nothing is divided
  again (regularization losses, which Keras does not scale, are).

  Args:
    model: Maps [0, 1] images to class probabilities; built under
      `strategy.scope()`.
    optimizer: Applies the gradients; a `LossScaleOptimizer` under mixed
      precision (its `scale_loss` and `apply` undo the scaling and skip
      steps whose gradients overflowed).
    loss_fn: Loss on probabilities.
    metrics: Updated with every global batch.
    augmenter: Applied to each batch before the forward pass, or None.
    jit_compile: XLA-compile the forward and backward pass. The augmenter
      stays outside the compiled region because XLA cannot compile
      ImageProjectiveTransformV3 (RandomRotation/Zoom/Translation).
    first_bad_step: int64 variable holding -1, set to the global step of the
      first non-finite loss. Recording it in the graph lets the loop check
      only now and then without losing which step it was.
    step: The global step, incremented once per call.
    strategy: The strategy whose replicas run the step (`strategy.run`);
      None runs it directly on the default device.
    grad_norms: If given, updated with the per-layer gradient norms.
    schedule: Maps the global step to the learning rate, which is set
      before each update (`trainers.training.schedules`); None keeps the
      optimizer's rate.
    class_weights: float32 [num_classes]: each example's loss is weighted
      by its class's (`trainers.training.class_weights`); None weighs all
      equally.
    weight_average: If given, updated after every update (`--ema_decay`).

  Returns:
    The step function.
  """
  default = strategy is None
  replicas = 1 if default else strategy.num_replicas_in_sync
  scale = getattr(optimizer, "dynamic_scale", None)

  def forward_backward(images, labels):
    with tf.GradientTape() as tape:
      probabilities = model(images, training=True)
      loss = losses.weighted(loss_fn, labels, probabilities, class_weights)
      if model.losses:  # Weight regularizers, if a model has any.
        # Unlike loss_fn, not scaled per replica by Keras: summed over the
        # replicas it would count once per replica.
        loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
      scaled_loss = optimizer.scale_loss(loss)
    gradients = tape.gradient(scaled_loss, model.trainable_variables)
    norms = ()
    if grad_norms is not None:
      # Read before `apply`, which may change the loss scale.
      unscale = 1.0 if scale is None else tf.cast(scale, tf.float32)
      # A replica's gradients carry its 1 / replicas share of the loss;
      # scaled back, each is the gradient of its own batch's mean loss.
      norms = grad_norms.compute(gradients) * (
          replicas / unscale)
    if default or not jit_compile:
      optimizer.apply(gradients, model.trainable_variables)
      return loss, probabilities, norms, ()
    # Summing the gradients over replicas is a cross-replica call, which
    # cannot run inside the XLA cluster: the update happens outside it.
    return loss, probabilities, norms, gradients

  compiled = forward_backward
  if jit_compile:
    compiled = tf.function(forward_backward, jit_compile=True)

  def replica_step(images, labels):
    if augmenter is not None:
      images = augmenter(images, training=True)
    loss, probabilities, norms, gradients = compiled(images, labels)
    if gradients:
      optimizer.apply(gradients, model.trainable_variables)
    correct, count = metrics_lib.correct_and_count(labels, probabilities)
    return loss, correct, count, norms

  def train_step(images, labels):
    if schedule is not None:
      # From the checkpointed step alone, so a resumed run's rate is exact.
      getattr(optimizer, "inner_optimizer", optimizer).learning_rate.assign(
          schedule(step))
    if default:
      # No replicas to run or reduce over: the same step, without the
      # distribution wrappers' ops.
      loss, correct, count, norms = replica_step(images, labels)
    else:
      outputs = strategy.run(replica_step, args=(images, labels))
      loss, correct, count = (
          strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None)
          for v in outputs[:3])
      norms = outputs[3]
      if grad_norms is not None:
        # The mean over replicas of each replica's batch gradient norm; the
        # norm of the summed gradient would need a second all-reduce of
        # every gradient.
        norms = strategy.reduce(tf.distribute.ReduceOp.MEAN, norms, axis=None)
    metrics.update(loss, correct, count)
    if grad_norms is not None:
      grad_norms.update(norms)
    if weight_average is not None:
      # In cross-replica context, from weights every replica shares.
      weight_average.update(step)
    step.assign_add(1)
    bad = tf.logical_and(first_bad_step < 0,
                         tf.logical_not(tf.math.is_finite(loss)))
    first_bad_step.assign(tf.where(bad, step, first_bad_step))
    return loss

  return train_step


def make_train_loop(train_step: Callable, *, use_tf_function: bool
                    ) -> Callable:
  """Builds `train_loop(iterator, num_steps) -> first batch's images`.

  As Orbit's `StandardTrainer.train(num_steps)` and Keras's
  `steps_per_execution`: one call runs `num_steps` train steps, inside one
  graph when `use_tf_function`, so the Python call and its dispatch are paid
  once per loop instead of once per step. Between calls, and only there,
  the caller reads metrics, checks for a non-finite loss, and writes
  checkpoints. Eager mode runs the same steps one Python call at a time,
  for debugging.

  Args:
    train_step: From `make_train_step`.
    use_tf_function: Compile the loop as one `tf.function`.

  Returns:
    The loop. `num_steps` (>= 1) should be an int32 tensor, so that loops
    of different lengths share one trace. It returns the images of the
    first batch it trained on (before augmentation), for summaries.
  """

  def train_loop(iterator, num_steps):
    images, labels = next(iterator)
    train_step(images, labels)
    # tf.range: a graph while-loop under tf.function, a plain loop eagerly.
    for _ in tf.range(num_steps - 1):
      train_step(*next(iterator))
    return images

  if not use_tf_function:
    return train_loop
  return tf.function(train_loop)


def make_eval_step(model: keras.Model, loss_fn: keras.losses.Loss,
                   metrics: metrics_lib.StepMetrics) -> Callable:
  """Builds `eval_step(images, labels)`, which updates `metrics`.

  Args:
    model: Maps [0, 1] images to class probabilities.
    loss_fn: Loss on probabilities.
    metrics: Updated with every batch.

  Returns:
    The step function.
  """

  def eval_step(images, labels):
    # In cross-replica context under a strategy: every process evaluates the
    # whole (small) eval set on its own copy of the weights, which keeps the
    # last partial batch simple and gives every worker the same numbers.
    probabilities = model(images, training=False)
    metrics.update(loss_fn(labels, probabilities),
                   *metrics_lib.correct_and_count(labels, probabilities))
    if metrics.num_classes:
      metrics.update_classes(labels, probabilities)

  return eval_step


def make_evaluate(eval_step: Callable, metrics: metrics_lib.StepMetrics, *,
                  use_tf_function: bool) -> Callable:
  """Builds `evaluate(dataset) -> metrics.result()`: one full pass.

  Args:
    eval_step: From `make_eval_step`, bound to `metrics`.
    metrics: Reset before the pass, read after it.
    use_tf_function: Run the whole pass as one `tf.function` (the dataset
      is iterated inside the graph: one call per pass, not per batch).

  Returns:
    The function.
  """

  def run_pass(dataset):
    for images, labels in dataset:
      eval_step(images, labels)

  if use_tf_function:
    run_pass = tf.function(run_pass)

  def evaluate(dataset: tf.data.Dataset) -> dict[str, float]:
    metrics.reset()
    run_pass(dataset)
    return metrics.result()

  return evaluate
