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


def test_the_best_epoch_follows_the_best_metric():
  history = [{"epoch": 1, "val_accuracy": 0.8, "val_balanced_accuracy": 0.5,
              "val_loss": 0.9},
             {"epoch": 2, "val_accuracy": 0.7, "val_balanced_accuracy": 0.6,
              "val_loss": 0.4},
             {"epoch": 3, "val_accuracy": 0.75, "val_balanced_accuracy": 0.55,
              "val_loss": 0.6}]
  assert history_lib.best(history)["epoch"] == 1
  assert history_lib.best(history, "balanced_accuracy")["epoch"] == 2
  assert history_lib.best(history, "loss")["epoch"] == 2  # Lowest.
  assert history_lib.patience_exhausted(history, 2, "accuracy")
  assert not history_lib.patience_exhausted(history, 2, "loss")
