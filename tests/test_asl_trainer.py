"""Tests for the ASL entry point: flagfiles, early flag errors, a real run."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

from absl import flags
import pytest

from trainers import config as config_lib
from trainers import flags as trainer_flags

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "trainers" / "configs"
# As `trainers.asl.DEFAULTS` (importing that module would define its flags
# globally, beside the cats/dogs trainer's in the same test process).
DEFAULTS = config_lib.Config(dataset="sign_language_mnist")


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
    ("--image_size=28", "image_size"),
])
def test_bad_values_are_rejected_while_parsing(bad, flag):
  with pytest.raises(flags.Error, match=flag):
    parse("--workdir=/tmp/w", bad)


@pytest.mark.parametrize("args,flag", [
    (("--mode=eager", "--jit_compile"), "--jit_compile"),
    (("--model=nope",), "--model"),
    (("--model=no_such_module:build",), "--model"),
    (("--mixed_precision", "--precision=mixed_bfloat16"), "--mixed_precision"),
])
def test_combinations_are_rejected_naming_the_flag(args, flag):
  with pytest.raises(ValueError, match=flag):
    to_config(parse("--workdir=/tmp/w", *args))


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
