"""Tests for the ASL entry point: flagfiles, early flag errors, a real run."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

from absl import flags
import pytest

from trainers import asl
from trainers.command_line import config as config_lib
from trainers.command_line import flags as trainer_flags
from trainers.command_line import preflight

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "trainers" / "configs"
DEFAULTS = asl.DEFAULTS


def parse(*args: str) -> flags.FlagValues:
  flag_values = flags.FlagValues()
  trainer_flags.define_flags(DEFAULTS, flag_values=flag_values)
  flag_values(["asl", *args])
  flag_values.validate_all_flags()
  return flag_values


def to_config(flag_values) -> config_lib.Config:
  return trainer_flags.config_from_flags(flag_values, DEFAULTS)


def test_course_flagfile_gives_the_course_recipe():
  config = to_config(parse(f"--flagfile={CONFIGS / 'asl.flags'}",
                           "--workdir=/tmp/w", "--data_dir=/tmp/d"))
  assert (config.model, config.epochs, config.batch_size, config.optimizer,
          config.augment, config.mode) == ("dli_cnn", 20, 32, "adam",
                                           "device", "function")
  assert config.data_dir == "/tmp/d"
  assert config.validation_split == "train[90%:]"


@pytest.mark.parametrize("name", ["asl_quicktest.flags", "asl_demo.flags"])
def test_every_flagfile_parses_and_says_how_to_run_it(name):
  text = (CONFIGS / name).read_text()
  assert "python -m trainers.asl" in text.split("\n--")[0]
  to_config(parse(f"--flagfile={CONFIGS / name}", "--workdir=/tmp/w"))


def test_command_line_overrides_the_flagfile():
  config = to_config(parse(f"--flagfile={CONFIGS / 'asl.flags'}",
                           "--workdir=/tmp/w", "--epochs=2",
                           "--image_size=32,30", "--mixed_precision"))
  assert (config.epochs, config.image_size, config.precision) == (
      2, (32, 30), "mixed_float16")


@pytest.mark.parametrize("bad,flag", [
    ("--epochs=-1", "epochs"), ("--epochs=0", "epochs"),
    ("--batch_size=0", "batch_size"), ("--precision=float16", "precision"),
    ("--optimizer=adagrad", "optimizer"), ("--mode=graph", "mode"),
    ("--augment=cpu", "augment"), ("--learning_rate=0", "learning_rate"),
    ("--steps_per_epoch=0", "steps_per_epoch"),
    ("--early_stopping_patience=-2", "early_stopping_patience"),
    ("--image_size=28,0", "image_size"), ("--image_size=1,2,3", "image_size"),
    ("--learning_rate=inf", "learning_rate"), ("--seed=-1", "seed"),
    ("--seed=4294967296", "seed"),
])
def test_bad_values_are_rejected_while_parsing(bad, flag):
  with pytest.raises(flags.Error, match=flag):
    parse("--workdir=/tmp/w", bad)


def test_image_size_takes_a_side_or_height_and_width():
  assert to_config(parse("--workdir=/tmp/w", "--image_size=32")
                   ).image_size == (32, 32)
  assert to_config(parse("--workdir=/tmp/w", "--image_size=32,30")
                   ).image_size == (32, 30)


@pytest.mark.parametrize("args,flag", [
    (("--mode=eager", "--jit_compile"), "--jit_compile"),
    (("--mixed_precision", "--precision=mixed_bfloat16"), "--mixed_precision"),
])
def test_combinations_are_rejected_naming_the_flag(args, flag):
  with pytest.raises(config_lib.ConfigError, match=flag):
    to_config(parse("--workdir=/tmp/w", *args))


@pytest.mark.parametrize("model", ["nope", "no_such_module:build"])
def test_unknown_models_are_refused_before_any_work(model):
  config = to_config(parse("--workdir=/tmp/w", f"--model={model}"))
  with pytest.raises(config_lib.ConfigError, match="--model"):
    preflight.check(config)


def test_workdir_is_required():
  with pytest.raises(flags.Error, match="workdir"):
    parse("--epochs=1")


def run_trainer(*args: str) -> subprocess.CompletedProcess:
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  return subprocess.run([sys.executable, "-m", "trainers.asl", *args],
                        cwd=ROOT, env=env, capture_output=True, text=True,
                        timeout=300, check=False)


@pytest.mark.slow
def test_entry_point_fails_before_any_work(tmp_path):
  workdir = tmp_path / "run"
  result = run_trainer(f"--flagfile={CONFIGS / 'asl.flags'}",
                       f"--workdir={workdir}", "--epochs=-1")
  assert result.returncode != 0
  assert "--epochs" in result.stderr
  assert not workdir.exists()


@pytest.mark.slow
def test_entry_point_trains_and_exports(asl_data_dir, tmp_path):
  result = run_trainer(f"--flagfile={CONFIGS / 'asl_quicktest.flags'}",
                       f"--data_dir={asl_data_dir}", f"--workdir={tmp_path}",
                       "--epochs=1", "--steps_per_epoch=2")
  assert result.returncode == 0, result.stderr[-3000:]
  metrics = json.loads((tmp_path / "metrics.json").read_text())
  assert [h["epoch"] for h in metrics["history"]] == [1]
  assert "accuracy" in metrics["test"]
  assert (tmp_path / "export" / "saved_model.pb").exists()


def test_help_lists_the_trainer_flags_and_a_flag_error_is_one_line(tmp_path):
  # Neither needs TensorFlow: both answer before it is imported.
  result = run_trainer("--help")
  for flag in ("--steps_per_loop", "--precision", "--checkpoint_every_steps",
               "--precise_bn_batches", "--model", "--workdir"):
    assert flag in result.stdout, flag
  assert "--tfds_" not in result.stdout  # Not TFDS's or TensorFlow's flags.

  assert result.returncode == 0
  result = run_trainer("--epochs=0", f"--workdir={tmp_path / 'run'}")
  assert result.returncode == 2
  assert result.stderr.strip().splitlines() == [
      "trainers.asl: error: flag --epochs=0: 0 is not a positive integer"]
  assert not (tmp_path / "run").exists()


def test_a_shipped_flagfile_is_found_by_name_from_anywhere(tmp_path):
  result = subprocess.run(
      [sys.executable, "-m", "trainers.asl", "--flagfile=asl_demo",
       "--epochs=0", f"--workdir={tmp_path / 'run'}"], cwd=tmp_path,
      capture_output=True, text=True, timeout=120, check=False)
  # The flagfile was read (no "not found"); the flag after it still wins.
  assert result.stderr.strip().splitlines() == [
      "trainers.asl: error: flag --epochs=0: 0 is not a positive integer"]


@pytest.mark.slow
def test_a_dataset_never_built_is_a_usage_error_and_creates_nothing(tmp_path):
  from trainers.training import loop  # pylint: disable=g-import-not-at-top
  config = to_config(parse("--workdir=/tmp/w",
                           f"--data_dir={tmp_path / 'empty'}"))
  with pytest.raises(config_lib.ConfigError, match="not built"):
    loop.train_and_evaluate(config, tmp_path / "run")
  assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_trains_a_model_from_a_module_outside_the_package(asl_data_dir,
                                                          tmp_path,
                                                          monkeypatch):
  from trainers.training import loop  # pylint: disable=g-import-not-at-top
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
