"""Strategies: bad setups fail clearly; who is chief and writes where.

Mirrored training against one device runs in processes of its own:
`tests/integration/test_distribute.py`.
"""

from __future__ import annotations

import os

import pytest
import tensorflow as tf

from trainers.training import distribute


def test_num_cpu_devices_must_be_positive():
  with pytest.raises(ValueError, match="--num_cpu_devices=0"):
    distribute.make_strategy("mirrored", num_cpu_devices=0)


def test_num_cpu_devices_after_tensorflow_started_says_so():
  tf.constant(1.0) + 1.0  # pylint: disable=expression-not-assigned
  wanted = len(tf.config.list_logical_devices("CPU")) + 2
  with pytest.raises(RuntimeError, match="before any other TensorFlow"):
    distribute.make_strategy("mirrored", num_cpu_devices=wanted)


def test_num_cpu_devices_matching_the_current_layout_is_a_no_op():
  tf.constant(1.0) + 1.0  # pylint: disable=expression-not-assigned
  current = len(tf.config.list_logical_devices("CPU"))
  strategy = distribute.make_strategy("mirrored", num_cpu_devices=current)
  assert strategy.num_replicas_in_sync == current


def test_unknown_strategy_is_rejected():
  with pytest.raises(ValueError, match="--strategy='horovod'"):
    distribute.make_strategy("horovod")


def test_tf_config_that_is_not_json_names_tf_config(monkeypatch):
  monkeypatch.setenv("TF_CONFIG", "{cluster: worker}")
  with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON") as info:
    distribute.make_strategy("multi_worker")
  assert "{cluster: worker}" in str(info.value)


@pytest.mark.parametrize("text, problem", [
    ('["worker"]', "JSON object"),
    ('{"task": {"type": "worker", "index": 0}}', '"cluster"'),
    ('{"cluster": {"worker": "localhost:1"}}', "list of 'HOST:PORT'"),
    ('{"cluster": {"worker": ["localhost:1"]}}', '"task"'),
    ('{"cluster": {"worker": ["localhost:1"]}, '
     '"task": {"type": "chief", "index": 0}}', "task type 'chief'"),
    ('{"cluster": {"worker": ["localhost:1"]}, '
     '"task": {"type": "worker", "index": 1}}', "task index 1"),
])
def test_tf_config_with_missing_parts_says_which(text, problem):
  with pytest.raises(ValueError, match="TF_CONFIG") as info:
    distribute.parse_tf_config(text)
  assert problem in str(info.value)


def test_tf_config_unset_means_a_single_worker(monkeypatch):
  monkeypatch.delenv("TF_CONFIG", raising=False)
  assert distribute.parse_tf_config() is None
  config = distribute.parse_tf_config(
      '{"cluster": {"worker": ["localhost:1", "localhost:2"]}, '
      '"task": {"type": "worker", "index": 1}}')
  assert config["task"]["index"] == 1


def test_tpu_without_a_tpu_says_how_to_name_one(monkeypatch):
  monkeypatch.delenv("TPU_NAME", raising=False)
  with pytest.raises(ValueError, match="--tpu="):
    distribute.make_strategy("tpu")


class _Resolver:
  """The parts of a cluster resolver that the chief rules read."""

  def __init__(self, task_type, task_id, cluster):
    self.task_type, self.task_id = task_type, task_id
    self._cluster = cluster

  def cluster_spec(self):
    return tf.train.ClusterSpec(self._cluster)


class _Strategy:

  def __init__(self, resolver):
    self.cluster_resolver = resolver


_WORKERS = {"worker": ["localhost:1", "localhost:2"]}
_WITH_CHIEF = {"chief": ["localhost:0"], **_WORKERS}


@pytest.mark.parametrize("task_type, task_id, cluster, chief", [
    ("worker", 0, _WORKERS, True),
    ("worker", 1, _WORKERS, False),
    ("chief", 0, _WITH_CHIEF, True),
    ("worker", 0, _WITH_CHIEF, False),
])
def test_chief_rules(task_type, task_id, cluster, chief):
  strategy = _Strategy(_Resolver(task_type, task_id, cluster))
  assert distribute.is_chief(strategy) is chief


def test_single_process_strategies_are_their_own_chief(tmp_path):
  strategy = tf.distribute.get_strategy()
  assert distribute.is_chief(strategy)
  assert distribute.checkpoint_dir_for_worker(str(tmp_path), strategy) == (
      str(tmp_path))
  distribute.remove_worker_checkpoint_dir(str(tmp_path), strategy)
  assert tmp_path.exists()  # The chief's directory is never removed.


def test_non_chief_writes_to_a_temporary_dir_that_is_removed(tmp_path):
  strategy = _Strategy(_Resolver("worker", 1, _WORKERS))
  path = distribute.checkpoint_dir_for_worker(str(tmp_path), strategy)
  assert path != str(tmp_path) and path.startswith(str(tmp_path))
  checkpoint = tf.train.Checkpoint(v=tf.Variable(1.0))
  tf.train.CheckpointManager(checkpoint, path, max_to_keep=1).save()
  assert os.listdir(path)
  distribute.remove_worker_checkpoint_dir(str(tmp_path), strategy)
  assert not os.path.exists(path)
  assert tmp_path.exists()
