"""`trainers.label_issues` end to end: the files, and a killed run resumed."""

from __future__ import annotations

import json
import re
import signal
import time

import pytest

from benchmarks import label_flips
from tests import helpers


@pytest.fixture(scope="module")
def flipped_asl(tmp_path_factory):
  """A built sign_language_mnist whose train CSV has 10% flipped labels."""
  root = tmp_path_factory.mktemp("flipped")
  from tfds_builders.sign_language_mnist import make_sample  # pylint: disable=g-import-not-at-top
  make_sample.make_sample(str(root / "csv"), train_rows=200, test_rows=24,
                          seed=3)
  planted = label_flips.plant_csv(root / "csv" / "sign_mnist_train.csv",
                                  0.1, seed=3)
  helpers.build_dataset("sign_language_mnist", root / "csv", root / "tfds")
  return str(root / "tfds"), planted


# The killed run is a process of its own; the rerun and the trainer run in
# this one, and no run of theirs writes a SavedModel (none is read).
@pytest.mark.usefixtures("no_export")
def test_writes_the_three_files_and_a_killed_run_skips_finished_folds(
    flipped_asl, tmp_path, capsys):
  data_dir, planted = flipped_asl
  out = tmp_path / "issues"
  args = (f"--data_dir={data_dir}", "--folds=2", "--epochs=1",
          "--batch_size=16", "--precise_bn_batches=2", f"--out={out}")
  first = out / "folds" / "0" / "oof.npz"
  process = helpers.start_module("trainers.label_issues", *args)
  deadline = time.monotonic() + 240
  while not first.exists() and process.poll() is None:
    assert time.monotonic() < deadline, "fold 0 never finished"
    time.sleep(0.2)
  process.send_signal(signal.SIGTERM)
  process.communicate(timeout=120)
  assert not (out / "label_issues.json").exists()
  finished = first.stat().st_mtime_ns

  assert helpers.execute("trainers.label_issues", *args) == 0, (
      capsys.readouterr().err[-3000:])
  stdout = capsys.readouterr().out
  assert "Fold 0 of 2: done before" in stdout
  assert "Fold 1 of 2: training" in stdout
  assert first.stat().st_mtime_ns == finished
  listed = json.loads((out / "label_issues.json").read_text())
  assert listed["examples"] == 200 and listed["folds"] == 2
  assert listed["count"] == len(listed["issues"]) > 0
  for issue in listed["issues"]:
    assert re.fullmatch(r"sign_mnist_train\.csv:\d+", issue["key"])
  table = (out / "label_issues.md").read_text()
  assert f"| 1 | `{listed['issues'][0]['key']}` |" in table
  assert (out / "label_issues.png").stat().st_size > 0
  assert len(planted) == 20

  # The trainer leaves the listed examples out.
  assert helpers.execute(
      "trainers.asl", f"--data_dir={data_dir}", "--epochs=1",
      "--batch_size=16", "--steps_per_epoch=1", "--precise_bn_batches=1",
      f"--drop_label_issues={out / 'label_issues.json'}",
      f"--workdir={tmp_path / 'run'}") == 0
  assert (f"--drop_label_issues: leaving out the {listed['count']} "
          "examples") in capsys.readouterr().out
