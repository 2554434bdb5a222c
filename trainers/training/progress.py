"""The console's view of an epoch: a bar, one plain line, or nothing.

`--progress=auto` picks the bar on a terminal and a plain line per epoch
when standard output is a file or a pipe, where a bar's carriage returns,
backspaces and escape codes would be kept as noise.
"""

from __future__ import annotations

from collections.abc import Mapping
import sys
from typing import Any

import keras


def progress_mode(progress: str, stream=None) -> str:
  """Resolves `--progress=auto`: the bar on a terminal, else a line an epoch.

  Args:
    progress: `auto`, `bar`, `epoch` or `none`.
    stream: Where progress goes; standard output by default.

  Returns:
    `bar`, `epoch` or `none`.
  """
  if progress != "auto":
    return progress
  stream = sys.stdout if stream is None else stream
  isatty = getattr(stream, "isatty", None)
  return "bar" if isatty is not None and isatty() else "epoch"


class Progress:
  """The epoch's progress: a bar, one plain line at its end, or nothing.

  A bar redraws itself with carriage returns, backspaces and escape codes,
  which a log file keeps as noise: `epoch` writes one plain line per epoch
  instead (as Keras's `verbose=2`).
  """

  _METRICS = ("loss", "accuracy", "val_loss", "val_accuracy",
              "val_balanced_accuracy")

  def __init__(self, epoch: int, epochs: int, steps: int, mode: str = "bar"):
    self.epoch, self.epochs, self.steps = epoch, epochs, steps
    self.mode = progress_mode(mode)
    self.bar = None
    if self.mode == "bar":
      print(f"Epoch {epoch}/{epochs}")
      self.bar = keras.utils.Progbar(steps, stateful_metrics=self._METRICS)

  def update(self, done: int, values: Mapping[str, float]) -> None:
    if self.bar is not None and done < self.steps:
      self.bar.update(done, values=list(values.items()))

  def end(self, record: Mapping[str, Any],
          learning_rate: float | None = None,
          show_balanced: bool = False) -> None:
    """Shows the epoch's final numbers.

    Args:
      record: The epoch's history record.
      learning_rate: The rate at the epoch's end.
      show_balanced: Show the validation balanced accuracy too.
    """
    values = [(k, record[f"train_{k}"]) for k in ("loss", "accuracy")]
    values += [(k, record[k]) for k in _validation_keys(show_balanced)
               if k in record]
    if self.bar is not None:
      self.bar.update(self.steps, values=values)
    elif self.mode == "epoch":
      print(epoch_line(self.epoch, self.epochs, self.steps, record,
                       learning_rate, show_balanced), flush=True)


def _validation_keys(show_balanced: bool) -> tuple[str, ...]:
  keys = ("val_loss", "val_accuracy")
  return keys + ("val_balanced_accuracy",) if show_balanced else keys


def epoch_line(epoch: int, epochs: int, steps: int,
               record: Mapping[str, Any],
               learning_rate: float | None = None,
               show_balanced: bool = False) -> str:
  """One plain line for an epoch: steps, seconds, metrics, learning rate."""
  parts = [f"Epoch {epoch}/{epochs}", f"{steps} steps"]
  if "seconds" in record:
    parts.append(f"{record['seconds']:.1f}s")
  parts += [f"loss {record['train_loss']:.4f}",
            f"accuracy {record['train_accuracy']:.4f}"]
  parts += [f"{k} {record[k]:.4f}" for k in _validation_keys(show_balanced)
            if k in record]
  if learning_rate is not None:
    parts.append(f"lr {learning_rate:.3g}")
  return " - ".join(parts)
