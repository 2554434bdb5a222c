"""The tf.data service: every example once per epoch, and clear failures."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from asl_pipeline import service
from trainers import launch_local


@pytest.fixture(scope="module")
def cluster():
  """A dispatcher and two workers in this process, loopback only."""
  with service.start_local_cluster(num_workers=2) as local:
    yield local


def _values(dataset):
  return [int(v) for v in dataset.as_numpy_iterator()]


def test_distributed_epoch_yields_every_example_once_per_epoch(cluster):
  ds = service.distribute(tf.data.Dataset.range(100), cluster.address)
  for _ in range(2):  # Each pass is a new epoch through the service.
    got = _values(ds)
    assert len(got) == 100
    assert sorted(got) == list(range(100))


def test_batched_dataset_keeps_pairs_and_visits_each_once(cluster):
  ds = tf.data.Dataset.range(50).map(lambda i: (i, i * 10)).batch(8)
  ds = service.distribute(ds, cluster.address)
  for _ in range(2):
    xs, ys = [], []
    for x, y in ds.as_numpy_iterator():
      assert len(x) <= 8
      xs.extend(x.tolist())
      ys.extend(y.tolist())
    assert sorted(xs) == list(range(50))
    # Batching happened on the workers, so pairs must still match.
    assert ys == [10 * x for x in xs]


def test_parallel_epochs_has_every_worker_produce_everything(cluster):
  ds = service.distribute(tf.data.Dataset.range(10), cluster.address,
                          processing_mode="parallel_epochs")
  counts = collections.Counter(_values(ds))
  assert counts == {i: len(cluster.workers) for i in range(10)}


def test_training_through_the_service_runs_and_learns(cluster):
  rng = np.random.default_rng(0)
  x = rng.normal(size=(256, 4)).astype("float32")
  y = (x[:, 0] + x[:, 1] > 0).astype("int32")
  ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
  ds = service.distribute(ds, cluster.address)
  keras.utils.set_random_seed(0)
  model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
  optimizer = keras.optimizers.SGD(0.5)
  loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

  @tf.function
  def train_step(images, labels):
    with tf.GradientTape() as tape:
      loss = loss_fn(labels, model(images, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss

  epoch_losses = []
  for _ in range(4):
    seen, losses = 0, []
    for images, labels in ds:
      losses.append(float(train_step(images, labels)))
      seen += len(labels)
    assert seen == 256  # A full epoch each time, nothing lost or repeated.
    epoch_losses.append(np.mean(losses))
  assert np.all(np.isfinite(epoch_losses))
  assert epoch_losses[-1] < 0.5 * epoch_losses[0]


def test_address_nobody_listens_on_fails_fast_naming_it():
  port, = launch_local.free_ports(1)
  address = f"grpc://localhost:{port}"
  with pytest.raises(ConnectionError, match=f"localhost:{port}"):
    service.distribute(tf.data.Dataset.range(3), address, timeout_s=1.0)


@pytest.mark.parametrize("address", [
    "localhost", "localhost:", "http://localhost:5050", "grpc://:5050",
    "grpc://localhost:port", "grpc://localhost:0", "grpc://localhost:70000",
    "grpc://localhost:5050/x",
])
def test_malformed_address_is_a_value_error_quoting_it(address):
  with pytest.raises(ValueError, match="tf.data service address") as info:
    service.distribute(tf.data.Dataset.range(3), address)
  assert repr(address) in str(info.value)


def test_parse_address_accepts_the_usual_forms():
  assert service.parse_address("grpc://localhost:5050") == ("localhost", 5050)
  assert service.parse_address("10.0.0.2:7000") == ("10.0.0.2", 7000)
  assert service.parse_address("grpc://[::1]:5050") == ("::1", 5050)


def test_unknown_processing_mode_is_rejected(cluster):
  with pytest.raises(ValueError, match="processing_mode"):
    service.distribute(tf.data.Dataset.range(3), cluster.address,
                       processing_mode="every_other_epoch")


def test_a_cluster_needs_a_worker():
  with pytest.raises(ValueError, match="num_workers=0"):
    service.start_local_cluster(0)


def _start(*args):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
  return subprocess.Popen(
      [sys.executable, "-m", "asl_pipeline.service", *args], env=env,
      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stop(proc):
  """SIGTERM, then the exit code and output; kills it if it hangs."""
  proc.send_signal(signal.SIGTERM)
  try:
    out, _ = proc.communicate(timeout=30)
  except subprocess.TimeoutExpired:
    proc.kill()
    out, _ = proc.communicate()
    pytest.fail(f"did not exit on SIGTERM:\n{out}")
  return proc.returncode, out


@pytest.mark.slow
def test_command_line_servers_serve_an_epoch_and_stop_on_sigterm():
  dispatcher_port, worker_port = launch_local.free_ports(2)
  dispatcher = _start("dispatcher", f"--port={dispatcher_port}")
  worker = _start("worker", f"--dispatcher=localhost:{dispatcher_port}",
                  f"--port={worker_port}")
  try:
    # Generous: both processes import TensorFlow before listening.
    ds = service.distribute(tf.data.Dataset.range(20),
                            f"grpc://localhost:{dispatcher_port}",
                            timeout_s=60.0)
    assert sorted(_values(ds)) == list(range(20))
  finally:
    worker_code, worker_out = _stop(worker)
    dispatcher_code, dispatcher_out = _stop(dispatcher)
  assert worker_code == 0, worker_out
  assert dispatcher_code == 0, dispatcher_out
  assert f"listening at grpc://localhost:{dispatcher_port}" in dispatcher_out
  assert f"worker at localhost:{worker_port}" in worker_out
  assert "stopped" in worker_out and "stopped" in dispatcher_out
