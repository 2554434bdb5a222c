"""Training runs of their own: modes, resuming, stops, NaN, precision.

Resuming is exact after any stop: an epoch boundary, a kill at a random
step, SIGTERM; flags changed on resume are refused or take effect visibly.
"""

from __future__ import annotations

import dataclasses
import json
import random
import signal
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests import helpers
from trainers.command_line import config as config_lib
from trainers.training import data as data_lib
from trainers.training import loop
from trainers.training import steps as steps_lib


def tiny_config(data_dir, **overrides) -> config_lib.Config:
  values = dict(data_dir=data_dir, epochs=1, batch_size=16, eval_batch_size=64,
                steps_per_epoch=2, summary_images=2)
  values.update(overrides)
  return config_lib.Config(**values)


# The default mode (function, no XLA) is the session's `trained_asl_run`.
@pytest.mark.parametrize("mode,jit", [("eager", False), ("function", True)])
def test_two_step_run_writes_every_output(asl_data_dir, tmp_path, mode, jit):
  config = tiny_config(asl_data_dir, mode=mode, jit_compile=jit)
  metrics = loop.train_and_evaluate(config, tmp_path)
  helpers.check_finished_run(tmp_path, metrics, config)


@pytest.mark.usefixtures("no_export")  # It reads no SavedModel.
def test_a_stopped_run_resumes_at_the_next_epoch(finished_run, capsys):
  # The session's run: two epochs of two steps, stopped at its end.
  first = json.loads((finished_run / "metrics.json").read_text())["history"]
  metrics = helpers.resume_for_one_more_epoch(finished_run)

  assert "Resuming" in capsys.readouterr().out
  assert [h["epoch"] for h in metrics["history"]] == [1, 2, 3]
  assert metrics["history"][:2] == first  # Old epochs kept, not re-run.
  assert helpers.checkpointed_step(finished_run) == 6  # The counter went on.

  # The saved model holds the best epoch's weights, not the last epoch's.
  model = keras.models.load_model(finished_run / "model.keras")
  model.compile(metrics=["accuracy"], loss="sparse_categorical_crossentropy")
  config = config_lib.Config.from_json(
      (finished_run / "config.json").read_text())
  validation = data_lib.DataSpec.create(config).validation()
  _, accuracy = model.evaluate(validation, verbose=0)
  assert accuracy == pytest.approx(metrics["best"]["val_accuracy"], abs=1e-6)


def test_nan_loss_stops_with_epoch_and_step_and_keeps_checkpoint(
    asl_data_dir, tmp_path, poisoned_mlp):
  config = tiny_config(asl_data_dir, model=poisoned_mlp, epochs=3,
                       model_options={"calls": 3})
  with pytest.raises(FloatingPointError,
                     match=r"epoch 2, step 2 of 2 .*ckpt-2"):
    loop.train_and_evaluate(config, tmp_path)
  history = json.loads((tmp_path / "metrics.json").read_text())["history"]
  assert [h["epoch"] for h in history] == [1]
  assert helpers.checkpointed_step(tmp_path) == 2


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


# --- Several steps per compiled call ----------------------------------------


def _loop_config(data_dir, **overrides) -> config_lib.Config:
  values = dict(data_dir=data_dir, epochs=1, batch_size=16, steps_per_epoch=7,
                eval_batch_size=64, summary_images=0, test_split="",
                deterministic=True)
  values.update(overrides)
  return config_lib.Config(**values)


def _record_loop_sizes(monkeypatch) -> list[int]:
  """Records the number of steps of every compiled call the loop makes."""
  sizes = []
  make = steps_lib.make_train_loop

  def recording(*args, **kwargs):
    train_loop = make(*args, **kwargs)

    def call(iterator, num_steps):
      sizes.append(int(num_steps))
      return train_loop(iterator, num_steps)

    return call

  monkeypatch.setattr(steps_lib, "make_train_loop", recording)
  return sizes


@pytest.mark.usefixtures("no_export")  # It reads no SavedModel.
def test_steps_per_loop_changes_speed_not_weights(asl_data_dir, tmp_path,
                                                  monkeypatch):
  weights = {}
  for steps_per_loop in (1, 4):
    sizes = _record_loop_sizes(monkeypatch)
    workdir = tmp_path / str(steps_per_loop)
    loop.train_and_evaluate(
        _loop_config(asl_data_dir, steps_per_loop=steps_per_loop), workdir)
    # 7 steps an epoch, not a multiple of 4: the epoch runs exactly 7.
    assert sum(sizes) == 7, sizes
    assert max(sizes) == steps_per_loop, sizes
    weights[steps_per_loop] = keras.models.load_model(
        workdir / "model.keras").get_weights()
  for one, four in zip(weights[1], weights[4]):
    np.testing.assert_array_equal(one, four)


