"""The learning-rate schedules: the rate at a step is the formula's."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from trainers.command_line import config as config_lib
from trainers.training import schedules


def _cosine(step, peak, total, warmup, final):
  if step < warmup:
    return peak * (step + 1) / warmup
  progress = min(1.0, (step - warmup) / (total - warmup))
  return peak * (final + (1 - final) * 0.5 * (1 + math.cos(math.pi * progress)))


@pytest.mark.parametrize("step", [0, 4, 9, 10, 55, 99, 100, 150])
def test_cosine_with_warmup_is_the_formula(step):
  schedule = schedules.Schedule(peak=0.1, kind="cosine", total_steps=100,
                                warmup_steps=10, final_fraction=0.05)
  assert float(schedule(step)) == pytest.approx(
      _cosine(step, 0.1, 100, 10, 0.05), rel=1e-5)


def test_constant_is_the_peak_after_warmup():
  schedule = schedules.Schedule(peak=1e-3, warmup_steps=4)
  assert [float(schedule(s)) for s in (0, 3, 4, 1000)] == pytest.approx(
      [2.5e-4, 1e-3, 1e-3, 1e-3])


def test_from_config_counts_warmup_and_total_steps():
  config = config_lib.Config(epochs=4, lr_schedule="cosine",
                             warmup_epochs=0.5, final_lr_fraction=0.1)
  schedule = schedules.from_config(config, steps_per_epoch=10)
  assert (schedule.total_steps, schedule.warmup_steps) == (40, 5)
  assert float(schedule(39)) == pytest.approx(
      _cosine(39, 1e-3, 40, 5, 0.1), rel=1e-5)


@pytest.mark.parametrize("overrides, flag", [
    (dict(lr_schedule="linear"), "--lr_schedule"),
    (dict(warmup_epochs=-1.0), "--warmup_epochs"),
    (dict(final_lr_fraction=1.5), "--final_lr_fraction"),
    (dict(weight_decay=-0.1), "--weight_decay"),
    (dict(label_smoothing=2.0), "--label_smoothing"),
    (dict(clip_grad_norm=-1.0), "--clip_grad_norm"),
    (dict(progress="verbose"), "--progress"),
    (dict(class_weight="inverse"), "--class_weight"),
    (dict(ema_decay=1.0), "--ema_decay"),
    (dict(ema_decay=-0.5), "--ema_decay"),
    (dict(best_metric="f1"), "--best_metric"),
    (dict(plateau_factor=1.0), "--plateau_factor"),
    (dict(plateau_factor=0.0), "--plateau_factor"),
    (dict(plateau_patience=0), "--plateau_patience"),
])
def test_recipe_options_refuse_bad_values(overrides, flag):
  with pytest.raises(config_lib.ConfigError, match=flag):
    config_lib.Config(**overrides).validate()


def test_a_vector_of_steps_gets_each_its_rate():
  for kind in ("constant", "cosine"):
    schedule = schedules.Schedule(peak=0.1, kind=kind, total_steps=10,
                                  warmup_steps=2)
    rates = schedule(tf.range(10)).numpy()
    np.testing.assert_allclose(
        rates, [float(schedule(step)) for step in range(10)], rtol=1e-6)


@pytest.mark.parametrize("losses, patience", [
    ([1.0, 0.9, 0.9, 0.9, 0.95, 0.8, 0.85, 0.85, 0.85], 2),
    ([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], 3),
    ([1.0, 0.99995, 0.9999, 0.5, 0.6, 0.7], 1),
])
def test_plateau_cuts_as_keras_reduce_lr_on_plateau(losses, patience):
  import keras  # pylint: disable=g-import-not-at-top
  model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
  model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="mse")
  callback = keras.callbacks.ReduceLROnPlateau(
      monitor="val_loss", factor=0.5, patience=patience, min_delta=1e-4)
  callback.set_model(model)
  callback.on_train_begin()
  history = []
  for epoch, loss in enumerate(losses, start=1):
    callback.on_epoch_end(epoch - 1, {"val_loss": loss})
    history.append({"epoch": epoch, "val_loss": loss})
    keras_rate = float(model.optimizer.learning_rate)
    assert 0.5 ** schedules.plateau_cuts(history, patience) == keras_rate


def test_plateau_scales_the_rate_by_the_cuts_in_the_history():
  schedule = schedules.Schedule(peak=0.1, kind="plateau", warmup_steps=2,
                                plateau_patience=1, plateau_factor=0.1)
  assert schedule.follow([{"epoch": 1, "val_loss": 1.0}]) is None
  assert float(schedule(10)) == pytest.approx(0.1)
  message = schedule.follow([{"epoch": 1, "val_loss": 1.0},
                             {"epoch": 2, "val_loss": 1.0}])
  assert "learning rate is now 0.01" in message
  assert float(schedule(10)) == pytest.approx(0.01)
  assert float(schedule(0)) == pytest.approx(0.1 / 2 * 0.1)  # Warm-up too.


def test_plateau_needs_a_validation_split():
  with pytest.raises(config_lib.ConfigError, match="--lr_schedule"):
    config_lib.Config(lr_schedule="plateau", validation_split="").validate()
