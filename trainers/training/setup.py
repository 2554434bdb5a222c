"""What a training run sets up before its loop: checks, policy, optimizer.

Split from `trainers.training.loop`, which drives the epochs; these are the pieces
that decide what a run is made of (and whether a workdir may resume).
"""

from __future__ import annotations

import contextlib
import pathlib

import keras
import tensorflow as tf

from trainers.command_line import config as config_lib
from trainers.run_dir import workdir as workdir_lib


def check_resumable(config: config_lib.Config, workdir: pathlib.Path) -> None:
  """Refuses, before any work, a resume that changes a FIXED field."""
  if workdir.exists() and not workdir.is_dir():
    raise config_lib.ConfigError(f"--workdir={workdir} is a file, not a "
                                 "directory.")
  path = workdir / workdir_lib.CONFIG
  if not path.exists() or not (workdir / workdir_lib.CHECKPOINTS).exists():
    return
  conflicts = config.resume_conflicts(config_lib.Config.from_json(
      path.read_text()))
  if conflicts:
    raise config_lib.ConfigError(
        f"{workdir} holds a run this command cannot resume:\n  "
        + "\n  ".join(conflicts)
        + "\nUse another --workdir for a new run, or drop those flags.")


@contextlib.contextmanager
def dtype_policy(precision: str):
  """Sets Keras's global dtype policy for the run, then restores it."""
  previous = keras.config.dtype_policy()
  keras.config.set_dtype_policy(precision)
  try:
    yield
  finally:
    keras.config.set_dtype_policy(previous)


def make_optimizer(config: config_lib.Config) -> keras.optimizers.Optimizer:
  optimizer = {
      "adam": keras.optimizers.Adam,
      "sgd": lambda learning_rate: keras.optimizers.SGD(
          learning_rate, momentum=0.9),
      "rmsprop": keras.optimizers.RMSprop,
  }[config.optimizer](learning_rate=config.learning_rate)
  if config.precision == "mixed_float16":
    # float16 gradients underflow: scale the loss up, and skip (and
    # re-scale) steps whose gradients overflow. bfloat16 has float32's
    # exponent range and needs none of this.
    optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
  return optimizer


def inner_optimizer(optimizer):
  """The optimizer a `LossScaleOptimizer` wraps, or `optimizer` itself."""
  return getattr(optimizer, "inner_optimizer", optimizer)


def seed_states(model: keras.Model) -> dict[str, tf.Variable]:
  """The state variable of every seed generator in `model` (dropout's).

  Keyed by each layer's position and name, which a rebuilt model repeats.
  """
  states = {}
  for index, layer in enumerate(model._flatten_layers()):  # pylint: disable=protected-access
    for i, generator in enumerate(getattr(layer, "_seed_generators", [])):
      states[f"{index}_{layer.name}_{i}"] = generator.state
  return states
