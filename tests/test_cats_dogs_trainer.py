"""Tests for the cats/dogs entry point, its flagfiles and the comparison tool."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

from absl import flags
import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from tfds_builders.cats_dogs import make_sample
from trainers import cats_dogs
from trainers.analysis import comparison
from trainers.command_line import config as config_lib
from trainers.command_line import flags as trainer_flags
from trainers.command_line import preflight
from trainers.models import photo_nets
from trainers.run_dir import workdir as workdir_lib

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "trainers" / "configs"
FLAGFILES = sorted(CONFIGS.glob("cats_dogs_*.flags"))


def run_module(module: str, *args: str) -> subprocess.CompletedProcess:
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT,
                        env=env, capture_output=True, text=True, timeout=300,
                        check=False)


@pytest.fixture(scope="module")
def cats_dogs_data_dir(tmp_path_factory):
  root = tmp_path_factory.mktemp("cats_dogs")
  make_sample.make_sample(str(root / "photos"), per_class=12,
                          test_per_class=4, size=48, seed=0)
  builder = tfds.builder("cats_dogs", data_dir=str(root / "tfds"))
  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
      manual_dir=str(root / "photos")))
  return str(root / "tfds")


def test_flagfiles_cover_every_model_and_finetune_strategy():
  configs = {path.name: _config(_parse(f"--flagfile={path}",
                                       "--workdir=/tmp/w"))
             for path in FLAGFILES}
  assert {c.model for c in configs.values()} == set(
      photo_nets.MODELS)
  assert {c.model_options.get("finetune") for c in configs.values()} - {
      None} == set(photo_nets.FINETUNE_STRATEGIES)
  for path in FLAGFILES:
    header = path.read_text().split("\n--")[0]
    assert f"python -m trainers.cats_dogs --flagfile={path.stem}" in header
    assert "Expect" in header, path.name


def _parse(*args: str) -> flags.FlagValues:
  flag_values = flags.FlagValues()
  trainer_flags.define_flags(cats_dogs.DEFAULTS, cats_dogs.MODEL_OPTIONS,
                             flag_values=flag_values)
  flag_values(["cats_dogs", *args])
  return flag_values


def _config(flag_values: flags.FlagValues) -> config_lib.Config:
  return trainer_flags.config_from_flags(flag_values, cats_dogs.DEFAULTS,
                                         cats_dogs.MODEL_OPTIONS)


@pytest.mark.parametrize("path", FLAGFILES, ids=lambda p: p.name)
def test_flagfiles_parse_into_valid_configs(path):
  config = _config(
      _parse(f"--flagfile={path}", "--workdir=/tmp/w"))
  assert config.dataset == "cats_dogs"
  if config.model == "resnet":
    assert config.model_options["finetune"] in path.name


def test_option_the_model_does_not_take_names_the_flag():
  config = _config(_parse("--workdir=/tmp/w", "--model=resnet",
                          "--activation=relu"))
  with pytest.raises(config_lib.ConfigError, match="activation"):
    preflight.check(config)


@pytest.mark.slow
def test_option_the_model_does_not_take_is_rejected_early(cats_dogs_data_dir,
                                                          tmp_path):
  result = run_module("trainers.cats_dogs", "--model=simple_cnn",
                      "--activation=relu", f"--data_dir={cats_dogs_data_dir}",
                      f"--workdir={tmp_path / 'run'}")
  assert result.returncode == 2
  assert "activation" in result.stderr
  assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_trains_predicts_and_compares(cats_dogs_data_dir, tmp_path):
  workdirs = []
  for model, extra in (("simple_cnn", []),
                       ("deep10", ["--activation=relu"])):
    workdir = tmp_path / model
    result = run_module(
        "trainers.cats_dogs", f"--model={model}", *extra,
        f"--data_dir={cats_dogs_data_dir}", f"--workdir={workdir}",
        "--image_size=32,32", "--epochs=2", "--steps_per_epoch=2",
        "--batch_size=8")
    assert result.returncode == 0, result.stderr[-3000:]
    workdirs.append(workdir)

  photo = tmp_path / "photo.jpg"
  Image.fromarray(np.random.default_rng(0).integers(
      0, 255, (90, 120, 3), dtype=np.uint8)).save(photo)
  result = run_module("trainers.predict", f"--model={workdirs[0]}", "--json",
                      str(photo))
  assert result.returncode == 0, result.stderr[-3000:]
  (answer,) = json.loads(result.stdout)
  label = answer.get("label") or answer["predictions"][0]["label"]
  assert label in ("cat", "dog")

  paths = comparison.compare(workdirs, tmp_path / "comparison")
  table = paths["markdown"].read_text()
  assert "| simple_cnn | simple_cnn | 2 |" in table
  assert "deep10 (activation=relu)" in table
  assert Image.open(paths["png"]).size[0] > 100


def test_compare_names_a_workdir_without_a_run(tmp_path):
  with pytest.raises(FileNotFoundError, match="config.json"):
    workdir_lib.load_run(tmp_path)

