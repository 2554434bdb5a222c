"""Recognizing a run that has diverged while its loss stays finite.

A NaN or infinite loss is caught step by step (`trainers.training.steps`). A learning
rate far too high can also end in a finite but useless state: the loss
explodes by orders of magnitude, or every unit dies and the gradients are
exactly zero, so nothing can learn again. Both are checked after each epoch,
before its checkpoint replaces the last good one.
"""

from __future__ import annotations

from collections.abc import Mapping
import math
from typing import Any

# A train loss this many times that of uniform guessing (ln classes) has
# exploded; a healthy run starts near 1x and goes down.
EXPLODED_LOSS_FACTOR = 100.0


class DivergedError(FloatingPointError):
  """Training diverged: the loss exploded or the gradients vanished."""


def check(record: Mapping[str, Any], num_classes: int, learning_rate: float,
          last_good_checkpoint: str | None) -> None:
  """Raises if the epoch of `record` shows a diverged run.

  Args:
    record: The epoch's history record (`train_loss`, `grad_norms`).
    num_classes: Classes of the task (the loss of uniform guessing is
      ln(num_classes)).
    learning_rate: The run's learning rate, named in the message.
    last_good_checkpoint: The checkpoint to name as the one to go back to.

  Raises:
    DivergedError: naming the epoch, what was seen, the likely cause and
      the checkpoint that stays in place.
  """
  chance = math.log(num_classes)
  loss, norms = record["train_loss"], record.get("grad_norms") or {}
  if loss > EXPLODED_LOSS_FACTOR * chance:
    seen = (f"the training loss exploded to {loss:.3g} ({loss / chance:.3g}x "
            f"that of uniform guessing)")
  elif norms and all(v == 0.0 for v in norms.values()):
    seen = ("every gradient was exactly zero: the network's units have died "
            "and nothing can learn any more")
  else:
    return
  raise DivergedError(
      f"Training diverged in epoch {record['epoch']}: {seen}. The usual "
      f"cause is a learning rate far too high (--learning_rate="
      f"{learning_rate:g}); try one 10-100x lower. "
      + (f"The last good checkpoint, {last_good_checkpoint}, is kept; fix "
         "the flag and rerun with a new --workdir, or resume it."
         if last_good_checkpoint else "No checkpoint was kept."))