def test_a_nan_inside_a_loop_is_reported_with_its_step(asl_data_dir,
                                                       tmp_path,
                                                       poisoned_mlp):
  # NaN from the sixth training call on; calls of 4 steps (1, 2, then 4).
  config = _loop_config(asl_data_dir, model=poisoned_mlp, epochs=1,
                        steps_per_epoch=8, steps_per_loop=4,
                        model_options={"calls": 5}, deterministic=False)
  with pytest.raises(FloatingPointError, match=r"epoch 1, step 6 of 8"):
    loop.train_and_evaluate(config, tmp_path)


# --- Resuming after any stop ------------------------------------------------

# Short epochs with a checkpoint every two steps, on-device augmentation and
# dropout: everything whose state a resumed run must get back.
RUN_FLAGS = dict(epochs=2, batch_size=16, steps_per_epoch=6,
                 eval_batch_size=64, summary_images=0, test_split="",
                 deterministic=True, checkpoint_every_steps=2,
                 augment="device", steps_per_loop=2)


# A recipe mid-schedule (warm-up, then cosine), with weight decay, label
# smoothing, clipping and a moving average of the weights: a resumed run
# must get the same rate, updates and average.
RECIPE_FLAGS = dict(lr_schedule="cosine", warmup_epochs=0.5,
                    final_lr_fraction=0.1, weight_decay=1e-4,
                    label_smoothing=0.1, clip_grad_norm=1.0, ema_decay=0.9)


def _resume_config(data_dir, **overrides) -> config_lib.Config:
  return config_lib.Config(data_dir=data_dir, **{**RUN_FLAGS, **overrides})


def _start_trainer(data_dir, workdir, **overrides):
  flags = {**RUN_FLAGS, **overrides, "data_dir": data_dir,
           "workdir": workdir}
  return helpers.start_module(
      "trainers.asl", *(f"--{k}={str(v).lower() if isinstance(v, bool) else v}"
                        for k, v in flags.items()))


def _wait_for_checkpoint(process, workdir, step, timeout_s=240.0):
  deadline = time.monotonic() + timeout_s
  while helpers.latest_checkpoint_step(workdir) < step:
    assert process.poll() is None, process.communicate()[1][-3000:]
    assert time.monotonic() < deadline, "no checkpoint in time"
    time.sleep(0.05)


def _weights(workdir):
  return keras.models.load_model(workdir / "model.keras").get_weights()


def _history(workdir):
  history = json.loads((workdir / "metrics.json").read_text())["history"]
  for record in history:
    record.pop("seconds")
  return history


@pytest.mark.usefixtures("no_export")  # It reads no SavedModel.
def test_a_run_killed_at_a_random_step_resumes_bit_identically(
    asl_data_dir, tmp_path):
  straight = tmp_path / "straight"
  loop.train_and_evaluate(_resume_config(asl_data_dir, **RECIPE_FLAGS),
                          straight)

  killed = tmp_path / "killed"
  # A random checkpointed step strictly inside an epoch (6 steps each).
  step = random.choice([2, 4, 8, 10])
  process = _start_trainer(asl_data_dir, killed, **RECIPE_FLAGS)
  _wait_for_checkpoint(process, killed, step)
  process.kill()  # SIGKILL: no handler runs, nothing is flushed.
  process.communicate()
  stopped_at = helpers.latest_checkpoint_step(killed)
  assert stopped_at < 12, "the run finished before it was killed"
  loop.train_and_evaluate(_resume_config(asl_data_dir, **RECIPE_FLAGS),
                          killed)

  for a, b in zip(_weights(straight), _weights(killed)):
    np.testing.assert_array_equal(a, b)
  # The epoch's running metrics were restored too, not restarted.
  assert _history(straight) == _history(killed)


@pytest.mark.usefixtures("no_export")  # It reads no SavedModel.
def test_sigterm_saves_the_current_step_and_a_rerun_continues(asl_data_dir,
                                                              tmp_path):
  workdir = tmp_path / "run"
  # Checkpoints only at epoch ends, so the one SIGTERM writes is its own.
  # The bar's "Epoch 1/1" header marks the epoch's start.
  process = _start_trainer(asl_data_dir, workdir, checkpoint_every_steps=0,
                           steps_per_epoch=100, epochs=1, steps_per_loop=1,
                           progress="bar")
  for line in process.stdout:
    if line.startswith("Epoch 1/1"):
      break
  # The first compiled call (tracing) takes far longer than a step: the
  # signal arrives inside the epoch.
  process.send_signal(signal.SIGTERM)
  _, stderr = process.communicate(timeout=60)
  assert process.returncode == 128 + signal.SIGTERM, stderr[-3000:]
  step = helpers.latest_checkpoint_step(workdir)
  assert 0 < step < 100
  assert not (workdir / "model.keras").exists()

  config = _resume_config(asl_data_dir, checkpoint_every_steps=0, epochs=1,
                          steps_per_epoch=100, steps_per_loop=1)
  metrics = loop.train_and_evaluate(config, workdir)
  assert helpers.latest_checkpoint_step(workdir) == 100  # Not restarted.
  assert [h["epoch"] for h in metrics["history"]] == [1]


