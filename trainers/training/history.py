"""Rules over a run's per-epoch history: the best epoch, early stopping."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def best(history: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
  """The first epoch with the highest validation accuracy (else the last).

  Args:
    history: `metrics.json`'s "history" records.

  Returns:
    That record; the last one when no epoch was validated; None for an
    empty history.
  """
  if not history:
    return None
  validated = [h for h in history if h.get("val_accuracy") is not None]
  if not validated:
    return history[-1]
  # max() keeps the first of equal values: the earliest best epoch.
  return max(validated, key=lambda h: h["val_accuracy"])


def patience_exhausted(history: Sequence[Mapping[str, Any]],
                       patience: int) -> bool:
  """Whether `patience` epochs passed without a better validation accuracy.

  Args:
    history: The records so far.
    patience: Epochs to wait; 0 never stops.
  """
  if not patience or not history or "val_accuracy" not in history[-1]:
    return False
  return history[-1]["epoch"] - best(history)["epoch"] >= patience
