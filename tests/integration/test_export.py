"""`python -m trainers.export` as a user runs it, and a kill during it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time

from tests import helpers


def test_export_then_predict_and_evaluate_the_file(finished_run, hand_png,
                                                   capsys):
  result = helpers.run_module("trainers.export", f"--model={finished_run}",
                              "--format=litert", "--quantize=int8")
  assert result.returncode == 0, result.stderr
  assert result.stderr == ""  # No converter or interpreter chatter.
  model = finished_run / "litert" / "model_int8.tflite"
  assert f"Wrote {model} (" in result.stdout
  predicted = helpers.run_module("trainers.predict", f"--model={model}",
                                 "--json", str(hand_png))
  assert predicted.returncode == 0, predicted.stderr
  assert predicted.stderr == ""
  answer = json.loads(predicted.stdout)
  assert answer[0]["path"] == str(hand_png)
  assert answer[0]["predictions"][0]["label"] in helpers.LETTERS
  # In this process: the interpreter's quiet start is predict's above.
  assert helpers.execute("trainers.evaluate", f"--workdir={model}") == 0
  assert capsys.readouterr().out.splitlines()[1].startswith("accuracy ")
  assert (finished_run / "litert" / "model_int8" /
          "scores_test.json").exists()
  assert (finished_run / "litert" / "model_int8" /
          "mistakes_test.png").exists()


def test_usage_errors_are_one_line(finished_run, tmp_path):
  shutil.rmtree(finished_run / "export")
  no_export = helpers.run_module("trainers.export",
                                 f"--workdir={finished_run}")
  assert no_export.returncode == 2
  assert no_export.stderr.count("\n") == 1
  assert "No exported model in" in no_export.stderr
  tflite = tmp_path / "model.tflite"
  tflite.write_bytes(b"not a model")
  visualize = helpers.run_module("trainers.visualize", f"--model={tflite}",
                                 f"--image={tflite}", f"--out={tmp_path}/o")
  assert visualize.returncode == 2
  assert "is a LiteRT model, not a training run" in visualize.stderr
  assert visualize.stderr.count("\n") == 1


def test_a_conversion_killed_midway_leaves_no_model(finished_run, tmp_path):
  scratch = tmp_path / "scratch"
  scratch.mkdir()
  # The converter's temporary SavedModel appears in TMPDIR while it runs.
  process = helpers.start_module(
      "trainers.export", f"--workdir={finished_run}", "--quantize=int8",
      env=helpers.command_env(TMPDIR=str(scratch)))
  deadline = time.monotonic() + 240
  while not list(scratch.glob("litert_*")):
    assert process.poll() is None, process.communicate()
    assert time.monotonic() < deadline
    time.sleep(0.05)
  os.kill(process.pid, signal.SIGKILL)
  process.communicate()
  litert_dir = finished_run / "litert"
  assert not litert_dir.exists() or not [
      p for p in litert_dir.iterdir() if "tflite" in p.name]
