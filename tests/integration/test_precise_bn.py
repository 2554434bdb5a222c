"""Precise BatchNorm in whole runs and across replicas.

The small-data case: dli_cnn trained on 200 rows in batches of 32 (6 steps
an epoch) validates at chance with its moving statistics, and far above it
with statistics recomputed from training batches.
"""

from __future__ import annotations

import json
import textwrap

import keras
import numpy as np
import pytest

import asl_pipeline
from tests import helpers
from trainers.command_line import config as config_lib
from trainers.training import loop

_BATCH = 32


def _accuracy(model, dataset):
  correct = count = 0
  for images, labels in dataset:
    predicted = np.argmax(model(images, training=False), axis=-1)
    correct += int(np.sum(predicted == labels.numpy()))
    count += len(labels)
  return correct / count


@pytest.mark.usefixtures("no_export")  # It reads no SavedModel.
def test_small_data_validates_far_above_chance_only_with_precise_bn(
    tmp_path):
  data_dir = tmp_path / "tfds"
  helpers.build_sign_language_mnist(tmp_path / "csv", data_dir,
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


def test_mirrored_replicas_count_as_batches_and_agree(tmp_path):
  script = tmp_path / "mirrored.py"
  script.write_text(_MIRRORED)
  run = helpers.run_python(str(script), timeout=240)
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
