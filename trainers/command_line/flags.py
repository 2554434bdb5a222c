"""absl flags derived from `trainers.command_line.config.Config`, and a Config from them.

An entry point calls `define_flags(defaults)` at import time and
`config_from_flags(FLAGS, defaults)` in `main`. Each flag's type, default,
help, choices and lower bound come from its Config field, so enum and bound
errors are reported while the command line is parsed, before TensorFlow is
imported, naming the flag.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
import typing
from typing import Any

from absl import flags

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
                 flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Defines `--workdir`, a flag per Config field, and the model options.

  Args:
    defaults: Config whose values become the flag defaults.
    model_options: Model-specific flags of this trainer.
    flag_values: Where to define them (tests pass a fresh `FlagValues`).
  """
  fv = flag_values
  flags.DEFINE_string("workdir", None, WORKDIR_HELP, flag_values=fv)
  flags.mark_flag_as_required("workdir", flag_values=fv)
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
                         flag_values=fv)
  elif base is float:
    flags.DEFINE_float(name, default, meta["help"], flag_values=fv)
    if lower is not None:
      # A float's bound is strict (a learning rate of 0 trains nothing).
      flags.register_validator(
          name, lambda v, lower=lower: v > lower,
          f"--{name} must be above {lower}.", flag_values=fv)
  elif typing.get_origin(base) is tuple:
    flags.DEFINE_list(name, None if default is None else
                      [str(v) for v in default], meta["help"], flag_values=fv)
    size = len(typing.get_args(base))
    flags.register_validator(
        name, lambda v: _positive_ints(v, size),
        f"--{name} must be {size} positive integers separated by commas.",
        flag_values=fv)
  else:
    flags.DEFINE_string(name, default, meta["help"], flag_values=fv)


def _positive_ints(value: list[str] | None, size: int) -> bool:
  if value is None:
    return True
  try:
    return len(value) == size and all(int(v) >= 1 for v in value)
  except ValueError:
    return False


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
    ValueError: naming the flag, if a combination of values is invalid
      (e.g. `--jit_compile` with `--mode=eager`).
  """
  values: dict[str, Any] = {
      f.name: flag_values[f.name].value
      for f in dataclasses.fields(config_lib.Config) if f.metadata["flag"]}
  if values["image_size"] is not None:
    values["image_size"] = tuple(int(v) for v in values["image_size"])
  if flag_values["mixed_precision"].value:
    if (flag_values["precision"].present and
        values["precision"] != "mixed_float16"):
      raise ValueError(f"--mixed_precision means --precision=mixed_float16, "
                       f"but --precision={values['precision']} is given too; "
                       "keep one.")
    values["precision"] = "mixed_float16"
  options: Mapping[str, Any] = {
      o.name: flag_values[o.name].value for o in model_options
      if flag_values[o.name].present}
  return dataclasses.replace(defaults, model_options=dict(options),
                             **values).validate()
