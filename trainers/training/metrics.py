"""Running metrics of the train and eval steps, as variables.

Variables, not Keras metrics: they are updated inside the compiled steps
with numbers already reduced over a strategy's replicas, read only between
calls, and checkpointed with the run, so that a run resumed mid-epoch
continues the epoch's means where it stopped.
"""

from __future__ import annotations

import tensorflow as tf


class StepMetrics(tf.Module):
  """Running means over an epoch or an eval pass, as variables.

  They are updated with numbers already summed over the replicas of a
  `tf.distribute` strategy (in cross-replica context), so that a metric
  never counts a batch once per replica. Being variables of a `tf.Module`,
  they go into checkpoints: a run resumed mid-epoch continues the epoch's
  means where it stopped.
  """

  def __init__(self, prefix: str, num_classes: int = 0):
    """Creates zeroed sums.

    Args:
      prefix: Names the variables `{prefix}_loss_sum` and so on.
      num_classes: If given, also counts hits and examples per class, for
        the balanced accuracy (`update_classes`).
    """
    super().__init__(name=f"{prefix}_metrics")
    self.loss_sum = tf.Variable(0.0, trainable=False, name=f"{prefix}_loss_sum")
    self.correct = tf.Variable(0.0, trainable=False, name=f"{prefix}_correct")
    self.count = tf.Variable(0.0, trainable=False, name=f"{prefix}_count")
    self.num_classes = num_classes
    self.class_correct = self.class_count = None
    if num_classes:
      self.class_correct = tf.Variable(tf.zeros([num_classes]),
                                       trainable=False,
                                       name=f"{prefix}_class_correct")
      self.class_count = tf.Variable(tf.zeros([num_classes]),
                                     trainable=False,
                                     name=f"{prefix}_class_count")

  def update(self, loss, correct, count) -> None:
    """Adds one (global) batch.

    Args:
      loss: The batch's mean loss.
      correct: How many of its examples were classified right.
      count: How many examples it had.
    """
    count = tf.cast(count, tf.float32)
    # Weighted by the batch size, so that a partial batch counts for what it
    # holds.
    self.loss_sum.assign_add(tf.cast(loss, tf.float32) * count)
    self.correct.assign_add(tf.cast(correct, tf.float32))
    self.count.assign_add(count)

  def update_classes(self, labels, probabilities) -> None:
    """Adds one batch's hits and examples per true class."""
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    predicted = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
    hits = tf.cast(tf.equal(predicted, labels), tf.float32)
    self.class_correct.assign_add(tf.math.unsorted_segment_sum(
        hits, labels, self.num_classes))
    self.class_count.assign_add(tf.math.unsorted_segment_sum(
        tf.ones_like(hits), labels, self.num_classes))

  def reset(self) -> None:
    """Clears the running means, e.g. at the start of an epoch."""
    for variable in (self.loss_sum, self.correct, self.count):
      variable.assign(0.0)
    if self.num_classes:
      for variable in (self.class_correct, self.class_count):
        variable.assign(tf.zeros_like(variable))

  def result(self) -> dict[str, float]:
    """Current values as Python floats (forces a device sync).

    With per-class counts, also `balanced_accuracy`: the mean recall of the
    classes that had examples (as scikit-learn's `balanced_accuracy_score`).
    """
    count = max(float(self.count.numpy()), 1.0)
    result = {"loss": float(self.loss_sum.numpy()) / count,
              "accuracy": float(self.correct.numpy()) / count}
    if self.num_classes:
      per_class = self.class_count.numpy()
      present = per_class > 0
      if present.any():
        recalls = self.class_correct.numpy()[present] / per_class[present]
        result["balanced_accuracy"] = float(recalls.mean())
    return result

  def imbalance(self) -> float:
    """Largest over smallest class count of the pass (1 when balanced)."""
    per_class = self.class_count.numpy()
    present = per_class[per_class > 0]
    return float(present.max() / present.min()) if present.size else 1.0


def correct_and_count(labels, probabilities) -> tuple[tf.Tensor, tf.Tensor]:
  """Examples of a batch classified right, and examples in it (float32)."""
  predicted = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
  hits = tf.cast(tf.equal(predicted, tf.cast(labels, tf.int32)), tf.float32)
  return tf.reduce_sum(hits), tf.cast(tf.size(labels), tf.float32)


class GradNorms(tf.Module):
  """Per-layer gradient norms of the train steps, averaged over an epoch.

  Each layer's norm is the global norm of the gradients of all its trainable
  variables (kernel and bias together), computed from the gradients the step
  already has: no extra pass. It shows where gradients vanish or explode,
  e.g. the first layers of a deep sigmoid net getting orders of magnitude
  less than the last.
  """

  def __init__(self, variables: list[tf.Variable]):
    """Groups `variables` by layer, in the order they appear.

    Args:
      variables: The model's trainable variables.
    """
    super().__init__(name="grad_norms")
    self.names: list[str] = []
    self.group_of: list[int] = []
    for variable in variables:
      name = _layer_name(variable)
      if name not in self.names:
        self.names.append(name)
      self.group_of.append(self.names.index(name))
    # Summed over the steps of an epoch; one vector add per step.
    self.total = tf.Variable(tf.zeros([len(self.names)]), trainable=False,
                             name="grad_norm_total")
    self.count = tf.Variable(0.0, trainable=False, name="grad_norm_count")

  def compute(self, gradients) -> tf.Tensor:
    """The per-layer norms of one replica's gradients, as a vector."""
    squares = [tf.zeros([], tf.float32) for _ in self.names]
    for group, gradient in zip(self.group_of, gradients):
      if gradient is not None:
        squares[group] += tf.reduce_sum(tf.square(tf.cast(gradient,
                                                          tf.float32)))
    return tf.sqrt(tf.stack(squares))

  def update(self, norms) -> None:
    """Adds one step's norms (already reduced over replicas)."""
    self.total.assign_add(norms)
    self.count.assign_add(1.0)

  def reset(self) -> None:
    """Starts a new epoch."""
    self.total.assign(tf.zeros_like(self.total))
    self.count.assign(0.0)

  def result(self) -> dict[str, float]:
    """Mean norm per layer since the last reset (forces a device sync)."""
    means = (self.total / tf.maximum(self.count, 1.0)).numpy()
    return {name: float(v) for name, v in zip(self.names, means)}


def _layer_name(variable) -> str:
  """`dense1` for `model/dense1/kernel`; nested layers keep their path."""
  parts = getattr(variable, "path", variable.name).split("/")
  return "/".join(parts[1:-1]) or parts[0]
