"""The training configuration: combinations it refuses name the flag."""

from __future__ import annotations

import pytest

from trainers.command_line import config as config_lib


@pytest.mark.parametrize("overrides, flag", [
    (dict(data_service="grpc://localhost"), "--data_service"),
    (dict(data_service="http://localhost:5050"), "--data_service"),
    (dict(tpu="my-tpu"), "--tpu"),
    (dict(num_cpu_devices=0), "--num_cpu_devices"),
])
def test_bad_distribution_configs_name_the_flag(overrides, flag):
  with pytest.raises(ValueError, match=flag):
    config_lib.Config(**overrides).validate()
