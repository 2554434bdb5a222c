"""The training loop end to end, and the setups it refuses before any work.

As flax's `train_test.py`: the whole `train_and_evaluate` on a tiny run
(the session's `trained_asl_run`: two epochs of two steps on generated
data), then every output it promises. Runs of other kinds are in
`tests/integration/test_loop.py`.
"""

from __future__ import annotations

import pytest

from tests import helpers
from trainers import launch_local
from trainers.command_line import config as config_lib
from trainers.training import loop


def _config(data_dir, **overrides) -> config_lib.Config:
  values = dict(data_dir=data_dir, model="lenet5", epochs=1, batch_size=16,
                steps_per_epoch=2, augment="none", summary_images=0)
  values.update(overrides)
  return config_lib.Config(**values)


def test_train_and_evaluate_writes_every_output(trained_asl_run):
  helpers.check_finished_run(trained_asl_run.workdir, trained_asl_run.metrics,
                             trained_asl_run.config)


def test_a_dataset_never_built_is_a_usage_error_and_creates_nothing(
    tmp_path):
  config = _config(str(tmp_path / "empty"))
  with pytest.raises(config_lib.ConfigError, match="not built"):
    loop.train_and_evaluate(config, tmp_path / "run")
  assert not (tmp_path / "run").exists()


def test_a_workdir_that_is_a_file_is_refused(asl_data_dir, tmp_path):
  path = tmp_path / "file"
  path.write_text("")
  with pytest.raises(config_lib.ConfigError, match="is a file"):
    loop.train_and_evaluate(_config(asl_data_dir), path)


def test_a_data_service_nobody_listens_on_fails_naming_it(asl_data_dir,
                                                          tmp_path,
                                                          monkeypatch):
  monkeypatch.setattr(loop, "_DISPATCHER_TIMEOUT_S", 1.0)
  port, = launch_local.free_ports(1)
  config = _config(asl_data_dir, data_service=f"grpc://localhost:{port}")
  with pytest.raises(ConnectionError, match=f"localhost:{port}"):
    loop.train_and_evaluate(config, tmp_path / "run")
  assert not (tmp_path / "run").exists()  # Failed before any work.


def test_tf_config_that_is_not_json_fails_naming_it(asl_data_dir, tmp_path,
                                                    monkeypatch):
  monkeypatch.setenv("TF_CONFIG", "{worker: [localhost:1]}")
  config = _config(asl_data_dir, strategy="multi_worker")
  with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
    loop.train_and_evaluate(config, tmp_path / "run")
