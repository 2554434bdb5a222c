"""The learning rate as a function of the global step (and the history).

The rate is computed from the checkpointed global step inside the train
step, never kept as state of its own: a resumed run (or one resumed with
more `--epochs`) gets the rate of the formula at its step, exactly.
`plateau`'s cuts are a function of the validation losses in the run's
history, which the checkpoint records, so they resume exactly too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import dataclasses
import math
from typing import Any

import tensorflow as tf

# As Keras's ReduceLROnPlateau: a validation loss must drop by more than
# this to count as better.
_PLATEAU_MIN_DELTA = 1e-4


@dataclasses.dataclass(frozen=True)
class Schedule:
  """A warm-up then a constant, cosine-decaying or plateau-cut rate.

  Attributes:
    peak: The rate after warm-up (`--learning_rate`).
    kind: `constant`, `cosine` or `plateau`.
    total_steps: Steps of the whole run (`--epochs` x steps per epoch);
      cosine reaches its final rate here and stays there.
    warmup_steps: Steps of linear warm-up from peak / warmup_steps to peak.
    final_fraction: Cosine's last rate, as a fraction of the peak.
    plateau_patience: `plateau`: epochs without a lower validation loss
      before a cut.
    plateau_factor: `plateau`: what each cut multiplies the rate by.
    scale: `plateau`: the product of the cuts so far (set by `follow`),
      read by the compiled train step; None for the other kinds.
  """

  peak: float
  kind: str = "constant"
  total_steps: int = 1
  warmup_steps: int = 0
  final_fraction: float = 0.0
  plateau_patience: int = 3
  plateau_factor: float = 0.5
  scale: tf.Variable | None = None

  def __post_init__(self):
    if self.kind == "plateau" and self.scale is None:
      # A variable, so that the compiled step sees each cut without a new
      # trace. Frozen dataclass: set through object.__setattr__.
      object.__setattr__(self, "scale", tf.Variable(
          1.0, trainable=False, name="plateau_scale"))

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
    if self.scale is not None:
      rate = rate * self.scale
    return rate

  def follow(self, history: Sequence[Mapping[str, Any]]) -> str | None:
    """Sets `plateau`'s cuts to those the run's history calls for.

    Called before every epoch (and so on resume, with the restored
    history); other kinds ignore it.

    Args:
      history: The run's epoch records so far.

    Returns:
      A line saying the rate was cut, when this call cut it; else None.
    """
    if self.scale is None:
      return None
    cuts = plateau_cuts(history, self.plateau_patience)
    scale = self.plateau_factor ** cuts
    if scale == float(self.scale.numpy()):
      return None
    self.scale.assign(scale)
    return (f"No lower validation loss in {self.plateau_patience} epochs: "
            f"the learning rate is now {self.peak * scale:.3g} ({cuts} "
            f"cut{'s' if cuts != 1 else ''} of x{self.plateau_factor:g}).")

  def describe(self) -> str:
    """One line for the run's log."""
    text = f"learning rate {self.kind} at {self.peak:g}"
    if self.kind == "cosine":
      text += (f" decaying to {self.final_fraction:g}x by step "
               f"{self.total_steps}")
    if self.kind == "plateau":
      text += (f", x{self.plateau_factor:g} after every "
               f"{self.plateau_patience} epochs without a lower validation "
               "loss")
    if self.warmup_steps:
      text += f", {self.warmup_steps} warm-up steps"
    return text


def plateau_cuts(history: Sequence[Mapping[str, Any]], patience: int) -> int:
  """How many times Keras's `ReduceLROnPlateau` would have cut by now.

  As `ReduceLROnPlateau(monitor="val_loss", patience=patience,
  min_delta=1e-4, cooldown=0)`: a cut after `patience` validated epochs in
  a row without a loss lower than the best so far by more than min_delta,
  after which the count starts again.

  Args:
    history: Epoch records with `val_loss`.
    patience: Epochs to wait.

  Returns:
    The number of cuts.
  """
  best, waited, cuts = math.inf, 0, 0
  for record in history:
    loss = record.get("val_loss")
    if loss is None:
      continue
    if loss < best - _PLATEAU_MIN_DELTA:
      best, waited = loss, 0
    else:
      waited += 1
      if waited >= patience:
        cuts, waited = cuts + 1, 0
  return cuts


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
      final_fraction=config.final_lr_fraction,
      plateau_patience=config.plateau_patience,
      plateau_factor=config.plateau_factor)
