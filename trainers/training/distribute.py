"""Building tf.distribute strategies from flags, and multi-worker save rules.

`make_strategy` is meant to be the first TensorFlow call of a trainer's main:
splitting the CPU into logical devices, and creating a
`MultiWorkerMirroredStrategy`, both have to happen before TensorFlow
initializes its runtime.

Under any strategy the trainer's `--batch_size` is the global batch:
per-replica batches are `batch_size // num_replicas_in_sync`, and Keras 3
losses already scale each replica's loss by `1 / num_replicas_in_sync`, so
summing the per-replica losses (`strategy.reduce(SUM, ...)`) gives the same
number as one device on the whole batch. Do not divide again.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from trainers.command_line.config import STRATEGIES

_TF_CONFIG = "TF_CONFIG"


def configure_cpu_devices(num_cpu_devices: int) -> None:
  """Splits the physical CPU into `num_cpu_devices` logical devices.

  Lets a `MirroredStrategy` run several replicas on a machine without
  accelerators, e.g. to check that mirrored and single-device training agree.

  Args:
    num_cpu_devices: How many logical CPUs to create, at least 1.

  Raises:
    ValueError: `num_cpu_devices` < 1.
    RuntimeError: TensorFlow already initialized its devices with another
      layout; call this before any other TensorFlow operation.
  """
  if num_cpu_devices < 1:
    raise ValueError(f"--num_cpu_devices={num_cpu_devices}: need at least 1 "
                     f"logical CPU device")
  cpu = tf.config.list_physical_devices("CPU")[0]
  wanted = [tf.config.LogicalDeviceConfiguration()] * num_cpu_devices
  current = tf.config.get_logical_device_configuration(cpu)
  # An unsplit CPU is one logical device.
  if (len(current) if current else 1) == num_cpu_devices:
    return  # Already laid out this way: calling twice is harmless.
  try:
    tf.config.set_logical_device_configuration(cpu, wanted)
  except RuntimeError as e:
    raise RuntimeError(
        f"--num_cpu_devices={num_cpu_devices}: TensorFlow is already "
        f"initialized with {len(tf.config.list_logical_devices('CPU'))} "
        f"logical CPU(s); create the strategy before any other TensorFlow "
        f"operation ({e})") from e


def parse_tf_config(text: str | None = None) -> dict | None:
  """Reads and checks the `TF_CONFIG` cluster description.

  Args:
    text: The JSON text; None reads the `TF_CONFIG` environment variable.

  Returns:
    The parsed dict, or None when `TF_CONFIG` is unset or empty (a single
    worker).

  Raises:
    ValueError: the text is not valid JSON, or lacks the `cluster` and
      `task` entries a multi-worker job needs; the message names TF_CONFIG.
  """
  if text is None:
    text = os.environ.get(_TF_CONFIG, "")
  if not text.strip():
    return None
  try:
    config = json.loads(text)
  except json.JSONDecodeError as e:
    raise ValueError(f"{_TF_CONFIG} is not valid JSON ({e}): {text!r}. "
                     f"Expected e.g. "
                     f'{{"cluster": {{"worker": ["localhost:12345", '
                     f'"localhost:23456"]}}, '
                     f'"task": {{"type": "worker", "index": 0}}}}') from e
  if not isinstance(config, dict):
    raise ValueError(f"{_TF_CONFIG} must be a JSON object, got {text!r}")
  cluster, task = config.get("cluster"), config.get("task")
  if not isinstance(cluster, dict) or not cluster:
    raise ValueError(f"{_TF_CONFIG} needs a non-empty \"cluster\" object "
                     f"mapping job names to address lists, got {text!r}")
  for job, addresses in cluster.items():
    if not isinstance(addresses, list) or not all(
        isinstance(a, str) for a in addresses):
      raise ValueError(f"{_TF_CONFIG} cluster job {job!r} must be a list of "
                       f"'HOST:PORT' strings, got {addresses!r}")
  if not isinstance(task, dict):
    raise ValueError(f"{_TF_CONFIG} needs a \"task\" object such as "
                     f'{{"type": "worker", "index": 0}}, got {text!r}')
  task_type, index = task.get("type"), task.get("index")
  if task_type not in cluster:
    raise ValueError(f"{_TF_CONFIG} task type {task_type!r} is not a job of "
                     f"the cluster {sorted(cluster)}")
  if not isinstance(index, int) or not 0 <= index < len(cluster[task_type]):
    raise ValueError(f"{_TF_CONFIG} task index {index!r} is outside the "
                     f"{len(cluster[task_type])} {task_type!r} address(es)")
  return config


def make_strategy(name: str,
                  *,
                  num_cpu_devices: int | None = None,
                  tpu: str | None = None) -> tf.distribute.Strategy:
  """Builds the strategy a trainer runs its steps under.

  Args:
    name: "default" (one device), "mirrored" (all local GPUs, else the
      logical CPUs), "multi_worker" (`MultiWorkerMirroredStrategy` over the
      hosts of `TF_CONFIG`) or "tpu".
    num_cpu_devices: If set, first split the CPU into this many logical
      devices (see `configure_cpu_devices`).
    tpu: For "tpu": the TPU name or `grpc://` address given to
      `TPUClusterResolver`; None or "" finds it from the environment.

  Returns:
    The strategy.

  Raises:
    ValueError: unknown `name`, bad `num_cpu_devices`, or a malformed
      `TF_CONFIG` for "multi_worker".
    RuntimeError: TensorFlow was initialized before the devices were split.
  """
  if name not in STRATEGIES:
    raise ValueError(f"--strategy={name!r} is not one of {STRATEGIES}")
  if num_cpu_devices is not None:
    configure_cpu_devices(num_cpu_devices)
  if name == "default":
    return tf.distribute.get_strategy()
  if name == "mirrored":
    if tf.config.list_physical_devices("GPU"):
      return tf.distribute.MirroredStrategy()
    return tf.distribute.MirroredStrategy(
        [d.name for d in tf.config.list_logical_devices("CPU")])
  if name == "multi_worker":
    # Checked here because TensorFlow's own parser fails deep inside the
    # cluster resolver with a message that does not mention TF_CONFIG.
    parse_tf_config()
    return tf.distribute.MultiWorkerMirroredStrategy()
  return _tpu_strategy(tpu)


def _tpu_strategy(tpu: str | None) -> tf.distribute.TPUStrategy:
  """Connects to the TPU named `tpu` and builds a `TPUStrategy` over it."""
  hint = ("pass --tpu=NAME (a Cloud TPU name), --tpu=grpc://HOST:8470, or "
          "--tpu=local on a TPU VM")
  try:
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
  except ValueError as e:
    raise ValueError(f"--strategy=tpu --tpu={tpu!r}: cannot find a TPU "
                     f"({e}); {hint}") from e
  tf.config.experimental_connect_to_cluster(resolver)
  try:
    tf.tpu.experimental.initialize_tpu_system(resolver)
  except (tf.errors.NotFoundError, tf.errors.UnavailableError) as e:
    raise RuntimeError(f"--strategy=tpu --tpu={tpu!r}: no TPU answers "
                       f"({e.message.splitlines()[0]}); {hint}") from e
  return tf.distribute.TPUStrategy(resolver)


def _task(strategy: tf.distribute.Strategy) -> tuple[str | None, int, dict]:
  """(task type, task id, cluster dict) of this process in `strategy`."""
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None or not resolver.task_type:
    return None, 0, {}
  return (resolver.task_type, resolver.task_id or 0,
          resolver.cluster_spec().as_dict())


def is_chief(strategy: tf.distribute.Strategy) -> bool:
  """Whether this process writes the real checkpoints and exports.

  The chief is the `chief` task if the cluster has one, else worker 0; a
  process that is not part of a cluster is its own chief.

  Args:
    strategy: The strategy the trainer runs under.

  Returns:
    True for the chief.
  """
  task_type, task_id, cluster = _task(strategy)
  return (task_type is None or task_type == "chief" or
          (task_type == "worker" and task_id == 0 and "chief" not in cluster))


def checkpoint_dir_for_worker(workdir: str,
                              strategy: tf.distribute.Strategy) -> str:
  """Where this process writes its checkpoints.

  Under `MultiWorkerMirroredStrategy` every worker must take part in saving
  (saving runs collective ops), but only the chief's files are kept: the
  others write to a temporary directory of their own, which
  `remove_worker_checkpoint_dir` deletes when the run ends.

  Args:
    workdir: The checkpoint directory of the run.
    strategy: The strategy the trainer runs under.

  Returns:
    `workdir` for the chief, `workdir/workertemp_<task id>` for the others.
  """
  if is_chief(strategy):
    return workdir
  _, task_id, _ = _task(strategy)
  return os.path.join(workdir, f"workertemp_{task_id}")


def remove_worker_checkpoint_dir(workdir: str,
                                 strategy: tf.distribute.Strategy) -> None:
  """Deletes a non-chief's temporary checkpoint directory; no-op on the chief.

  Args:
    workdir: The same `workdir` given to `checkpoint_dir_for_worker`.
    strategy: The strategy the trainer runs under.
  """
  if is_chief(strategy):
    return
  path = checkpoint_dir_for_worker(workdir, strategy)
  if tf.io.gfile.exists(path):
    tf.io.gfile.rmtree(path)
