"""Rules over a run's per-epoch history: the best epoch, early stopping."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# `--best_metric`: the history key it reads, and whether higher is better.
_METRICS = {"accuracy": ("val_accuracy", True),
            "balanced_accuracy": ("val_balanced_accuracy", True),
            "loss": ("val_loss", False)}


def best(history: Sequence[Mapping[str, Any]],
         metric: str = "accuracy") -> Mapping[str, Any] | None:
  """The first epoch with the best validation `metric` (else the last).

  Args:
    history: `metrics.json`'s "history" records.
    metric: `accuracy` or `balanced_accuracy` (highest is best) or `loss`
      (lowest is best), as `--best_metric`.

  Returns:
    That record; the last one when no epoch was validated; None for an
    empty history.
  """
  if not history:
    return None
  key, higher = _METRICS[metric]
  validated = [h for h in history if h.get(key) is not None]
  if not validated:
    return history[-1]
  # min() and max() keep the first of equal values: the earliest best epoch.
  pick = max if higher else min
  return pick(validated, key=lambda h: h[key])


def patience_exhausted(history: Sequence[Mapping[str, Any]], patience: int,
                       metric: str = "accuracy") -> bool:
  """Whether `patience` epochs passed without a better validation `metric`.

  Args:
    history: The records so far.
    patience: Epochs to wait; 0 never stops.
    metric: As for `best`.
  """
  key, _ = _METRICS[metric]
  if not patience or not history or history[-1].get(key) is None:
    return False
  return history[-1]["epoch"] - best(history, metric)["epoch"] >= patience
