"""Checks of a parsed config that need Keras or TensorFlow; before any work.

`trainers.command_line.config` answers every check it can without them,
while the flags parse. What is left needs the model registry (Keras) or a
look at this machine's devices (TensorFlow): whether the model exists and
takes the options given, whether `TF_CONFIG` describes a cluster, and
whether the global batch splits over the replicas the strategy will have.
A trainer runs them after parsing and before anything is written, so each
is a usage error naming its flag, with nothing created.
"""

from __future__ import annotations

from trainers import models
from trainers.command_line import config as config_lib
from trainers.training import distribute


def check(config: config_lib.Config) -> None:
  """Refuses a config that cannot run on this machine.

  Args:
    config: A config that passed `Config.validate`.

  Raises:
    ConfigError: naming the flag (or `TF_CONFIG`) and why.
  """
  try:
    models.check_options(config.model, config.model_options)
  except ValueError as e:
    raise config_lib.ConfigError(f"--model={config.model}: {e}") from None
  cluster = None
  if config.strategy == "multi_worker":
    try:
      cluster = distribute.parse_tf_config()
    except ValueError as e:
      raise config_lib.ConfigError(
          f"--strategy=multi_worker: {e}") from None
  replicas = expected_replicas(config, cluster)
  if replicas:
    config.check_replicas(replicas)


def expected_replicas(config: config_lib.Config,
                      cluster: dict | None = None) -> int | None:
  """How many replicas the strategy of `config` will run, if known early.

  Counted from the physical devices, which TensorFlow lists without
  initializing them (the strategy splits the CPU later).

  Args:
    config: The run's config.
    cluster: The parsed `TF_CONFIG` of a multi-worker run, if any.

  Returns:
    The number of replicas, or None for a TPU (known once connected).
  """
  if config.strategy == "tpu":
    return None
  if config.strategy == "default":
    return 1
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  gpus = len(tf.config.list_physical_devices("GPU"))
  if config.strategy == "mirrored":
    return gpus or config.num_cpu_devices or 1
  hosts = sum(len((cluster or {}).get("cluster", {}).get(job, []))
              for job in ("chief", "worker")) or 1
  return hosts * (gpus or 1)
