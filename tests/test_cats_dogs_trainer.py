"""The cats/dogs entry point: flagfiles and model options.

Its real runs are in `tests/integration/test_cats_dogs_trainer.py`.
"""

from __future__ import annotations

from absl import flags
import pytest

from tests import helpers
from trainers import cats_dogs
from trainers.command_line import config as config_lib
from trainers.command_line import flags as trainer_flags
from trainers.command_line import preflight
from trainers.models import photo_nets

FLAGFILES = sorted(helpers.CONFIGS.glob("cats_dogs_*.flags"))


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
  return helpers.parse_flags(cats_dogs.DEFAULTS, *args,
                             model_options=cats_dogs.MODEL_OPTIONS,
                             program="cats_dogs")


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
