"""absl flags derived from `trainers.command_line.config.Config`, and a Config from them.

A trainer's `define_flags(flag_values)` calls `define_flags(defaults, ...)`
here, and its `main` calls `config_from_flags(flag_values, defaults)`. Each
flag's type, default, help, choices and bounds come from its Config field,
so enum and bound errors are reported while the command line is parsed,
before TensorFlow is imported, naming the flag. Flags with a meaning shared
by every command (`--workdir`, `--image_size`, `--seed`) take their form
from `tfds_builders.common.command_flags`.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
import math
import typing
from typing import Any

from absl import flags

from tfds_builders.common import command_flags
from trainers.command_line import config as config_lib

# Flags that are not Config fields.
WORKDIR_HELP = ("Directory for checkpoints, logs, metrics, the exported model "
                "and plots. A workdir that already holds a run resumes it.")
MIXED_PRECISION_HELP = "Alias of --precision=mixed_float16."


@dataclasses.dataclass(frozen=True)
class ModelOption:
  """A flag that becomes a model option when given on the command line.

  Attributes:
    name: The flag and option name.
    default: Shown as the flag's default; the model's own default applies
      when the flag is not given.
    help: The flag's help.
    choices: Allowed values, or empty for any string.
  """

  name: str
  default: str
  help: str
  choices: tuple[str, ...] = ()


def define_flags(defaults: config_lib.Config,
                 model_options: tuple[ModelOption, ...] = (),
                 *, flag_values: flags.FlagValues,
                 workdir: bool = True) -> None:
  """Defines `--workdir`, a flag per Config field, and the model options.

  Args:
    defaults: Config whose values become the flag defaults.
    model_options: Model-specific flags of this trainer.
    flag_values: Where to define them: the command's own `FlagValues`.
    workdir: Define `--workdir` (False for a command that lays out runs
      of its own under `--out`).
  """
  fv = flag_values
  if workdir:
    command_flags.define_workdir(fv, WORKDIR_HELP, read=False)
  types = typing.get_type_hints(config_lib.Config)
  for field in dataclasses.fields(config_lib.Config):
    if field.metadata["flag"]:
      _define(field, types[field.name], getattr(defaults, field.name), fv)
  flags.DEFINE_bool("mixed_precision", False, MIXED_PRECISION_HELP,
                    flag_values=fv)
  for option in model_options:
    if option.choices:
      flags.DEFINE_enum(option.name, option.default, list(option.choices),
                        option.help, flag_values=fv)
    else:
      flags.DEFINE_string(option.name, option.default, option.help,
                          flag_values=fv)


def _define(field: dataclasses.Field, kind: Any, default: Any,
            fv: flags.FlagValues) -> None:
  """Defines the flag of one Config field, typed by its annotation."""
  meta, name = field.metadata, field.name
  # `int | None` -> int: None is the unset default, never a typed value.
  base = next((a for a in typing.get_args(kind) if a is not type(None)),
              kind)
  lower = meta["lower"]
  if meta["choices"]:
    flags.DEFINE_enum(name, default, list(meta["choices"]), meta["help"],
                      flag_values=fv)
  elif base is bool:
    flags.DEFINE_bool(name, default, meta["help"], flag_values=fv)
  elif base is int:
    flags.DEFINE_integer(name, default, meta["help"], lower_bound=lower,
                         upper_bound=meta["upper"], flag_values=fv)
  elif base is float:
    flags.DEFINE_float(name, default, meta["help"], flag_values=fv)
    _check_float(fv, name, lower)
  elif typing.get_origin(base) is tuple:
    command_flags.define_image_size(fv, default, meta["help"])
  else:
    flags.DEFINE_string(name, default, meta["help"], flag_values=fv)


def _check_float(fv: flags.FlagValues, name: str,
                 lower: float | None) -> None:
  """Checks a float flag: finite, and above its strict lower bound."""

  def check(value: float) -> None:
    # An infinite learning rate would only fail at the second step; a
    # rate of 0 would train nothing.
    if not math.isfinite(value):
      raise ValueError("must be a finite number")
    if lower is not None and value <= lower:
      raise ValueError(f"must be above {lower}")

  command_flags.register_check(fv, name, check)


def config_from_flags(flag_values: flags.FlagValues,
                      defaults: config_lib.Config,
                      model_options: tuple[ModelOption, ...] = ()
                      ) -> config_lib.Config:
  """Builds and validates a Config from parsed flag values.

  Args:
    flag_values: Parsed flags defined by `define_flags`.
    defaults: The entry point's defaults (fields without flags keep theirs).
    model_options: The model-option flags; only those given on the command
      line (or in a flagfile) become options, so a model's own defaults
      apply otherwise.

  Returns:
    The validated config.

  Raises:
    ConfigError: naming the flag, if a combination of values is invalid
      (e.g. `--jit_compile` with `--mode=eager`).
  """
  values: dict[str, Any] = {
      f.name: flag_values[f.name].value
      for f in dataclasses.fields(config_lib.Config) if f.metadata["flag"]}
  if flag_values["mixed_precision"].value:
    if (flag_values["precision"].present and
        values["precision"] != "mixed_float16"):
      raise config_lib.ConfigError(
          f"--mixed_precision means --precision=mixed_float16, but "
          f"--precision={values['precision']} is given too; keep one.")
    values["precision"] = "mixed_float16"
  options: Mapping[str, Any] = {
      o.name: flag_values[o.name].value for o in model_options
      if flag_values[o.name].present}
  return dataclasses.replace(defaults, model_options=dict(options),
                             **values).validate()
