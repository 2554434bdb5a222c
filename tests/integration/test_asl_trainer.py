"""The ASL entry point and the loop, training for real."""

from __future__ import annotations

import json

import pytest

from tests import helpers
from trainers.command_line import config as config_lib
from trainers.command_line import preflight
from trainers.training import loop


def test_entry_point_trains_and_exports(asl_data_dir, tmp_path):
  result = helpers.run_module(
      "trainers.asl", f"--flagfile={helpers.CONFIGS / 'asl_quicktest.flags'}",
      f"--data_dir={asl_data_dir}", f"--workdir={tmp_path}", "--epochs=1",
      "--steps_per_epoch=2")
  assert result.returncode == 0, result.stderr[-3000:]
  metrics = json.loads((tmp_path / "metrics.json").read_text())
  assert [h["epoch"] for h in metrics["history"]] == [1]
  assert "accuracy" in metrics["test"]
  assert (tmp_path / "export" / "saved_model.pb").exists()


def test_trains_a_model_from_a_module_outside_the_package(asl_data_dir,
                                                          tmp_path,
                                                          monkeypatch):
  (tmp_path / "my_models.py").write_text(
      "import keras\n\n"
      "def tiny(input_shape, num_classes, width=8):\n"
      "  return keras.Sequential([\n"
      "      keras.Input(input_shape), keras.layers.Flatten(),\n"
      "      keras.layers.Dense(width, activation='relu'),\n"
      "      keras.layers.Dense(num_classes, activation='softmax')])\n")
  monkeypatch.syspath_prepend(str(tmp_path))
  config = config_lib.Config(
      data_dir=asl_data_dir, model="my_models:tiny", epochs=1,
      batch_size=16, steps_per_epoch=2, test_split="", summary_images=0,
      model_options={"width": 4})
  metrics = loop.train_and_evaluate(config.validate(), tmp_path / "run")
  assert metrics["history"][0]["epoch"] == 1
  assert (tmp_path / "run" / "export" / "saved_model.pb").exists()
  with pytest.raises(config_lib.ConfigError, match="no function 'nope'"):
    preflight.check(config_lib.Config(model="my_models:nope").validate())
