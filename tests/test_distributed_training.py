"""The trainer under tf.distribute and the tf.data service, on one machine.

Mirrored training on two logical CPUs against one device, two real trainer
processes as a multi-worker cluster, training through an in-process
tf.data service, per-layer gradient norms, and setups that must fail
clearly. Everything stays on the loopback interface.
"""

from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import pathlib
import subprocess
import sys
import textwrap

from absl import flags
import keras
import numpy as np
import pytest
import tensorflow as tf

import asl_pipeline
from trainers.command_line import config as config_lib
from trainers.training import data as data_lib
from trainers.command_line import flags as trainer_flags
from trainers import launch_local
from trainers.training import loop
from trainers import models
from trainers.training import metrics as metrics_lib
from trainers.training import steps as steps_lib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def tiny_config(data_dir, **overrides) -> config_lib.Config:
  values = dict(data_dir=data_dir, model="lenet5", epochs=1, batch_size=16,
                eval_batch_size=96, steps_per_epoch=2, augment="none",
                summary_images=0)
  values.update(overrides)
  return config_lib.Config(**values)


# Logical CPUs must be configured before TensorFlow initializes, so this
# runs in a fresh interpreter: the mirrored run first, then the same config
# on the default strategy.
_MIRRORED_VS_DEFAULT = textwrap.dedent("""
    import json, sys
    from trainers.command_line import config as config_lib
    from trainers.training import loop
    out, data_dir = sys.argv[1], sys.argv[2]
    results = {}
    for name, extra in [("mirrored", dict(strategy="mirrored",
                                          num_cpu_devices=2)),
                        ("default", {})]:
      config = config_lib.Config(
          data_dir=data_dir, model="lenet5", epochs=2, steps_per_epoch=1,
          batch_size=16, eval_batch_size=96, augment="none",
          summary_images=2, validation_split="", **extra)
      results[name] = loop.train_and_evaluate(config, f"{out}/{name}")
    print(json.dumps(results))
""")


@pytest.mark.slow
def test_mirrored_on_two_cpus_gives_the_single_device_losses(
    asl_data_dir, tmp_path):
  script = tmp_path / "run.py"
  script.write_text(_MIRRORED_VS_DEFAULT)
  run = subprocess.run(
      [sys.executable, str(script), str(tmp_path), asl_data_dir], cwd=ROOT,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"), capture_output=True,
      text=True, timeout=240, check=False)
  assert run.returncode == 0, run.stderr[-3000:]
  results = json.loads(run.stdout.strip().splitlines()[-1])
  mirrored, default = results["mirrored"], results["default"]
  # Step 1: same initial weights, same global batch of 16 (2 x 8 on the
  # mirrored side): the summed replica losses are the global mean loss.
  # Step 2 follows one update each, so it also checks the gradient scale.
  for epoch in range(2):
    np.testing.assert_allclose(mirrored["history"][epoch]["train_loss"],
                               default["history"][epoch]["train_loss"],
                               rtol=1e-4)
  assert (mirrored["history"][0]["train_loss"] !=
          mirrored["history"][1]["train_loss"])  # The update did something.
  np.testing.assert_allclose(mirrored["test"]["loss"], default["test"]["loss"],
                             rtol=1e-4)
  for name in ("mirrored", "default"):
    assert (tmp_path / name / "export" / "saved_model.pb").exists()


# The real entry point, with the final weights of each worker saved next to
# the workdir just before the loop exports them (a non-chief's own outputs
# are deleted when it finishes).
_WORKER = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    from tfds_builders.common import command
    from trainers import asl
    from trainers.run_dir import export
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    real_export = export.export_model
    def export_and_keep_weights(model, path, class_names):
      np.savez(os.path.join(os.environ["WEIGHTS_DIR"], f"weights_{task}.npz"),
               *model.get_weights())
      return real_export(model, path, class_names)
    export.export_model = export_and_keep_weights
    command.run(asl.define_flags, asl.main)