@pytest.mark.usefixtures("no_export")  # It reads no SavedModel.
def test_balanced_classes_and_epoch_lines(asl_data_dir, tmp_path, capsys):
  config = _resume_config(asl_data_dir, epochs=2, steps_per_epoch=2,
                          checkpoint_every_steps=0, deterministic=False,
                          class_weight="balanced", progress="epoch",
                          lr_schedule="cosine")
  loop.train_and_evaluate(config, tmp_path / "run")
  out = capsys.readouterr().out
  assert "Class weights (balanced): " in out
  lines = [l for l in out.splitlines() if l.startswith("Epoch ")]
  assert [l.split(" - ")[0] for l in lines] == ["Epoch 1/2", "Epoch 2/2"]
  assert not any(c in out for c in "\x1b\r\b")


@pytest.mark.usefixtures("no_export")  # It reads no SavedModel.
def test_resuming_with_changed_flags(asl_data_dir, tmp_path, capsys):
  config = _resume_config(asl_data_dir, epochs=1, deterministic=False,
                          checkpoint_every_steps=0)
  loop.train_and_evaluate(config, tmp_path)
  # A flag the checkpoint depends on: refused before any work.
  with pytest.raises(config_lib.ConfigError,
                     match=r"--model: the run was trained with 'dli_cnn', "
                     r"this command asks for 'mlp'"):
    loop.train_and_evaluate(dataclasses.replace(config, model="mlp"),
                            tmp_path)

  # A new learning rate takes effect, visibly.
  faster = dataclasses.replace(config, epochs=2, learning_rate=0.01)
  loop.train_and_evaluate(faster, tmp_path)
  assert "--learning_rate=0.01 (was 0.001)" in capsys.readouterr().out
  rates = helpers.summaries(tmp_path / "logs" / "train")["learning_rate"]
  assert rates == {1: pytest.approx(0.001), 2: pytest.approx(0.01)}

  # A rate far too high: the loss explodes while staying finite; the run
  # stops naming the cause and keeps the last good checkpoint.
  good = helpers.latest_checkpoint_step(tmp_path)
  exploding = dataclasses.replace(faster, epochs=3, learning_rate=1e6)
  with pytest.raises(FloatingPointError,
                     match=rf"epoch 3: .*--learning_rate=1e\+06.*ckpt-{good}"):
    loop.train_and_evaluate(exploding, tmp_path)
  assert helpers.latest_checkpoint_step(tmp_path) == good


@pytest.mark.usefixtures("no_export")  # It reads no SavedModel.
def test_training_through_the_service_runs(asl_data_dir, service_cluster,
                                           tmp_path):
  # 30 steps of 16 cross the end of a 432-example pass, so the trainer also
  # moves on to the service's next pass.
  config = tiny_config(asl_data_dir, data_service=service_cluster.address,
                       epochs=2, steps_per_epoch=30, augment="pipeline",
                       test_split="", summary_images=0, eval_batch_size=96)
  metrics = loop.train_and_evaluate(config, tmp_path)
  losses = [h["train_loss"] for h in metrics["history"]]
  assert np.all(np.isfinite(losses))
  assert losses[1] < losses[0]  # It learns from what the service sends.
  assert config_lib.Config.from_json(
      (tmp_path / "config.json").read_text()).data_service == (
          service_cluster.address)


@pytest.mark.usefixtures("no_export")  # It reads no SavedModel.
def test_plateau_cuts_the_rate_and_a_resumed_run_keeps_the_cuts(
    asl_data_dir, tmp_path, capsys):
  # A rate so low that the validation loss never drops by 1e-4: every
  # validated epoch after the first is one without a lower loss.
  config = _resume_config(asl_data_dir, epochs=3, steps_per_epoch=2,
                          learning_rate=1e-9, lr_schedule="plateau",
                          plateau_patience=1, plateau_factor=0.5,
                          checkpoint_every_steps=0, deterministic=False,
                          progress="epoch")
  workdir = tmp_path / "run"
  loop.train_and_evaluate(config, workdir)
  assert "the learning rate is now 5e-10 (1 cut of x0.5)" in (
      capsys.readouterr().out)
  loop.train_and_evaluate(dataclasses.replace(config, epochs=4), workdir)
  rates = helpers.summaries(workdir / "logs" / "train")[
      "learning_rate/by_step"]
  # Epoch 3 (steps 4, 5) after one cut; epoch 4, resumed, after two.
  np.testing.assert_allclose([rates[s] for s in range(8)],
                             [1e-9] * 4 + [5e-10] * 2 + [2.5e-10] * 2,
                             rtol=1e-5)
