"""Training progress in a file: plain lines, no terminal control codes."""

from __future__ import annotations

import io
import re

import pytest

from trainers.training import progress as progress_lib

RECORD = {"epoch": 2, "train_loss": 0.5, "train_accuracy": 0.75,
          "val_loss": 0.6, "val_accuracy": 0.7, "seconds": 1.25}
CONTROL = re.compile(r"[\x1b\r\b]")


@pytest.mark.parametrize("mode", ["epoch", "auto"])
def test_epoch_and_redirected_auto_write_one_plain_line(mode, capsys):
  # Under pytest, standard output is captured: not a terminal.
  progress = progress_lib.Progress(2, 5, 10, mode)
  progress.update(3, {"loss": 0.9, "accuracy": 0.5})
  progress.end(RECORD, learning_rate=1e-3)
  out = capsys.readouterr().out
  assert not CONTROL.search(out)
  assert out == ("Epoch 2/5 - 10 steps - 1.2s - loss 0.5000 - accuracy 0.7500"
                 " - val_loss 0.6000 - val_accuracy 0.7000 - lr 0.001\n")


def test_none_writes_nothing(capsys):
  progress = progress_lib.Progress(1, 1, 4, "none")
  progress.update(2, {"loss": 1.0})
  progress.end(RECORD)
  assert capsys.readouterr().out == ""


def test_auto_is_the_bar_on_a_terminal():
  class Terminal(io.StringIO):
    def isatty(self):
      return True
  assert progress_lib.progress_mode("auto", Terminal()) == "bar"
  assert progress_lib.progress_mode("auto", io.StringIO()) == "epoch"
