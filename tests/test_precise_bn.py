"""Precise BatchNorm: what it changes, what it leaves alone, and why.

The last test is the small-data case: dli_cnn trained on 200 rows in batches
of 32 (6 steps an epoch) validates at chance with its moving statistics,
and far above it with statistics recomputed from training batches.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import asl_pipeline
import conftest  # pylint: disable=g-bad-import-order
from trainers import models
from trainers.training import precise_bn

_BATCH = 32
_ROOT = pathlib.Path(__file__).resolve().parents[1]


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


def _accuracy(model, dataset):
  correct = count = 0
  for images, labels in dataset:
    predicted = np.argmax(model(images, training=False), axis=-1)
    correct += int(np.sum(predicted == labels.numpy()))
    count += len(labels)
  return correct / count


@pytest.mark.slow
def test_small_data_validates_far_above_chance_only_with_precise_bn(
    tmp_path):
  from trainers.command_line import config as config_lib  # pylint: disable=g-import-not-at-top
  from trainers.training import loop  # pylint: disable=g-import-not-at-top
  data_dir = tmp_path / "tfds"
  conftest.build_sign_language_mnist(tmp_path / "csv", data_dir,
                                     train_rows=200, test_rows=240, seed=0)
  held_out = asl_pipeline.eval_dataset(
      "sign_language_mnist", split="test", batch_size=240,
      data_dir=str(data_dir))
  best = {}
  for batches in (0, 50):
    # 5 epochs of 6 steps: the weights learn, while momentum 0.99 leaves the
    # moving statistics mostly those of the random initial weights.
    config = config_lib.Config(
        data_dir=str(data_dir), epochs=5, batch_size=_BATCH, augment="none",
        train_split="train", validation_split="test", test_split="",
        summary_images=0, precise_bn_batches=batches)
    workdir = tmp_path / f"run{batches}"
    metrics = loop.train_and_evaluate(config, workdir)
    best[batches] = max(h["val_accuracy"] for h in metrics["history"])
    # The saved model carries the statistics its validation used.
    saved = keras.models.load_model(workdir / "model.keras")
    assert _accuracy(saved, held_out) == pytest.approx(
        metrics["best"]["val_accuracy"], abs=1e-6)
  # Chance is 1/24 = 0.042; measured: 0.04-0.05 moving, 0.40-0.42 precise
  # over 4 seeds.
  assert best[0] < 0.1, best
  assert best[50] > 0.25, best


# Two logical CPUs must be made before TensorFlow starts: a process of its
# own.
_MIRRORED = textwrap.dedent("""
    import json
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from trainers import models
    from trainers.training import precise_bn
    keras.utils.set_random_seed(0)
    one = models.build_model("dli_cnn", input_shape=(28, 28, 1),
                             num_classes=24)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
      two = models.build_model("dli_cnn", input_shape=(28, 28, 1),
                               num_classes=24)
    two.set_weights(one.get_weights())
    x = np.random.default_rng(0).random((128, 28, 28, 1), np.float32)
    batches = lambda size: tf.data.Dataset.from_tensor_slices(x).batch(size)
    precise_bn.PreciseBatchNorm(one)(batches(16), 8)
    precise_bn.PreciseBatchNorm(two, strategy=strategy)(batches(32), 4)
    out = {}
    for name in ("bn1", "bn2", "bn3"):
      for stat in ("moving_mean", "moving_variance"):
        copies = getattr(two.get_layer(name), stat).value.values
        out[name + "/" + stat] = [getattr(one.get_layer(name), stat).numpy(
            ).tolist()] + [c.numpy().tolist() for c in copies]
    print(json.dumps(out))
""")


@pytest.mark.slow
def test_mirrored_replicas_count_as_batches_and_agree(tmp_path):
  script = tmp_path / "mirrored.py"
  script.write_text(_MIRRORED)
  run = subprocess.run([sys.executable, str(script)], cwd=_ROOT,
                       env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
                       capture_output=True, text=True, timeout=240,
                       check=False)
  assert run.returncode == 0, run.stderr[-3000:]
  results = json.loads(run.stdout.strip().splitlines()[-1])
  assert len(results) == 6
  for name, (single, *replicas) in results.items():
    # 4 global batches of 32 over 2 replicas: the statistics of the 8
    # per-replica batches of 16, as one device computes them; every
    # replica's copy holds them (a Keras 3 moving statistic is not
    # aggregated across replicas: each keeps its own unless assigned).
    np.testing.assert_allclose(replicas[0], single, rtol=1e-5, atol=1e-6,
                               err_msg=name)
    assert replicas[1] == replicas[0], name
