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
