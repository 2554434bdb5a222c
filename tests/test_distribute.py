"""Strategies: mirrored equals single-device, and bad setups fail clearly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from trainers.training import distribute

# Logical CPUs must be configured before TensorFlow initializes, which the
# test process has long done: this runs in a fresh interpreter.
_MIRRORED_STEP = textwrap.dedent("""
    import json
    import numpy as np
    from trainers.training import distribute
    strategy = distribute.make_strategy("mirrored", num_cpu_devices=2)
    import keras
    import tensorflow as tf

    GLOBAL_BATCH = 8
    rng = np.random.default_rng(0)
    images = rng.normal(size=(GLOBAL_BATCH, 6)).astype("float32")
    labels = rng.integers(0, 3, size=(GLOBAL_BATCH,)).astype("int32")

    def build():
      return keras.Sequential([keras.Input((6,)),
                               keras.layers.Dense(5, activation="relu"),
                               keras.layers.Dense(3)])

    keras.utils.set_random_seed(1)
    initial = build().get_weights()

    def one_step(strat):
      with strat.scope():
        model = build()
        model.set_weights(initial)
        optimizer = keras.optimizers.SGD(0.5)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(
            from_logits=True)

      @tf.function
      def step(x, y):
        with tf.GradientTape() as tape:
          # No division by the replica count here: Keras 3 losses already
          # scale by 1 / num_replicas_in_sync under a strategy.
          loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

      ds = tf.data.Dataset.from_tensor_slices((images, labels))
      x, y = next(iter(strat.experimental_distribute_dataset(
          ds.batch(GLOBAL_BATCH))))
      per_replica = strat.run(step, args=(x, y))
      total = strat.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
      local = strat.experimental_local_results(per_replica)
      return {"loss": float(total),
              "replica_losses": [float(v) for v in local],
              "replica_batches": [int(v.shape[0]) for v in
                                  strat.experimental_local_results(x)],
              "weights": [w.tolist() for w in model.get_weights()]}

    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "initial": [w.tolist() for w in initial],
        "devices": list(strategy.extended.worker_devices),
        "default": one_step(tf.distribute.get_strategy()),
        "mirrored": one_step(strategy)}))
""")


@pytest.fixture(scope="module")
def mirrored_vs_default(tmp_path_factory):
  script = tmp_path_factory.mktemp("mirrored") / "step.py"
  script.write_text(_MIRRORED_STEP)
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  run = subprocess.run([sys.executable, str(script)], env=env,
                       capture_output=True, text=True, timeout=240,
                       check=False)
  assert run.returncode == 0, run.stderr[-3000:]
  return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_mirrored_on_two_logical_cpus_matches_default(mirrored_vs_default):
  result = mirrored_vs_default
  assert result["replicas"] == 2
  assert len(set(result["devices"])) == 2
  default, mirrored = result["default"], result["mirrored"]
  assert mirrored["replica_batches"] == [4, 4]  # The global batch, split.
  np.testing.assert_allclose(mirrored["loss"], default["loss"], rtol=1e-5)
  for got, want in zip(mirrored["weights"], default["weights"]):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
  # The step moved the weights, so the match is not between two no-ops.
  assert not np.allclose(default["weights"][0], result["initial"][0])


@pytest.mark.slow
def test_keras_losses_already_divide_by_the_replica_count(
    mirrored_vs_default):
  default, mirrored = (mirrored_vs_default["default"],
                       mirrored_vs_default["mirrored"])
  replica_losses = np.array(mirrored["replica_losses"])
  # Each replica reports (mean over its 4 examples) / 2: their SUM is the
  # global mean; averaging them, or dividing again, halves the loss.
  np.testing.assert_allclose(replica_losses.sum(), default["loss"],
                             rtol=1e-5)
  assert not np.isclose(replica_losses.mean(), default["loss"], rtol=0.05)


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
