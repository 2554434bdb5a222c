"""Flags with one meaning across the commands: one name, one form, one check.

  --workdir      a training run's directory (`--model` is its alias where
                 a run is read: predict, evaluate, visualize)
  --out          always a directory; each command writes its files into it
  --image_size   `N` (a square) or `HEIGHT,WIDTH`, a (height, width) tuple
  --dataset      a TFDS name, `name` or `name/config`
  --data_dir     the TFDS data directory
  --split        a TFDS split, sliced or not (`train[:90%]`)
  --seed         an integer in 0..2**32-1, what NumPy and TensorFlow take
  --port         a TCP port, 0..65535 (0 picks a free one)

Their checks run while the command line is parsed, so a wrong value is a
usage error naming the flag before anything is created or imported.

Standard library and absl only: importing this module loads no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
import os
import pathlib
from typing import Any

from absl import flags

MAX_SEED = 2**32 - 1
# A LiteRT model file, which predict and evaluate take in place of a run.
LITERT_SUFFIX = ".tflite"
MAX_PORT = 65535
# Names that say "a file", given to a flag that takes a directory.
_FILE_SUFFIXES = (".png", ".jpg", ".jpeg", ".pdf", ".svg", ".md", ".json",
                  ".txt", ".csv")


def directory_problem(path: str | os.PathLike, must_exist: bool) -> str | None:
  """Why `path` cannot be a directory the command uses, or None.

  Args:
    path: The path a flag names.
    must_exist: Whether it must already be a directory (one to read), or
      may be created (one to write).

  Returns:
    A phrase such as "is a file, not a directory", or None if it is fine.
  """
  path = pathlib.Path(path).expanduser()
  if path.is_dir():
    return None
  if path.exists():
    return "is a file, not a directory"
  if must_exist:
    return "does not exist"
  parent = next(p for p in path.absolute().parents if p.exists())
  if not parent.is_dir():
    return f"cannot be created: {parent} is a file"
  if not os.access(parent, os.W_OK | os.X_OK):
    return f"cannot be created: {parent} is not writable"
  if path.suffix.lower() in _FILE_SUFFIXES:
    return ("looks like a file name, but names a directory: the command "
            "writes its own files into it")
  return None


def register_check(flag_values: flags.FlagValues, name: str,
                   check: Callable[[Any], None]) -> None:
  """Checks `--name` while parsing; `check` raises ValueError to refuse.

  Args:
    flag_values: Where the flag is defined.
    name: The flag.
    check: Called with the parsed value unless it is None; its ValueError's
      message becomes the flag error's (`flag --name=value: message`).
  """

  def validate(value) -> bool:
    try:
      if value is not None:
        check(value)
    except ValueError as e:
      raise flags.ValidationError(str(e)) from None
    return True

  flags.register_validator(name, validate, flag_values=flag_values)


def _register_directory_check(flag_values: flags.FlagValues, name: str,
                              must_exist: bool) -> None:
  def check(value) -> None:
    problem = directory_problem(value, must_exist)
    if problem:
      raise ValueError(problem)

  register_check(flag_values, name, check)


def define_workdir(flag_values: flags.FlagValues, help: str,  # pylint: disable=redefined-builtin
                   *, read: bool, litert: bool = False) -> None:
  """Defines the required `--workdir`.

  Args:
    flag_values: Where to define it.
    help: The flag's help.
    read: True where a finished run is read (it must exist; `--model` is
      an alias, the name these commands once used); False where a run is
      written (it may not exist yet, but must not be a file).
    litert: Whether an existing LiteRT model file (`.tflite`) is taken in
      place of a run. Where it is not, such a file is refused by name.
  """
  flags.DEFINE_string("workdir", None, help, flag_values=flag_values)
  flags.mark_flag_as_required("workdir", flag_values=flag_values)

  def check(value) -> None:
    path = pathlib.Path(value).expanduser()
    if path.suffix == LITERT_SUFFIX and path.is_file():
      if litert:
        return
      raise ValueError("is a LiteRT model, not a training run: this "
                       "command needs the run's directory (predict and "
                       "evaluate take a .tflite)")
    problem = directory_problem(value, must_exist=read)
    if problem:
      raise ValueError(problem)

  register_check(flag_values, "workdir", check)
  if read:
    flags.DEFINE_alias("model", "workdir", flag_values=flag_values)


def define_out_dir(flag_values: flags.FlagValues, help: str,  # pylint: disable=redefined-builtin
                   default: str | None = None, required: bool = False
                   ) -> None:
  """Defines `--out`, a directory the command writes into (created if new).

  Args:
    flag_values: Where to define it.
    help: The flag's help: what goes into the directory.
    default: The default directory; None for none.
    required: Whether it must be given.
  """
  flags.DEFINE_string("out", default, help, flag_values=flag_values)
  if required:
    flags.mark_flag_as_required("out", flag_values=flag_values)
  _register_directory_check(flag_values, "out", must_exist=False)


def define_dataset(flag_values: flags.FlagValues, default: str | None,
                   help: str = "TFDS dataset name, `name` or "  # pylint: disable=redefined-builtin
                   "`name/config`.") -> None:
  """Defines `--dataset`."""
  flags.DEFINE_string("dataset", default, help, flag_values=flag_values)


def define_data_dir(flag_values: flags.FlagValues,
                    help: str = "TFDS data directory (where `tfds build "  # pylint: disable=redefined-builtin
                    "--data_dir` wrote the dataset); default "
                    "$TFDS_DATA_DIR or ~/tensorflow_datasets.") -> None:
  """Defines `--data_dir`."""
  flags.DEFINE_string("data_dir", None, help, flag_values=flag_values)


def define_split(flag_values: flags.FlagValues, default: str,
                 help: str) -> None:  # pylint: disable=redefined-builtin
  """Defines `--split`, a TFDS split string."""
  flags.DEFINE_string("split", default, help, flag_values=flag_values)


def define_seed(flag_values: flags.FlagValues, default: int,
                help: str) -> None:  # pylint: disable=redefined-builtin
  """Defines `--seed`, in the range every seeded library accepts."""
  flags.DEFINE_integer("seed", default, help, lower_bound=0,
                       upper_bound=MAX_SEED, flag_values=flag_values)


def define_port(flag_values: flags.FlagValues, help: str) -> None:  # pylint: disable=redefined-builtin
  """Defines `--port`, 0 (a free one) or a TCP port."""
  flags.DEFINE_integer("port", 0, help, lower_bound=0, upper_bound=MAX_PORT,
                       flag_values=flag_values)


class ImageSizeParser(flags.ArgumentParser):
  """Parses `N` or `HEIGHT,WIDTH` (or a sequence) to `(height, width)`."""

  syntactic_help = "N or HEIGHT,WIDTH"

  def parse(self, argument) -> tuple[int, int] | None:
    if argument is None:
      return None
    parts = (list(argument) if isinstance(argument, (tuple, list)) else
             [p.strip() for p in str(argument).split(",")])
    if len(parts) == 1:
      parts *= 2
    try:
      size = tuple(int(p) for p in parts)
    except (TypeError, ValueError):
      size = ()
    if len(size) != 2 or min(size) < 1:
      raise ValueError("give one positive size N (a square) or "
                       "HEIGHT,WIDTH, e.g. 160 or 160,120")
    return size

  def flag_type(self) -> str:
    return "image size"


class _ImageSizeSerializer(flags.ArgumentSerializer):

  def serialize(self, value) -> str:
    return ",".join(str(v) for v in value)


def define_image_size(flag_values: flags.FlagValues,
                      default: tuple[int, int] | None, help: str) -> None:  # pylint: disable=redefined-builtin
  """Defines `--image_size`: `N` or `HEIGHT,WIDTH`, parsed to a tuple."""
  flags.DEFINE(ImageSizeParser(), "image_size", default,
               f"{help} N or HEIGHT,WIDTH.", flag_values=flag_values,
               serializer=_ImageSizeSerializer())
