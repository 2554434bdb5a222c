"""The tf.data service: every example once per epoch, and clear failures."""

from __future__ import annotations

import collections

import keras
import numpy as np
import pytest
import tensorflow as tf

import asl_pipeline
from asl_pipeline import service
from tests import helpers
from trainers import launch_local


def _values(dataset):
  return [int(v) for v in dataset.as_numpy_iterator()]


def test_distributed_epoch_yields_every_example_once_per_epoch(service_cluster):
  ds = service.distribute(tf.data.Dataset.range(100), service_cluster.address)
  for _ in range(2):  # Each pass is a new epoch through the service.
    got = _values(ds)
    assert len(got) == 100
    assert sorted(got) == list(range(100))


def test_batched_dataset_keeps_pairs_and_visits_each_once(service_cluster):
  ds = tf.data.Dataset.range(50).map(lambda i: (i, i * 10)).batch(8)
  ds = service.distribute(ds, service_cluster.address)
  for _ in range(2):
    xs, ys = [], []
    for x, y in ds.as_numpy_iterator():
      assert len(x) <= 8
      xs.extend(x.tolist())
      ys.extend(y.tolist())
    assert sorted(xs) == list(range(50))
    # Batching happened on the workers, so pairs must still match.
    assert ys == [10 * x for x in xs]


def test_parallel_epochs_has_every_worker_produce_everything(service_cluster):
  ds = service.distribute(tf.data.Dataset.range(10), service_cluster.address,
                          processing_mode="parallel_epochs")
  counts = collections.Counter(_values(ds))
  assert counts == {i: len(service_cluster.workers) for i in range(10)}


def test_training_through_the_service_runs_and_learns(service_cluster):
  rng = np.random.default_rng(0)
  x = rng.normal(size=(256, 4)).astype("float32")
  y = (x[:, 0] + x[:, 1] > 0).astype("int32")
  ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
  ds = service.distribute(ds, service_cluster.address)
  keras.utils.set_random_seed(0)
  model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
  optimizer = keras.optimizers.SGD(0.5)
  loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

  train_step = tf.function(helpers.make_train_step(model, optimizer, loss_fn))
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


def test_unknown_processing_mode_is_rejected(service_cluster):
  with pytest.raises(ValueError, match="processing_mode"):
    service.distribute(tf.data.Dataset.range(3), service_cluster.address,
                       processing_mode="every_other_epoch")


def test_an_eval_pass_through_the_service_visits_each_example_once(
    asl_data_dir, service_cluster):
  local = asl_pipeline.eval_dataset("sign_language_mnist", batch_size=32,
                                    split="train", data_dir=asl_data_dir,
                                    assert_cardinality=False)
  expected = collections.Counter(helpers.example_keys(local))
  assert sum(expected.values()) == 480 and max(expected.values()) == 1
  with pytest.raises(ValueError, match="assert_cardinality=False"):
    service.distribute(asl_pipeline.eval_dataset(
        "sign_language_mnist", batch_size=32, split="train",
        data_dir=asl_data_dir), service_cluster.address)
  served = service.distribute(local, service_cluster.address)
  for _ in range(2):  # Each pass is a new epoch of the service.
    assert collections.Counter(helpers.example_keys(served)) == expected


def test_a_cluster_needs_a_worker():
  with pytest.raises(ValueError, match="num_workers=0"):
    service.start_local_cluster(0)
