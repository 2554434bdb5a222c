"""Tests for the training loop: modes, overfitting, resume, NaN, outputs."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import asl_pipeline
from trainers.command_line import config as config_lib
from trainers.run_dir import export
from trainers.training import history as history_lib
from trainers.training import loop
from trainers import models
from trainers.training import metrics as metrics_lib
from trainers.training import steps as steps_lib


def tiny_config(data_dir, **overrides) -> config_lib.Config:
  values = dict(data_dir=data_dir, epochs=1, batch_size=16, eval_batch_size=64,
                steps_per_epoch=2, summary_images=2)
  values.update(overrides)
  return config_lib.Config(**values)


def summary_tags(log_dir) -> set[str]:
  return {value.tag for path in log_dir.iterdir()
          for event in tf.compat.v1.train.summary_iterator(str(path))
          for value in event.summary.value}


def checkpointed_step(workdir) -> int:
  latest = tf.train.latest_checkpoint(str(workdir / "checkpoints"))
  return int(tf.train.load_variable(latest, "step/.ATTRIBUTES/VARIABLE_VALUE"))


@pytest.mark.slow
@pytest.mark.parametrize("mode,jit", [("function", False), ("eager", False),
                                      ("function", True)])
def test_two_step_run_writes_every_output(asl_data_dir, tmp_path, mode, jit):
  config = tiny_config(asl_data_dir, mode=mode, jit_compile=jit)
  metrics = loop.train_and_evaluate(config, tmp_path)

  assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
  (record,) = metrics["history"]
  assert set(record) == {"epoch", "train_loss", "train_accuracy", "val_loss",
                         "val_accuracy", "seconds", "grad_norms"}
  layers = ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "dense",
            "probabilities"]
  assert list(record["grad_norms"]) == layers  # Input to output.
  assert all(v > 0 and np.isfinite(v) for v in record["grad_norms"].values())
  assert np.isfinite(record["train_loss"]) and record["epoch"] == 1
  assert metrics["best"] == record
  assert 0.0 <= metrics["test"]["accuracy"] <= 1.0
  assert config_lib.Config.from_json(
      (tmp_path / "config.json").read_text()) == config
  assert checkpointed_step(tmp_path) == 2
  assert summary_tags(tmp_path / "logs" / "train") == {
      "loss", "accuracy", "learning_rate", "augmented_inputs",
      *(f"grad_norm/{layer}" for layer in layers)}
  assert summary_tags(tmp_path / "logs" / "validation") == {"loss",
                                                            "accuracy"}
  assert (tmp_path / "curves.png").stat().st_size > 0

  # The saved model and the export agree with each other on the same input.
  model = keras.models.load_model(tmp_path / "model.keras")
  loaded, class_names = export.load_export(tmp_path / "export")
  assert class_names == list("ABCDEFGHIKLMNOPQRSTUVWXY")
  images = next(iter(asl_pipeline.eval_dataset(
      "sign_language_mnist", batch_size=4, data_dir=asl_data_dir)))[0]
  np.testing.assert_allclose(loaded.serve(images), model(images), atol=1e-5)


def test_train_step_overfits_sixteen_examples(asl_data_dir):
  keras.utils.set_random_seed(0)
  images, labels = next(iter(asl_pipeline.eval_dataset(
      "sign_language_mnist", batch_size=16, split="train[:16]",
      data_dir=asl_data_dir)))
  model = models.build_model("dli_cnn", input_shape=(28, 28, 1),
                             num_classes=24)
  metrics = metrics_lib.StepMetrics("train")
  step = steps_lib.make_train_step(
      model, keras.optimizers.Adam(1e-3),
      keras.losses.SparseCategoricalCrossentropy(), metrics, augmenter=None,
      jit_compile=False, first_bad_step=tf.Variable(-1, dtype=tf.int64),
      step=tf.Variable(0, dtype=tf.int64))
  step = tf.function(step)
  losses = [float(step(images, labels)) for _ in range(40)]
  assert losses[-1] < losses[0] / 2, losses


@pytest.mark.slow
def test_a_stopped_run_resumes_at_the_next_epoch(asl_data_dir, tmp_path,
                                                 capsys):
  loop.train_and_evaluate(tiny_config(asl_data_dir, epochs=2), tmp_path)
  first = json.loads((tmp_path / "metrics.json").read_text())["history"]
  metrics = loop.train_and_evaluate(tiny_config(asl_data_dir, epochs=3),
                                    tmp_path)

  assert "Resuming" in capsys.readouterr().out
  assert [h["epoch"] for h in metrics["history"]] == [1, 2, 3]
  assert metrics["history"][:2] == first  # Old epochs kept, not re-run.
  assert checkpointed_step(tmp_path) == 6  # The step counter carried on.

  # The saved model holds the best epoch's weights, not the last epoch's.
  model = keras.models.load_model(tmp_path / "model.keras")
  model.compile(metrics=["accuracy"], loss="sparse_categorical_crossentropy")
  _, accuracy = model.evaluate(asl_pipeline.eval_dataset(
      "sign_language_mnist", batch_size=64, split="train[90%:]",
      data_dir=asl_data_dir), verbose=0)
  assert accuracy == pytest.approx(metrics["best"]["val_accuracy"], abs=1e-6)


@keras.saving.register_keras_serializable(package="tests")
class PoisonAfter(keras.layers.Layer):
  """Identity for the first `calls` training calls, then NaN."""

  def __init__(self, calls, **kwargs):
    super().__init__(**kwargs)
    self.calls = calls
    self.count = self.add_weight(shape=(), initializer="zeros",
                                 trainable=False, name="count")

  def call(self, x, training=False):
    if training:
      self.count.assign_add(1.0)
    # Added rather than tf.where(..., x * nan, x), whose gradient is NaN even
    # while the clean branch is selected.
    return x + tf.where(self.count > self.calls, np.nan, 0.0)


@models.register("test_poisoned_mlp")
def poisoned_mlp(*, input_shape, num_classes, calls=3):
  return keras.Sequential([
      keras.Input(input_shape), keras.layers.Flatten(),
      keras.layers.Dense(8), PoisonAfter(calls),
      models.classifier_head(num_classes)])


@pytest.mark.slow
def test_nan_loss_stops_with_epoch_and_step_and_keeps_checkpoint(
    asl_data_dir, tmp_path):
  config = tiny_config(asl_data_dir, model="test_poisoned_mlp", epochs=3,
                       model_options={"calls": 3})
  with pytest.raises(FloatingPointError,
                     match=r"epoch 2, step 2 of 2 .*ckpt-2"):
    loop.train_and_evaluate(config, tmp_path)
  history = json.loads((tmp_path / "metrics.json").read_text())["history"]
  assert [h["epoch"] for h in history] == [1]
  assert checkpointed_step(tmp_path) == 2


def test_patience_counts_epochs_since_the_best():
  history = [{"epoch": e, "val_accuracy": a}
             for e, a in [(1, 0.5), (2, 0.7), (3, 0.6)]]
  assert not history_lib.patience_exhausted(history, 2)
  history.append({"epoch": 4, "val_accuracy": 0.7})  # A tie is no better.
  assert history_lib.patience_exhausted(history, 2)
  assert not history_lib.patience_exhausted(history, 0)


@pytest.mark.slow
def test_mixed_precision_trains_in_float16_and_restores_the_policy(
    asl_data_dir, tmp_path):
  config = tiny_config(asl_data_dir, model="mlp", precision="mixed_float16",
                       steps_per_epoch=3, validation_split="", test_split="")
  metrics = loop.train_and_evaluate(config, tmp_path)
  assert keras.config.dtype_policy().name == "float32"
  assert np.isfinite(metrics["history"][0]["train_loss"])
  model = keras.models.load_model(tmp_path / "model.keras")
  assert model.get_layer("dense1").compute_dtype == "float16"
  assert model.get_layer("dense1").kernel.dtype == "float32"
  # The loss-scale optimizer's state is checkpointed with the model.
  latest = tf.train.latest_checkpoint(str(tmp_path / "checkpoints"))
  assert any("scale" in name for name, _ in tf.train.list_variables(latest))
