"""Precise BatchNorm: what it changes, what it leaves alone, and why.

Whole runs on small data, and two mirrored replicas, are in
tests/integration/test_precise_bn.py.
"""

from __future__ import annotations


import keras
import numpy as np
import pytest
import tensorflow as tf

from trainers import models
from trainers.training import precise_bn

_BATCH = 32


def _images(n, seed=0, shape=(28, 28, 1)):
  return np.random.default_rng(seed).random((n, *shape), np.float32)


def _snapshot(model):
  return {v.path: np.array(v.numpy()) for v in model.variables}


def _is_statistic(path):
  return path.endswith(("/moving_mean", "/moving_variance"))


def test_model_without_batchnorm_is_untouched():
  model = models.build_model("lenet5", input_shape=(28, 28, 1),
                             num_classes=24)
  before = _snapshot(model)
  batches = tf.data.Dataset.from_tensor_slices(_images(64)).batch(_BATCH)
  assert precise_bn.PreciseBatchNorm(model)(batches, 2) == 0
  after = _snapshot(model)
  assert all(np.array_equal(before[k], after[k]) for k in before)


def test_only_the_statistics_change_and_they_are_the_inputs_moments():
  keras.utils.set_random_seed(0)
  model = models.build_model("dli_cnn", input_shape=(28, 28, 1),
                             num_classes=24)
  images = _images(4 * _BATCH)
  batches = tf.data.Dataset.from_tensor_slices(
      (images, np.zeros(len(images), np.int64))).batch(_BATCH)
  before = _snapshot(model)
  assert precise_bn.PreciseBatchNorm(model)(batches, 4) == 3
  after = _snapshot(model)
  # Weights, gamma and beta, and Dropout's random state: bit-identical.
  unchanged = [k for k in before if not _is_statistic(k)]
  assert len(unchanged) == len(before) - 6
  for k in unchanged:
    np.testing.assert_array_equal(before[k], after[k], err_msg=k)
  assert not np.array_equal(before["dli_cnn/bn1/moving_mean"],
                            after["dli_cnn/bn1/moving_mean"])
  # bn1 sees conv1's output: its statistics are those of all the inputs.
  probe = keras.Model(model.inputs[0], model.get_layer("conv1").output)
  features = probe(images).numpy().reshape(4, -1, 75)  # [batch, pixel, ch]
  bn1 = model.get_layer("bn1")
  np.testing.assert_allclose(bn1.moving_mean.numpy(),
                             features.mean(axis=(0, 1)), rtol=1e-5,
                             atol=1e-6)
  np.testing.assert_allclose(bn1.moving_variance.numpy(),
                             features.reshape(-1, 75).var(axis=0),
                             rtol=1e-4, atol=1e-6)
  assert bn1.momentum == 0.99 and "call" not in vars(bn1)

  # pycls's variant: the average of the batch variances.
  recompute = precise_bn.PreciseBatchNorm(model, between_batch_variance=False)
  recompute(batches, 4)
  np.testing.assert_allclose(bn1.moving_variance.numpy(),
                             features.var(axis=1).mean(axis=0),
                             rtol=1e-4, atol=1e-6)


def test_nested_models_are_searched_and_frozen_batchnorms_kept():
  keras.utils.set_random_seed(0)
  inner = keras.Sequential([
      keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, name="conv"),
      keras.layers.BatchNormalization(name="inner_bn")], name="inner")
  frozen = keras.layers.BatchNormalization(name="frozen_bn")
  inputs = keras.Input((8, 8, 3))
  x = frozen(inner(inputs))
  x = keras.layers.GlobalAveragePooling2D()(x)
  x = keras.layers.BatchNormalization(name="outer_bn")(x)
  model = keras.Model(inputs, keras.layers.Dense(2)(x))
  frozen.trainable = False
  frozen.moving_mean.assign(np.full(4, 7.0, np.float32))
  batches = tf.data.Dataset.from_tensor_slices(
      _images(48, shape=(8, 8, 3))).batch(16)
  recompute = precise_bn.PreciseBatchNorm(model)
  assert [layer.name for layer in recompute.layers] == ["inner_bn",
                                                        "outer_bn"]
  assert recompute(batches, 3) == 2
  # A frozen batch norm normalizes with its stored statistics in training
  # too: they are the model's, not stale estimates.
  np.testing.assert_array_equal(frozen.moving_mean.numpy(), np.full(4, 7.0))
  assert not np.allclose(model.get_layer("inner").get_layer(
      "inner_bn").moving_mean.numpy(), 0.0)
  # Called again (as before every evaluation): traced once.
  recompute(batches, 3)
  assert recompute._pass.experimental_get_tracing_count() == 1  # pylint: disable=protected-access


def test_too_few_batches_leave_the_statistics_as_they_were():
  model = models.build_model("dli_cnn", input_shape=(28, 28, 1),
                             num_classes=24)
  before = _snapshot(model)
  batches = tf.data.Dataset.from_tensor_slices(_images(64)).batch(_BATCH)
  with pytest.raises(ValueError, match="has 2 batches, fewer than the 3"):
    precise_bn.PreciseBatchNorm(model)(batches, 3)
  # An iterator's length is unknown until it runs out mid-pass.
  with pytest.raises(ValueError, match="ran out before 3 batches"):
    precise_bn.PreciseBatchNorm(model)(iter(batches), 3)
  after = _snapshot(model)
  assert all(np.array_equal(before[k], after[k]) for k in before)
  with pytest.raises(ValueError, match="num_batches must be at least 1"):
    precise_bn.PreciseBatchNorm(model)(batches, 0)


def test_mixed_precision_keeps_float32_statistics():
  previous = keras.config.dtype_policy()
  keras.config.set_dtype_policy("mixed_float16")
  try:
    model = models.build_model("dli_cnn", input_shape=(28, 28, 1),
                               num_classes=24)
  finally:
    keras.config.set_dtype_policy(previous)
  images = _images(2 * _BATCH)
  batches = tf.data.Dataset.from_tensor_slices(images).batch(_BATCH)
  assert precise_bn.PreciseBatchNorm(model)(batches, 2) == 3
  bn1 = model.get_layer("bn1")
  assert bn1.moving_mean.dtype == "float32"
  probe = keras.Model(model.inputs[0], model.get_layer("conv1").output)
  features = tf.cast(probe(images), tf.float32).numpy().reshape(-1, 75)
  np.testing.assert_allclose(bn1.moving_mean.numpy(), features.mean(axis=0),
                             rtol=2e-3, atol=1e-3)
