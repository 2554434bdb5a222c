"""The cats/dogs trainer for real: a run, a prediction, a comparison."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from tests import helpers
from trainers import cats_dogs
from trainers.analysis import comparison
from trainers.command_line import flags as trainer_flags
from trainers.training import loop


def test_option_the_model_does_not_take_is_rejected_early(cats_dogs_data_dir,
                                                          tmp_path, capsys):
  # The command's flags and main in this process: a usage error's own
  # process is in test_commands.py.
  status = helpers.execute("trainers.cats_dogs", "--model=simple_cnn",
                           "--activation=relu",
                           f"--data_dir={cats_dogs_data_dir}",
                           f"--workdir={tmp_path / 'run'}")
  assert status == 2
  assert "activation" in capsys.readouterr().err
  assert not (tmp_path / "run").exists()


def test_trains_predicts_and_compares(cats_dogs_data_dir, tmp_path, capsys,
                                      monkeypatch):
  workdirs = [tmp_path / "simple_cnn", tmp_path / "deep10"]
  common = [f"--data_dir={cats_dogs_data_dir}", "--image_size=32,32",
            "--epochs=2", "--steps_per_epoch=2", "--batch_size=8"]
  # The command, once; the second run is the config the same command line
  # gives, trained in this process (a TensorFlow start-up less).
  result = helpers.run_module("trainers.cats_dogs", "--model=simple_cnn",
                              f"--workdir={workdirs[0]}", *common)
  assert result.returncode == 0, result.stderr[-3000:]
  flag_values = helpers.parse_flags(
      cats_dogs.DEFAULTS, "--model=deep10", "--activation=relu",
      f"--workdir={workdirs[1]}", *common,
      model_options=cats_dogs.MODEL_OPTIONS, program="cats_dogs")
  helpers.skip_export(monkeypatch)  # Only the first run's export is read.
  loop.train_and_evaluate(trainer_flags.config_from_flags(
      flag_values, cats_dogs.DEFAULTS, cats_dogs.MODEL_OPTIONS), workdirs[1])

  photo = tmp_path / "photo.jpg"
  Image.fromarray(np.random.default_rng(0).integers(
      0, 255, (90, 120, 3), dtype=np.uint8)).save(photo)
  capsys.readouterr()
  # The predict command in this process (its own process: test_predict.py).
  status = helpers.execute("trainers.predict", f"--model={workdirs[0]}",
                           "--json", str(photo))
  result = capsys.readouterr()
  assert status == 0, result.err[-3000:]
  (answer,) = json.loads(result.out)
  label = answer.get("label") or answer["predictions"][0]["label"]
  assert label in ("cat", "dog")

  paths = comparison.compare(workdirs, tmp_path / "comparison")
  table = paths["markdown"].read_text()
  assert "| simple_cnn | cats_dogs | simple_cnn | 2 |" in table
  assert "deep10 (activation=relu)" in table
  assert Image.open(paths["png"]).size[0] > 100
