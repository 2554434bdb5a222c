"""The ASL entry point: flagfiles, and flag errors answered before TensorFlow.

Its real runs are in `tests/integration/test_asl_trainer.py`.
"""

from __future__ import annotations

import subprocess

from absl import flags
import pytest

from tests import helpers
from trainers import asl
from trainers.command_line import config as config_lib
from trainers.command_line import flags as trainer_flags
from trainers.command_line import preflight

CONFIGS = helpers.CONFIGS
DEFAULTS = asl.DEFAULTS


def parse(*args: str) -> flags.FlagValues:
  return helpers.parse_flags(DEFAULTS, *args)


def to_config(flag_values) -> config_lib.Config:
  return trainer_flags.config_from_flags(flag_values, DEFAULTS)


def test_course_flagfile_gives_the_course_recipe():
  config = to_config(parse(f"--flagfile={CONFIGS / 'asl.flags'}",
                           "--workdir=/tmp/w", "--data_dir=/tmp/d"))
  assert (config.model, config.epochs, config.batch_size, config.optimizer,
          config.augment, config.mode) == ("dli_cnn", 20, 32, "adam",
                                           "device", "function")
  assert config.data_dir == "/tmp/d"
  assert (config.train_split, config.validation_split,
          config.test_split) == ("train", "auto", "auto")


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


def run_trainer(*args: str, **kwargs) -> subprocess.CompletedProcess:
  return helpers.run_module("trainers.asl", *args, **kwargs)


# The commands below answer before TensorFlow is imported: quick processes.


def test_entry_point_fails_before_any_work(tmp_path):
  workdir = tmp_path / "run"
  result = run_trainer(f"--flagfile={CONFIGS / 'asl.flags'}",
                       f"--workdir={workdir}", "--epochs=-1")
  assert result.returncode != 0
  assert "--epochs" in result.stderr
  assert not workdir.exists()


def test_help_lists_the_trainer_flags_and_a_flag_error_is_one_line(tmp_path):
  # Neither needs TensorFlow: both answer before it is imported.
  result = run_trainer("--help")
  for flag in ("--steps_per_loop", "--precision", "--checkpoint_every_steps",
               "--precise_bn_batches", "--model", "--workdir"):
    assert flag in result.stdout, flag
  assert "--tfds_" not in result.stdout  # Not TFDS's or TensorFlow's flags.

  result = run_trainer("--epochs=0", f"--workdir={tmp_path / 'run'}")
  assert result.returncode == 2
  assert result.stderr.strip().splitlines() == [
      "trainers.asl: error: flag --epochs=0: 0 is not a positive integer"]
  assert not (tmp_path / "run").exists()


def test_a_shipped_flagfile_is_found_by_name_from_anywhere(tmp_path):
  result = run_trainer("--flagfile=asl_demo", "--epochs=0",
                       f"--workdir={tmp_path / 'run'}", cwd=tmp_path)
  # The flagfile was read (no "not found"); the flag after it still wins.
  assert result.stderr.strip().splitlines() == [
      "trainers.asl: error: flag --epochs=0: 0 is not a positive integer"]
