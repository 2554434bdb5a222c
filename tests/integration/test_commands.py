"""The commands' console, in their own processes: a usage error answers
before TensorFlow loads, and a command shows its own lines only."""

from __future__ import annotations

import subprocess
import sys

from tests import helpers


def test_a_usage_error_answers_before_tensorflow_loads(tmp_path):
  result = subprocess.run(
      [sys.executable, "-X", "importtime", "-m", "trainers.asl",
       "--augment=cpu", f"--workdir={tmp_path / 'run'}"],
      env=helpers.command_env(), capture_output=True, text=True,
      timeout=120, check=False)
  assert result.returncode == 2
  assert "| tensorflow\n" not in result.stderr  # -X importtime's lines
  assert "| tensorflow_datasets\n" not in result.stderr
  errors = [l for l in result.stderr.splitlines() if "error" in l]
  assert errors == ["trainers.asl: error: flag --augment=cpu: value should "
                    "be one of <pipeline|device|none>"]


def test_the_report_prints_its_one_line_and_no_noise(asl_data_dir, tmp_path):
  env = helpers.command_env()
  del env["TF_CPP_MIN_LOG_LEVEL"]  # The command hides the C++ lines itself.
  result = subprocess.run(
      [sys.executable, "-m", "tfds_builders.report", "sign_language_mnist",
       f"--data_dir={asl_data_dir}", f"--out={tmp_path / 'report'}",
       "--splits=test"], env=env, capture_output=True, text=True,
      timeout=300, check=False)
  assert result.returncode == 0, result.stderr
  assert result.stderr == ""
  assert len(result.stdout.splitlines()) == 1
  assert "report in" in result.stdout
