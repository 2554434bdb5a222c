"""The learning rate as a function of the global step.

The rate is computed from the checkpointed global step inside the train
step, never kept as state of its own: a resumed run (or one resumed with
more `--epochs`) gets the rate of the formula at its step, exactly.
"""

from __future__ import annotations

import dataclasses
import math

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class Schedule:
  """A warm-up then a constant or cosine-decaying rate.

  Attributes:
    peak: The rate after warm-up (`--learning_rate`).
    kind: `constant` or `cosine`.
    total_steps: Steps of the whole run (`--epochs` x steps per epoch);
      cosine reaches its final rate here and stays there.
    warmup_steps: Steps of linear warm-up from peak / warmup_steps to peak.
    final_fraction: Cosine's last rate, as a fraction of the peak.
  """

  peak: float
  kind: str = "constant"
  total_steps: int = 1
  warmup_steps: int = 0
  final_fraction: float = 0.0

  def __call__(self, step) -> tf.Tensor:
    """The rate for the update that `step` (steps done before it) makes.

    Args:
      step: Train steps taken before this update (a scalar tensor or int),
        or a vector of them.

    Returns:
      float32 rates of `step`'s shape.
    """
    step = tf.cast(step, tf.float32)
    peak = tf.constant(self.peak, tf.float32)
    # Elementwise: a vector of steps gives their rates (for summaries).
    rate = peak * tf.ones_like(step)
    if self.kind == "cosine":
      decay_steps = float(max(1, self.total_steps - self.warmup_steps))
      progress = tf.clip_by_value(
          (step - self.warmup_steps) / decay_steps, 0.0, 1.0)
      cosine = 0.5 * (1.0 + tf.cos(math.pi * progress))
      rate = peak * (self.final_fraction + (1.0 - self.final_fraction) * cosine)
    if self.warmup_steps:
      # Step 0 trains at peak / warmup_steps, never at 0.
      warm = tf.minimum(1.0, (step + 1.0) / self.warmup_steps)
      rate = tf.where(step < self.warmup_steps, peak * warm, rate)
    return rate

  def describe(self) -> str:
    """One line for the run's log."""
    text = f"learning rate {self.kind} at {self.peak:g}"
    if self.kind == "cosine":
      text += (f" decaying to {self.final_fraction:g}x by step "
               f"{self.total_steps}")
    if self.warmup_steps:
      text += f", {self.warmup_steps} warm-up steps"
    return text


def from_config(config, steps_per_epoch: int) -> Schedule:
  """The schedule `--lr_schedule`, `--warmup_epochs` and the rest set.

  Args:
    config: The run's `Config`.
    steps_per_epoch: Train steps per epoch.

  Returns:
    The schedule over `config.epochs` epochs.
  """
  return Schedule(
      peak=config.learning_rate, kind=config.lr_schedule,
      total_steps=config.epochs * steps_per_epoch,
      warmup_steps=int(round(config.warmup_epochs * steps_per_epoch)),
      final_fraction=config.final_lr_fraction)