""")


@pytest.mark.slow
def test_two_trainer_workers_train_two_epochs_and_agree(asl_data_dir,
                                                        tmp_path):
  script = tmp_path / "worker.py"
  script.write_text(_WORKER)
  workdir = tmp_path / "run"
  out = io.StringIO()
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", WEIGHTS_DIR=str(tmp_path),
             PYTHONPATH=str(ROOT))
  code = launch_local.launch(
      [sys.executable, str(script), "--strategy=multi_worker",
       f"--data_dir={asl_data_dir}", f"--workdir={workdir}",
       "--model=lenet5", "--epochs=2", "--steps_per_epoch=2",
       "--batch_size=16", "--augment=none"], 2, timeout_s=240, env=env,
      out=out)
  log = out.getvalue()
  assert code == 0, log[-4000:]
  first, second = (np.load(tmp_path / f"weights_{i}.npz") for i in (0, 1))
  assert len(first.files) == 10  # lenet5: five layers, kernel and bias.
  for name in first.files:
    np.testing.assert_array_equal(first[name], second[name])
  # They are the weights the chief saved, and they were trained.
  saved = keras.models.load_model(workdir / "model.keras").get_weights()
  for i, weights in enumerate(saved):
    np.testing.assert_array_equal(weights, first[f"arr_{i}"])
  metrics = json.loads((workdir / "metrics.json").read_text())
  assert [h["epoch"] for h in metrics["history"]] == [1, 2]
  assert sorted(os.listdir(workdir / "checkpoints")) == [
      "checkpoint", "ckpt-2.data-00000-of-00001", "ckpt-2.index",
      "ckpt-4.data-00000-of-00001", "ckpt-4.index"]
  # No worker's temporary outputs are left anywhere.
  assert not [p for p in workdir.rglob("workertemp*")]


@pytest.fixture(scope="module")
def cluster():
  """A tf.data service dispatcher and two workers in this process."""
  with asl_pipeline.start_local_cluster(2) as local:
    yield local


def _example_keys(dataset) -> list[str]:
  """One digest per example (image and label) of a batched dataset."""
  keys = []
  for images, labels in dataset.as_numpy_iterator():
    for image, label in zip(images, labels):
      keys.append(hashlib.sha1(image.tobytes() + bytes([label])).hexdigest())
  return keys


def test_an_eval_pass_through_the_service_visits_each_example_once(
    asl_data_dir, cluster):
  local = asl_pipeline.eval_dataset("sign_language_mnist", batch_size=32,
                                    split="train", data_dir=asl_data_dir,
                                    assert_cardinality=False)
  expected = collections.Counter(_example_keys(local))
  assert sum(expected.values()) == 480 and max(expected.values()) == 1
  with pytest.raises(ValueError, match="assert_cardinality=False"):
    asl_pipeline.service.distribute(asl_pipeline.eval_dataset(
        "sign_language_mnist", batch_size=32, split="train",
        data_dir=asl_data_dir), cluster.address)
  served = asl_pipeline.service.distribute(local, cluster.address)
  for _ in range(2):  # Each pass is a new epoch of the service.
    assert collections.Counter(_example_keys(served)) == expected


def test_a_training_pass_through_the_service_repeats_no_example(
    asl_data_dir, cluster):
  config = tiny_config(asl_data_dir).validate()
  spec = data_lib.DataSpec.create(config)
  split = collections.Counter(_example_keys(asl_pipeline.eval_dataset(
      "sign_language_mnist", batch_size=96, split=config.train_split,
      data_dir=asl_data_dir)))
  served = asl_pipeline.service.distribute(spec.service_epoch(16),
                                           cluster.address)
  got = collections.Counter(_example_keys(served))
  assert max(got.values()) == 1 and set(got) <= set(split)
  # Each of the 2 service workers drops at most its last partial batch.
  assert len(got) >= sum(split.values()) - 2 * 15


@pytest.mark.slow
def test_training_through_the_service_runs(asl_data_dir, cluster, tmp_path):
  # 30 steps of 16 cross the end of a 432-example pass, so the trainer also
  # moves on to the service's next pass.
  config = tiny_config(asl_data_dir, data_service=cluster.address,
                       model="dli_cnn", epochs=2, steps_per_epoch=30,
                       augment="pipeline", test_split="")
  metrics = loop.train_and_evaluate(config, tmp_path)
  losses = [h["train_loss"] for h in metrics["history"]]
  assert np.all(np.isfinite(losses))
  assert losses[1] < losses[0]  # It learns from what the service sends.
  assert config_lib.Config.from_json(
      (tmp_path / "config.json").read_text()).data_service == cluster.address


def test_deep_sigmoid_net_shows_vanishing_gradients_relu_does_not(
    asl_data_dir):
  images, labels = next(iter(asl_pipeline.eval_dataset(
      "sign_language_mnist", batch_size=64, split="train",
      data_dir=asl_data_dir)))
  ratios = {}
  for activation in ("sigmoid", "relu"):
    keras.utils.set_random_seed(0)
    model = models.build_model("deep10", input_shape=(28, 28, 1),
                               num_classes=24, activation=activation)
    norms = metrics_lib.GradNorms(model.trainable_variables)
    step = steps_lib.make_train_step(
        model, keras.optimizers.SGD(0.01),
        keras.losses.SparseCategoricalCrossentropy(),
        metrics_lib.StepMetrics("train"), augmenter=None,
        jit_compile=False, first_bad_step=tf.Variable(-1, dtype=tf.int64),
        step=tf.Variable(0, dtype=tf.int64), grad_norms=norms)
    step = tf.function(step)
    for _ in range(3):
      step(images, labels)
    result = norms.result()
    assert list(result) == [f"dense{i}" for i in range(1, 10)] + [
        "probabilities"]
    ratios[activation] = result["dense1"] / result["probabilities"]
  # Sigmoid's slope is at most 1/4: nine layers shrink the first layer's
  # gradient by orders of magnitude; relu keeps it of the same order.
  assert ratios["sigmoid"] < 1e-3, ratios
  assert ratios["relu"] > 0.1, ratios


def test_grad_norms_are_those_of_the_gradients():
  model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2,
                                                                  name="a"),
                            keras.layers.Dense(2, name="b")])
  norms = metrics_lib.GradNorms(model.trainable_variables)
  assert norms.names == ["a", "b"]
  grads = [tf.fill(v.shape, 2.0) for v in model.trainable_variables]
  computed = norms.compute(grads).numpy()
  # Layer a: 3x2 kernel + 2 biases = 8 twos; layer b: 2x2 + 2 = 6 twos.
  np.testing.assert_allclose(computed, [np.sqrt(8 * 4), np.sqrt(6 * 4)],
                             rtol=1e-6)
  norms.update(computed)
  norms.update(3 * computed)
  np.testing.assert_allclose(list(norms.result().values()), 2 * computed,
                             rtol=1e-6)


def test_a_data_service_nobody_listens_on_fails_naming_it(asl_data_dir,
                                                          tmp_path,
                                                          monkeypatch):
  monkeypatch.setattr(loop, "_DISPATCHER_TIMEOUT_S", 1.0)
  port, = launch_local.free_ports(1)
  config = tiny_config(asl_data_dir, data_service=f"grpc://localhost:{port}")
  with pytest.raises(ConnectionError, match=f"localhost:{port}"):
    loop.train_and_evaluate(config, tmp_path / "run")
  assert not (tmp_path / "run").exists()  # Failed before any work.


def test_tf_config_that_is_not_json_fails_naming_it(asl_data_dir, tmp_path,
                                                    monkeypatch):
  monkeypatch.setenv("TF_CONFIG", "{worker: [localhost:1]}")
  config = tiny_config(asl_data_dir, strategy="multi_worker")
  with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
    loop.train_and_evaluate(config, tmp_path / "run")


def _parse(*args: str) -> flags.FlagValues:
  flag_values = flags.FlagValues()
  trainer_flags.define_flags(config_lib.Config(), flag_values=flag_values)
  flag_values(["asl", "--workdir=/tmp/w", *args])
  return flag_values


@pytest.mark.parametrize("bad, flag", [
    ("--num_cpu_devices=0", "num_cpu_devices"),
    ("--strategy=horovod", "strategy"),
])
def test_bad_distribution_flags_are_rejected_while_parsing(bad, flag):
  with pytest.raises(flags.Error, match=flag):
    _parse(bad)


@pytest.mark.parametrize("overrides, flag", [
    (dict(data_service="grpc://localhost"), "--data_service"),
    (dict(data_service="http://localhost:5050"), "--data_service"),
    (dict(tpu="my-tpu"), "--tpu"),
    (dict(num_cpu_devices=0), "--num_cpu_devices"),
])
def test_bad_distribution_configs_name_the_flag(overrides, flag):
  with pytest.raises(ValueError, match=flag):
    config_lib.Config(**overrides).validate()


def test_distribution_flags_reach_the_config():
  config = trainer_flags.config_from_flags(
      _parse("--strategy=mirrored", "--num_cpu_devices=2",
             "--data_service=grpc://localhost:5050"), config_lib.Config())
  assert (config.strategy, config.num_cpu_devices, config.data_service) == (
      "mirrored", 2, "grpc://localhost:5050")
  assert config_lib.Config.from_json(config.to_json()) == config
