"""Tests for resuming from the checkpoints on disk, whatever befell them."""

from __future__ import annotations

import json

import pytest

from tests import helpers
from trainers.training import checkpoints


def test_no_whole_checkpoint_is_an_error_not_a_new_run(finished_run):
  for data in (finished_run / "checkpoints").glob("ckpt-*.data-*"):
    data.write_bytes(b"")
  metrics_before = (finished_run / "metrics.json").read_text()
  with pytest.raises(checkpoints.DamagedCheckpointsError,
                     match="No checkpoint .* can be restored"):
    helpers.resume_for_one_more_epoch(finished_run)
  # The finished run's results were not replaced by a fresh start.
  assert (finished_run / "metrics.json").read_text() == metrics_before


def test_the_run_record_inside_a_checkpoint_holds_config_data_and_history(
    finished_run):
  record = checkpoints.read_record(
      str(finished_run / "checkpoints" / "ckpt-4"))
  assert record["config"] == json.loads(
      (finished_run / "config.json").read_text())
  assert record["data"]["dataset"] == "sign_language_mnist/auto/1.0.0"
  assert len(record["data"]["records"]) == 64  # A SHA-256 in hex.
  assert [h["epoch"] for h in record["history"]] == [1, 2]
