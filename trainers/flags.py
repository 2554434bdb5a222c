"""absl flags shared by the trainer entry points, and Config from them.

An entry point calls `define_common_flags(defaults, model_names=...)` at
import time and `config_from_flags(FLAGS, ...)` in `main`. Enum flags and
bounds reject bad values while the command line is parsed, before any data
is read, with a message naming the flag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import dataclasses
from typing import Any

from absl import flags

from trainers import config as config_lib


def define_common_flags(defaults: config_lib.Config,
                        model_names: Sequence[str],
                        flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Defines the flags every trainer has.

  Args:
    defaults: Config whose values become the flag defaults.
    model_names: The choices of `--model`.
    flag_values: Where to define them (tests pass a fresh `FlagValues`).
  """
  d, fv = defaults, flag_values
  flags.DEFINE_string("workdir", None, "Directory for checkpoints, logs, "
                      "metrics, the exported model and plots. A workdir that "
                      "already holds a run resumes it.", flag_values=fv)
  flags.DEFINE_string("data_dir", d.data_dir, "TFDS data directory (where "
                      "`tfds build --data_dir` wrote the dataset).",
                      flag_values=fv)
  flags.DEFINE_enum("model", d.model, list(model_names), "Model to train.",
                    flag_values=fv)
  flags.DEFINE_integer("epochs", d.epochs, "Epochs to train.", lower_bound=1,
                       flag_values=fv)
  flags.DEFINE_integer("batch_size", d.batch_size, "Training batch size.",
                       lower_bound=1, flag_values=fv)
  flags.DEFINE_integer("eval_batch_size", d.eval_batch_size,
                       "Validation/test batch size.", lower_bound=1,
                       flag_values=fv)
  flags.DEFINE_float("learning_rate", d.learning_rate, "Learning rate (> 0).",
                     flag_values=fv)
  flags.register_validator("learning_rate", lambda v: v > 0,
                           "--learning_rate must be positive.", flag_values=fv)
  flags.DEFINE_enum("optimizer", d.optimizer, list(config_lib.OPTIMIZERS),
                    "Optimizer.", flag_values=fv)
  flags.DEFINE_enum("mode", d.mode, list(config_lib.MODES),
                    "`function`: the step is a tf.function; `eager`: op by "
                    "op, for debugging.", flag_values=fv)
  flags.DEFINE_bool("jit_compile", d.jit_compile, "XLA-compile the forward "
                    "and backward pass (augmentation stays outside XLA).",
                    flag_values=fv)
  flags.DEFINE_enum("augment", d.augment, list(config_lib.AUGMENTS),
                    "`device`: augment inside the train step; `pipeline`: in "
                    "tf.data; `none`.", flag_values=fv)
  flags.DEFINE_integer("seed", d.seed, "Random seed.", flag_values=fv)
  flags.DEFINE_integer("steps_per_epoch", d.steps_per_epoch, "Train steps per "
                       "epoch; unset means one pass over the train split.",
                       lower_bound=1, flag_values=fv)
  flags.DEFINE_integer("early_stopping_patience", d.early_stopping_patience,
                       "Epochs without a better validation accuracy before "
                       "stopping; 0 never stops early.", lower_bound=0,
                       flag_values=fv)
  flags.DEFINE_bool("mixed_precision", d.mixed_precision, "Train with the "
                    "mixed_float16 policy and loss scaling.", flag_values=fv)
  flags.DEFINE_list("image_size", None if d.image_size is None else
                    [str(s) for s in d.image_size], "HEIGHT,WIDTH to resize "
                    "to; unset keeps the dataset's size.", flag_values=fv)
  flags.register_validator(
      "image_size", _valid_image_size,
      "--image_size must be two positive integers: HEIGHT,WIDTH.",
      flag_values=fv)
  flags.DEFINE_string("train_split", d.train_split, "TFDS split to train on.",
                      flag_values=fv)
  flags.DEFINE_string("validation_split", d.validation_split, "TFDS split "
                      "validated each epoch; empty for none.", flag_values=fv)
  flags.DEFINE_string("test_split", d.test_split, "TFDS split evaluated at "
                      "the end; empty for none.", flag_values=fv)
  _define_distribution_flags(d, fv)
  flags.mark_flag_as_required("workdir", flag_values=fv)


def _define_distribution_flags(d: config_lib.Config,
                               fv: flags.FlagValues) -> None:
  """Flags saying where a run executes: devices, hosts, input workers."""
  flags.DEFINE_enum("strategy", d.strategy, list(config_lib.STRATEGIES),
                    "tf.distribute strategy: `default` (one device), "
                    "`mirrored` (all local GPUs, else --num_cpu_devices "
                    "CPUs), `multi_worker` (the hosts of TF_CONFIG), `tpu` "
                    "(see --tpu). --batch_size is the global batch.",
                    flag_values=fv)
  flags.DEFINE_integer("num_cpu_devices", d.num_cpu_devices, "Split the CPU "
                       "into N logical devices, e.g. to run "
                       "--strategy=mirrored without GPUs.", lower_bound=1,
                       flag_values=fv)
  flags.DEFINE_string("tpu", d.tpu, "--strategy=tpu: TPU name, "
                      "grpc://HOST:8470, or `local` on a TPU VM; unset finds "
                      "it from the environment.", flag_values=fv)
  flags.DEFINE_string("data_service", d.data_service, "grpc://HOST:PORT of "
                      "a tf.data service dispatcher (`python -m "
                      "asl_pipeline.service dispatcher`) whose workers "
                      "produce the training batches.", flag_values=fv)


def _valid_image_size(value: list[str] | None) -> bool:
  if value is None:
    return True
  try:
    return len(value) == 2 and all(int(v) >= 1 for v in value)
  except ValueError:
    return False


def config_from_flags(flag_values: flags.FlagValues, *, dataset: str,
                      model_options: Mapping[str, Any] | None = None,
                      **overrides: Any) -> config_lib.Config:
  """Builds and validates a Config from parsed flag values.

  Args:
    flag_values: Parsed flags defined by `define_common_flags`.
    dataset: TFDS dataset name.
    model_options: Model-specific options, gathered by the entry point.
    **overrides: Any other Config fields, set as given.

  Returns:
    The validated config.

  Raises:
    ValueError: naming the flag, if a combination of values is invalid
      (e.g. `--jit_compile` with `--mode=eager`).
  """
  names = {f.name for f in dataclasses.fields(config_lib.Config)}
  values = {name: flag_values[name].value for name in names
            if name in flag_values}
  if values.get("image_size") is not None:
    values["image_size"] = tuple(int(v) for v in values["image_size"])
  values.update(dataset=dataset, model_options=dict(model_options or {}),
                **overrides)
  return config_lib.Config(**values).validate()
