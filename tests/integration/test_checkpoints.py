"""Runs resumed from checkpoints that lost their pointer or were damaged."""

from __future__ import annotations

import json
import os

import pytest

from tests import helpers

# No test here reads the SavedModel export: its runs skip writing it.
pytestmark = pytest.mark.usefixtures("no_export")


@pytest.mark.parametrize("damage", ["removed", "garbage"])
def test_a_lost_pointer_file_resumes_from_the_newest_checkpoint(
    finished_run, capsys, damage):
  history = json.loads((finished_run / "metrics.json").read_text())["history"]
  pointer = finished_run / "checkpoints" / "checkpoint"
  if damage == "removed":
    pointer.unlink()
  else:
    pointer.write_text("model_checkpoint_path: \x00\x01 not a checkpoint")

  metrics = helpers.resume_for_one_more_epoch(finished_run)

  assert f"Resuming from {finished_run / 'checkpoints' / 'ckpt-4'}" in (
      capsys.readouterr().out)
  assert [h["epoch"] for h in metrics["history"]] == [1, 2, 3]
  assert metrics["history"][:2] == history


@pytest.mark.parametrize("damage", ["truncated data", "no index"])
def test_a_damaged_newest_checkpoint_falls_back_and_is_kept_aside(
    finished_run, capsys, damage):
  directory = finished_run / "checkpoints"
  data = directory / "ckpt-4.data-00000-of-00001"
  if damage == "truncated data":
    os.truncate(data, data.stat().st_size // 2)
  else:
    (directory / "ckpt-4.index").unlink()

  metrics = helpers.resume_for_one_more_epoch(finished_run)

  out = capsys.readouterr().out
  assert f"Checkpoint {directory / 'ckpt-4'} is damaged" in out
  assert f"moved it to {directory / 'damaged' / 'ckpt-4'}" in out
  assert f"Resuming from {directory / 'ckpt-2'}: epoch 1 done." in out
  # Epoch 2 is trained again; the damaged files are kept, not deleted.
  assert [h["epoch"] for h in metrics["history"]] == [1, 2, 3]
  assert (directory / "damaged" / data.name).exists()
