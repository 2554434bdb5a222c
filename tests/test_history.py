"""The rules read from a run's history: the best epoch, patience."""

from __future__ import annotations

from trainers.training import history as history_lib


def test_patience_counts_epochs_since_the_best():
  history = [{"epoch": e, "val_accuracy": a}
             for e, a in [(1, 0.5), (2, 0.7), (3, 0.6)]]
  assert not history_lib.patience_exhausted(history, 2)
  history.append({"epoch": 4, "val_accuracy": 0.7})  # A tie is no better.
  assert history_lib.patience_exhausted(history, 2)
  assert not history_lib.patience_exhausted(history, 0)
