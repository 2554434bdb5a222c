"""The evaluate command agrees with what the trainer measured."""

from __future__ import annotations

import json
import re

import pytest

from tests import helpers


def test_cli_agrees_with_the_trainers_test_accuracy(trained_asl_run,
                                                    asl_data_dir, tmp_path):
  workdir, metrics = trained_asl_run.workdir, trained_asl_run.metrics
  out = tmp_path / "pictures"
  result = helpers.run_module("trainers.evaluate", f"--workdir={workdir}",
                              f"--data_dir={asl_data_dir}", "--split=test",
                              f"--out={out}")
  assert result.returncode == 0, result.stderr[-2000:]
  accuracy = float(re.search(r"^accuracy (\S+)", result.stdout, re.M)[1])
  assert accuracy == pytest.approx(metrics["test"]["accuracy"], abs=1e-4)
  assert len(re.findall(r"^\s+[A-Y] ", result.stdout, re.M)) == 24
  assert (out / "confusion_test.png").stat().st_size > 0
  assert f"Confusion matrix: {out / 'confusion_test.png'}" in result.stdout
  assert json.loads((workdir / "metrics.json").read_text()) == metrics


def test_evaluate_draws_and_lists_the_worst_mistakes(trained_asl_run,
                                                    asl_data_dir, tmp_path):
  out = tmp_path / "pictures"
  result = helpers.run_module(
      "trainers.evaluate", f"--workdir={trained_asl_run.workdir}",
      f"--data_dir={asl_data_dir}", "--split=test", "--mistakes=5",
      f"--out={out}")
  assert result.returncode == 0, result.stderr[-2000:]
  assert (out / "mistakes_test.png").stat().st_size > 0
  worst = json.loads((out / "scores_test.json").read_text())["mistakes"]
  assert len(worst) == 5
  assert [m["rank"] for m in worst] == [1, 2, 3, 4, 5]
  probabilities = [m["probability"] for m in worst]
  assert probabilities == sorted(probabilities, reverse=True)
  for mistake in worst:
    assert re.fullmatch(r"sign_mnist_test\.csv:\d+", mistake["key"])
    assert mistake["label"] != mistake["predicted"]
    assert mistake["label_probability"] <= mistake["probability"]


# Both commands in this process: evaluate's command line is tested above.
@pytest.mark.usefixtures("no_export")  # Evaluate reads model.keras.
def test_mistakes_of_photos_are_named_by_their_files(cats_dogs_data_dir,
                                                     tmp_path, capsys):
  run = tmp_path / "run"
  assert helpers.execute(
      "trainers.cats_dogs", f"--data_dir={cats_dogs_data_dir}",
      "--model=perceptron", "--image_size=32,32", "--epochs=1",
      "--steps_per_epoch=1", "--batch_size=8", f"--workdir={run}") == 0
  assert helpers.execute("trainers.evaluate", f"--workdir={run}",
                         "--mistakes=16", "--split=test") == 0, (
                             capsys.readouterr().err)
  worst = json.loads((run / "scores_test.json").read_text())["mistakes"]
  assert worst, "an untrained model gets some photo wrong"
  for mistake in worst:
    assert re.fullmatch(r"test/(cats|dogs)/[^/]+", mistake["key"])
  assert (run / "mistakes_test.png").stat().st_size > 0
