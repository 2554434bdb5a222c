"""The shipped flagfiles, found wherever the package is installed.

    python -m trainers.configs          # every config and its path
    python -m trainers.configs asl      # the path of asl.flags
    python -m trainers.asl --flagfile="$(python -m trainers.configs asl)" ...

`path(name)` resolves a bare config name (`asl`, `asl.flags`) or the
checkout-relative form the docs use (`trainers/configs/asl.flags`) to the
installed file, so that the same command works in a clone and after
`pip install`. Standard library only: an entry point can resolve its
`--flagfile` before TensorFlow is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
import pathlib

DIRECTORY = pathlib.Path(__file__).resolve().parent
SUFFIX = ".flags"
# How the docs and flagfile headers write a config's path in a checkout.
_CHECKOUT_PREFIX = ("trainers", "configs")


def names() -> list[str]:
  """Names of the shipped configs, e.g. `["asl", "asl_demo", ...]`."""
  return sorted(p.stem for p in DIRECTORY.glob(f"*{SUFFIX}"))


def _shipped_name(value: str) -> str | None:
  """The config `value` names, if it is a bare name or the checkout form."""
  parts = pathlib.PurePath(value).parts
  if len(parts) == 1 or tuple(parts[-3:-1]) == _CHECKOUT_PREFIX:
    name = parts[-1]
    return name[:-len(SUFFIX)] if name.endswith(SUFFIX) else name
  return None


def path(name: str) -> pathlib.Path:
  """The file a `--flagfile` value means.

  Args:
    name: An existing file (returned as it is), a shipped config's name
      (`asl` or `asl.flags`), or its path in a checkout
      (`trainers/configs/asl.flags`), found in the installed package when
      the current directory is not a checkout.

  Returns:
    The path of an existing flagfile.

  Raises:
    FileNotFoundError: neither a file nor a shipped config; the message
      lists the shipped configs.
  """
  given = pathlib.Path(name).expanduser()
  if given.is_file():
    return given
  shipped = _shipped_name(name)
  if shipped is not None and (DIRECTORY / f"{shipped}{SUFFIX}").is_file():
    return DIRECTORY / f"{shipped}{SUFFIX}"
  raise FileNotFoundError(
      f"No flagfile {name!r}: not a file, and not one of the shipped configs "
      f"{', '.join(names())} (in {DIRECTORY}).")


def resolve_argv(argv: Sequence[str]) -> list[str]:
  """`argv` with each `--flagfile` value replaced by the file it means.

  Leaves every other argument alone, and everything after `--`.

  Args:
    argv: A command line, e.g. `sys.argv`.

  Returns:
    A new list.

  Raises:
    FileNotFoundError: a `--flagfile` value names neither a file nor a
      shipped config; the message names it and lists the shipped ones.
  """
  out = []
  args = iter(argv)
  for arg in args:
    if arg == "--":
      out.append(arg)
      out.extend(args)
      break
    for prefix in ("--flagfile=", "-flagfile="):
      if arg.startswith(prefix):
        arg = prefix + str(path(arg[len(prefix):]))
        break
    else:
      if arg in ("--flagfile", "-flagfile"):
        out.append(arg)
        arg = str(path(next(args, "")))
    out.append(arg)
  return out
