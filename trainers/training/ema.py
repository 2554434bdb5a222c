"""`--ema_decay`: an exponential moving average of the weights.

The average is updated inside the train step after every update, from the
checkpointed global step alone, and is itself checkpointed: a resumed run
continues it exactly. It never trains; the loop swaps it into the model
for what judges and ships the weights (validation, precise BN, the best
weights, the test and the export) and swaps the trained weights back
before training goes on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
import contextlib

import tensorflow as tf


class WeightAverage(tf.Module):
  """A moving average of a model's trainable weights, as variables.

  Early on the average would be mostly the random initialization (with a
  decay of 0.999 it remembers ~1000 steps, more than a small dataset's run
  takes), so, as `tf.train.ExponentialMovingAverage(num_updates=...)`, the
  decay of update n is min(decay, (1 + n) / (10 + n)).

  Created under the run's strategy scope, the averages are mirrored like
  the weights; they are updated in cross-replica context with values every
  replica shares, so all copies stay equal.
  """

  def __init__(self, weights: Sequence[tf.Variable], decay: float):
    """Starts the average at the weights' current values.

    Args:
      weights: The model's trainable variables.
      decay: The average's decay per step, in (0, 1).
    """
    super().__init__(name="weight_average")
    self.decay = decay
    self._weights = list(weights)
    self.averages = [
        tf.Variable(tf.convert_to_tensor(w), trainable=False,
                    name=f"weight_average_{i}")
        for i, w in enumerate(self._weights)]

  def update(self, step: tf.Tensor) -> None:
    """Moves the average towards the weights after an update.

    Args:
      step: Train steps taken before this update (the global step).
    """
    step = tf.cast(step, tf.float32)
    decay = tf.minimum(self.decay, (1.0 + step) / (10.0 + step))
    for average, weight in zip(self.averages, self._weights):
      # a -= (1 - d)(a - w): the form that loses least to rounding.
      average.assign_sub((1.0 - decay) * (
          average - tf.cast(tf.convert_to_tensor(weight), average.dtype)))

  @contextlib.contextmanager
  def swapped_in(self) -> Iterator[None]:
    """Puts the average into the model for the block, then takes it out.

    The values are exchanged, not copied, so that the trained weights come
    back bit for bit.
    """
    self._swap()
    try:
      yield
    finally:
      self._swap()

  def copy_to_weights(self) -> None:
    """Makes the average the model's weights for good (training is over)."""
    for average, weight in zip(self.averages, self._weights):
      weight.assign(average)

  def _swap(self) -> None:
    for average, weight in zip(self.averages, self._weights):
      held = tf.identity(tf.convert_to_tensor(weight))
      weight.assign(average)
      average.assign(held)
