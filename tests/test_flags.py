"""Trainer flags: distribution flags parse, validate and reach the config."""

from __future__ import annotations

from absl import flags
import pytest

from tests import helpers
from trainers.command_line import config as config_lib
from trainers.command_line import flags as trainer_flags


def _parse(*args: str) -> flags.FlagValues:
  return helpers.parse_flags(config_lib.Config(), "--workdir=/tmp/w", *args)


@pytest.mark.parametrize("bad, flag", [
    ("--num_cpu_devices=0", "num_cpu_devices"),
    ("--strategy=horovod", "strategy"),
])
def test_bad_distribution_flags_are_rejected_while_parsing(bad, flag):
  with pytest.raises(flags.Error, match=flag):
    _parse(bad)


def test_distribution_flags_reach_the_config():
  config = trainer_flags.config_from_flags(
      _parse("--strategy=mirrored", "--num_cpu_devices=2",
             "--data_service=grpc://localhost:5050"), config_lib.Config())
  assert (config.strategy, config.num_cpu_devices, config.data_service) == (
      "mirrored", 2, "grpc://localhost:5050")
  assert config_lib.Config.from_json(config.to_json()) == config
