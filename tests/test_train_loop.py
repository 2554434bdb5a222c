"""Tests for the compiled inner loop: several steps per call, same result."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from trainers.command_line import config as config_lib
from trainers.training import loop
from trainers.training import steps as steps_lib

import test_loop  # pylint: disable=unused-import  (registers test_poisoned_mlp)


def _config(data_dir, **overrides) -> config_lib.Config:
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


@pytest.mark.slow
def test_steps_per_loop_changes_speed_not_weights(asl_data_dir, tmp_path,
                                                  monkeypatch):
  weights = {}
  for steps_per_loop in (1, 4):
    sizes = _record_loop_sizes(monkeypatch)
    workdir = tmp_path / str(steps_per_loop)
    loop.train_and_evaluate(
        _config(asl_data_dir, steps_per_loop=steps_per_loop), workdir)
    # 7 steps an epoch, not a multiple of 4: the epoch runs exactly 7.
    assert sum(sizes) == 7, sizes
    assert max(sizes) == steps_per_loop, sizes
    weights[steps_per_loop] = keras.models.load_model(
        workdir / "model.keras").get_weights()
  for one, four in zip(weights[1], weights[4]):
    np.testing.assert_array_equal(one, four)


@pytest.mark.slow
def test_a_nan_inside_a_loop_is_reported_with_its_step(asl_data_dir,
                                                       tmp_path):
  # NaN from the sixth training call on; calls of 4 steps (1, 2, then 4).
  config = _config(asl_data_dir, model="test_poisoned_mlp", epochs=1,
                   steps_per_epoch=8, steps_per_loop=4,
                   model_options={"calls": 5}, deterministic=False)
  with pytest.raises(FloatingPointError, match=r"epoch 1, step 6 of 8"):
    loop.train_and_evaluate(config, tmp_path)


def test_the_loop_runs_num_steps_per_call():
  counter = tf.Variable(0)

  def step(images, labels):
    del images, labels
    counter.assign_add(1)

  train_loop = steps_lib.make_train_loop(step, use_tf_function=True)
  iterator = iter(tf.data.Dataset.range(100).map(lambda i: (i, i)))
  first = train_loop(iterator, tf.constant(5))
  assert int(counter.numpy()) == 5 and int(first) == 0
  first = train_loop(iterator, tf.constant(3))
  assert int(counter.numpy()) == 8 and int(first) == 5
  assert int(next(iterator)[0]) == 8  # Nothing read beyond its steps.
