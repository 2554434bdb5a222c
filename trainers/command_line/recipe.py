"""The training recipe's fields of `Config`: schedule, regularisation, logs.

The course's recipe is Adam at a constant rate; these change it without
code (README, "Recipe options"). `Config` inherits them; its `validate`
checks them with the rest.
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses

from trainers.command_line import fields

LR_SCHEDULES = ("constant", "cosine", "plateau")
PROGRESS = ("auto", "bar", "epoch", "none")
CLASS_WEIGHTS = ("none", "balanced")


@dataclasses.dataclass(frozen=True)
class RecipeFields:
  """How the weights are updated beyond the optimizer, and how it shows."""

  lr_schedule: str = fields.option(
      "constant", "Learning-rate schedule, a function of the global step (a "
      "resumed run continues it exactly): `constant` at --learning_rate, or "
      "`cosine` from it down to --final_lr_fraction of it at the last step "
      "of --epochs (more --epochs on resume stretch the remaining decay), "
      "or `plateau`: times --plateau_factor after every --plateau_patience "
      "epochs without a lower validation loss (as Keras's "
      "ReduceLROnPlateau).", choices=LR_SCHEDULES)
  warmup_epochs: float = fields.option(
      0.0, "Epochs (fractions allowed) of linear warm-up to --learning_rate "
      "before the schedule.")
  plateau_patience: int = fields.option(
      3, "--lr_schedule=plateau: validated epochs without a lower loss "
      "before each cut.", lower=1)
  plateau_factor: float = fields.option(
      0.5, "--lr_schedule=plateau: what each cut multiplies the rate by "
      "(between 0 and 1).", lower=0.0)
  final_lr_fraction: float = fields.option(
      0.0, "--lr_schedule=cosine: the last rate, as a fraction of "
      "--learning_rate (0 to 1).", upper=1.0)
  weight_decay: float = fields.option(
      0.0, "Decoupled weight decay per step (as AdamW and SGDW): weights "
      "shrink by learning rate x this; 0 is none.")
  label_smoothing: float = fields.option(
      0.0, "Train against targets that move this much of the probability "
      "from the true class evenly to all classes (0 to 1); validation and "
      "test losses stay plain cross-entropy.", upper=1.0)
  clip_grad_norm: float = fields.option(
      0.0, "Scale each step's gradients down to this global norm when "
      "larger; 0 never clips.")
  ema_decay: float = fields.option(
      0.0, "Keep an exponential moving average of the weights, updated after "
      "every step with this decay (e.g. 0.99 for short runs, 0.999 for "
      "long ones; below 1); validation, test, the best weights, precise BN "
      "and the export use the average. 0 keeps none. Fixed on resume: the "
      "checkpoint holds the average.", on_resume=fields.FIXED)
  class_weight: str = fields.option(
      "none", "`balanced`: weight each example's training loss by "
      "total / (classes x its class's count), counted over the examples the "
      "run trains on (after the held-out validation and dropped "
      "duplicates), and print the weights; `none`: all equal.",
      choices=CLASS_WEIGHTS)
  progress: str = fields.option(
      "auto", "Training progress: `bar` (redrawn in place), `epoch` (one "
      "plain line per epoch: steps, seconds, loss, accuracy, validation, "
      "learning rate; no escape codes), `none`; `auto`: the bar on a "
      "terminal, else `epoch`.", choices=PROGRESS)

  def check_recipe(self, check: Callable[[bool, str, str], None]) -> None:
    """The recipe's checks beyond each field's bounds (`Config.validate`).

    Args:
      check: `check(ok, flag, why)` raises naming the flag when not ok.
    """
    for flag in ("warmup_epochs", "final_lr_fraction", "weight_decay",
                 "label_smoothing", "clip_grad_norm", "ema_decay"):
      check(getattr(self, flag) >= 0, flag, "must be at least 0")
    check(self.ema_decay < 1, "ema_decay", "must be below 1 (0 keeps no "
          "average)")
    check(self.plateau_factor < 1, "plateau_factor", "must be below 1")
