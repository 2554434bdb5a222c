"""Tests for resuming: exact after any stop, signals, changed flags, outputs."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from trainers.command_line import config as config_lib
from trainers.training import loop

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Short epochs with a checkpoint every two steps, on-device augmentation and
# dropout: everything whose state a resumed run must get back.
RUN_FLAGS = dict(epochs=2, batch_size=16, steps_per_epoch=6,
                 eval_batch_size=64, summary_images=0, test_split="",
                 deterministic=True, checkpoint_every_steps=2,
                 augment="device", steps_per_loop=2)


def _config(data_dir, **overrides) -> config_lib.Config:
  return config_lib.Config(data_dir=data_dir, **{**RUN_FLAGS, **overrides})


def _command(data_dir, workdir, **overrides) -> list[str]:
  flags = {**RUN_FLAGS, **overrides, "data_dir": data_dir,
           "workdir": workdir}
  return [sys.executable, "-m", "trainers.asl",
          *(f"--{k}={str(v).lower() if isinstance(v, bool) else v}"
            for k, v in flags.items())]


def _start(data_dir, workdir, **overrides) -> subprocess.Popen:
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  return subprocess.Popen(_command(data_dir, workdir, **overrides), cwd=ROOT,
                          env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def _latest_step(workdir: pathlib.Path) -> int:
  latest = tf.train.latest_checkpoint(str(workdir / "checkpoints"))
  return int(latest.rsplit("-", 1)[1]) if latest else -1


def _wait_for_checkpoint(process, workdir, step, timeout_s=240.0):
  deadline = time.monotonic() + timeout_s
  while _latest_step(workdir) < step:
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


@pytest.mark.slow
def test_a_run_killed_at_a_random_step_resumes_bit_identically(
    asl_data_dir, tmp_path):
  straight = tmp_path / "straight"
  loop.train_and_evaluate(_config(asl_data_dir), straight)

  killed = tmp_path / "killed"
  # A random checkpointed step strictly inside an epoch (6 steps each).
  step = random.choice([2, 4, 8, 10])
  process = _start(asl_data_dir, killed)
  _wait_for_checkpoint(process, killed, step)
  process.kill()  # SIGKILL: no handler runs, nothing is flushed.
  process.wait()
  stopped_at = _latest_step(killed)
  assert stopped_at < 12, "the run finished before it was killed"
  loop.train_and_evaluate(_config(asl_data_dir), killed)

  for a, b in zip(_weights(straight), _weights(killed)):
    np.testing.assert_array_equal(a, b)
  # The epoch's running metrics were restored too, not restarted.
  assert _history(straight) == _history(killed)


@pytest.mark.slow
def test_sigterm_saves_the_current_step_and_a_rerun_continues(asl_data_dir,
                                                              tmp_path):
  workdir = tmp_path / "run"
  # Checkpoints only at epoch ends, so the one SIGTERM writes is its own.
  process = _start(asl_data_dir, workdir, checkpoint_every_steps=0,
                   steps_per_epoch=100, epochs=1, steps_per_loop=1)
  for line in process.stdout:
    if line.startswith("Epoch 1/1"):
      break
  # The first compiled call (tracing) takes far longer than a step: the
  # signal arrives inside the epoch.
  process.send_signal(signal.SIGTERM)
  _, stderr = process.communicate(timeout=60)
  assert process.returncode == 128 + signal.SIGTERM, stderr[-3000:]
  step = _latest_step(workdir)
  assert 0 < step < 100
  assert not (workdir / "model.keras").exists()

  config = _config(asl_data_dir, checkpoint_every_steps=0, epochs=1,
                   steps_per_epoch=100, steps_per_loop=1)
  metrics = loop.train_and_evaluate(config, workdir)
  assert _latest_step(workdir) == 100  # Continued, not restarted.
  assert [h["epoch"] for h in metrics["history"]] == [1]


@pytest.mark.slow
def test_resuming_with_changed_flags(asl_data_dir, tmp_path, capsys):
  config = _config(asl_data_dir, epochs=1, deterministic=False,
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
  events = [event for path in (tmp_path / "logs" / "train").iterdir()
            for event in tf.compat.v1.train.summary_iterator(str(path))]
  rates = {event.step: tf.make_ndarray(value.tensor).item()
           for event in events for value in event.summary.value
           if value.tag == "learning_rate"}
  assert rates == {1: pytest.approx(0.001), 2: pytest.approx(0.01)}

  # A rate far too high: the loss explodes while staying finite; the run
  # stops naming the cause and keeps the last good checkpoint.
  good = _latest_step(tmp_path)
  exploding = dataclasses.replace(faster, epochs=3, learning_rate=1e6)
  with pytest.raises(FloatingPointError,
                     match=rf"epoch 3: .*--learning_rate=1e\+06.*ckpt-{good}"):
    loop.train_and_evaluate(exploding, tmp_path)
  assert _latest_step(tmp_path) == good


def test_a_workdir_that_is_a_file_is_refused(asl_data_dir, tmp_path):
  path = tmp_path / "file"
  path.write_text("")
  with pytest.raises(config_lib.ConfigError, match="is a file"):
    loop.train_and_evaluate(_config(asl_data_dir), path)
