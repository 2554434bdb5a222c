"""The command-line contract: how every command of the package starts and ends.

A command module defines its flags and its work, and hands both to `run`:

    def define_flags(flag_values: flags.FlagValues) -> None:
      command_flags.define_out_dir(flag_values, help="...")

    def main(flag_values: flags.FlagValues, args: list[str]) -> int | None:
      ...  # imports TensorFlow here, never at the top of the module

    if __name__ == "__main__":
      command.run(define_flags, main)

Flags go into a `FlagValues` of the command's own, never absl's global
`FLAGS`: importing a command module defines nothing, several command
modules can share one process, and tests call `execute` in process.

`run` quiets the console before anything loads TensorFlow
(`tfds_builders.common.console`), answers `--help` (exit 0), parses the
flags, runs `main` and ends the process by one table, `OUTCOMES`:

  raised                                        exit  stderr
  anything carrying its own int `exit_code`     it    nothing: it said why
    (a run stopped by SIGTERM or SIGINT)
  UsageError (`ConfigError` is one), a flag     2     PROGRAM: error: MESSAGE
    error, FileNotFoundError,
    NotADirectoryError, ConnectionError
  KeyboardInterrupt                             130   PROGRAM: interrupted
  any other exception                           1     PROGRAM: error: LINE

A usage error is something the command line asked for that cannot be: a
bad value or combination, a file, folder, dataset or split that is not
there, an address nobody answers at. Commands check them before they
create anything. A failure is what goes wrong while running. Either way
the message is one line (the first of a foreign exception's); a
traceback comes only with `--verbosity` (or `-v`), which also turns the
quiet console off.

Standard library and absl only: importing this module loads no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
import contextlib
import pathlib
import re
import sys
import textwrap
import traceback
from typing import Any, NoReturn

from absl import flags
from absl import logging as absl_logging

from tfds_builders.common import console

USAGE = 2
FAILURE = 1
INTERRUPTED = 130

DefineFlags = Callable[[flags.FlagValues], None]
Main = Callable[[flags.FlagValues, list[str]], "int | None"]
RewriteArgv = Callable[[Sequence[str]], list[str]]

_HELP_ARGS = ("--help", "-help", "-h", "--helpshort", "--helpfull", "-?")
_VERBOSITY_HELP = ("Show every log record, and a traceback with an error. "
                   "Any value turns the quiet console off; higher values "
                   "log more (absl's levels: 0 INFO, 1 DEBUG).")


class UsageError(ValueError):
  """A command line that cannot run; the message names the flag or file.

  Raised before the command creates anything.
  """


# Exception types and the exit status they end a command with; the first
# matching row wins. `exit_status` looks at an `exit_code` of the exception's
# own first (see the module docstring for the whole table).
OUTCOMES: tuple[tuple[tuple[type[BaseException], ...], int], ...] = (
    ((UsageError, flags.Error, FileNotFoundError, NotADirectoryError,
      ConnectionError), USAGE),
    ((KeyboardInterrupt,), INTERRUPTED),
    ((Exception,), FAILURE),
)


def exit_status(error: BaseException) -> int:
  """The exit status `error` ends a command with (`OUTCOMES`)."""
  own = getattr(error, "exit_code", None)
  if isinstance(own, int) and not isinstance(own, bool):
    return own
  for types, status in OUTCOMES:
    if isinstance(error, types):
      return status
  return FAILURE


def message(error: BaseException) -> str:
  """What the command prints for `error`: its first line, or its type.

  `UsageError`s are written by the package for this line and kept whole
  (a refused resume lists each flag on a line of its own).
  """
  text = str(error).strip()
  if isinstance(error, KeyboardInterrupt):
    return "interrupted"
  if isinstance(error, flags.Error):
    return _flag_error(text)
  if not isinstance(error, UsageError):
    text = text.splitlines()[0] if text else ""
  return text or type(error).__name__


def _flag_error(text: str) -> str:
  required = re.fullmatch(r"flag --(\w+)=None: Flag --\w+ must have a value "
                          r"other than None\.", text)
  return f"--{required[1]} is required" if required else text


def no_arguments(args: list[str]) -> None:
  """A usage error for positional arguments a command does not take."""
  if args:
    raise UsageError(f"unexpected arguments: {' '.join(args)} (every "
                     "setting is a --flag; see --help)")


@contextlib.contextmanager
def blame(flag: str, value: Any) -> Iterator[None]:
  """Makes a bad-value error inside the block a usage error naming `--flag`.

  For library calls that reject what a flag passed them: a `ValueError`,
  `KeyError` or `FileNotFoundError` raised inside becomes a `UsageError`
  whose message starts `--flag=value: `.

  Args:
    flag: The flag's name, without dashes.
    value: The value it was given.

  Yields:
    Nothing.
  """
  try:
    yield
  except UsageError:
    raise
  except (ValueError, KeyError, FileNotFoundError) as e:
    detail = str(e).strip().splitlines()
    raise UsageError(f"--{flag}={value}: "
                     f"{detail[0] if detail else type(e).__name__}") from e


def run(define_flags: DefineFlags, main: Main,
        argv: Sequence[str] | None = None,
        rewrite_argv: RewriteArgv | None = None) -> NoReturn:
  """Runs a command as a program and exits with its status.

  Args:
    define_flags: Defines the command's flags in the `FlagValues` given.
    main: Does the work: called with the parsed flags and the positional
      arguments; returns an exit status (None means 0).
    argv: The command line; None means `sys.argv`.
    rewrite_argv: Applied to the command line before parsing (the
      trainers find their shipped `--flagfile`s by name); what it raises
      ends the command as `main`'s would.
  """
  argv = list(sys.argv if argv is None else argv)
  console.quiet(argv)
  sys.exit(execute(define_flags, main, argv,
                   program_name(define_flags, argv), rewrite_argv))


def program_name(define_flags: DefineFlags, argv: Sequence[str]) -> str:
  """How messages name the command: `trainers.asl`, or the script's name."""
  spec = _command_globals(define_flags).get("__spec__")
  if spec is not None:
    return spec.name.removesuffix(".__main__")
  return pathlib.Path(argv[0]).name if argv else "command"


def _command_globals(define_flags: DefineFlags) -> dict[str, Any]:
  """The globals of the command's module (run as `__main__` or imported)."""
  return getattr(define_flags, "__globals__", {})


def execute(define_flags: DefineFlags, main: Main, argv: Sequence[str],
            program: str, rewrite_argv: RewriteArgv | None = None) -> int:
  """Parses `argv`, runs `main` and maps what it raises to an exit status.

  `run` without the console and the exit, for tests.

  Args:
    define_flags: As for `run`.
    main: As for `run`.
    argv: The command line, program name first.
    program: The name messages start with.
    rewrite_argv: As for `run`.

  Returns:
    The exit status.
  """
  flag_values = flags.FlagValues()
  define_flags(flag_values)
  flags.DEFINE_integer("verbosity", None, _VERBOSITY_HELP, short_name="v",
                       flag_values=flag_values)
  if asks_for_help(argv):
    print(help_text(define_flags, flag_values, program))
    return 0
  try:
    args = flag_values(list(rewrite_argv(argv) if rewrite_argv else argv))
  except Exception as e:  # pylint: disable=broad-except
    return _report(program, e, verbose=False)
  args = args[1:]
  verbose = flag_values["verbosity"].present
  if verbose:
    absl_logging.set_verbosity(flag_values.verbosity)
  # Libraries that log through absl expect its flags to be parsed; the
  # command's own flags never go there.
  flags.FLAGS.mark_as_parsed()
  try:
    status = main(flag_values, args)
  except SystemExit:
    raise
  except BaseException as e:  # pylint: disable=broad-except
    return _report(program, e, verbose)
  return int(status or 0)


def _report(program: str, error: BaseException, verbose: bool) -> int:
  status = exit_status(error)
  if verbose and not isinstance(error, flags.Error):
    traceback.print_exception(error)
  if getattr(error, "exit_code", None) is None:
    sys.stdout.flush()
    sep = ": " if isinstance(error, KeyboardInterrupt) else ": error: "
    print(f"{program}{sep}{message(error)}", file=sys.stderr, flush=True)
  return status


def asks_for_help(argv: Sequence[str]) -> bool:
  """Whether the command line asks for help (before any `--`)."""
  args = list(argv[1:])
  if "--" in args:
    args = args[:args.index("--")]
  return any(arg in _HELP_ARGS for arg in args)


def help_text(define_flags: DefineFlags, flag_values: flags.FlagValues,
              program: str) -> str:
  """The command's docstring, then each flag with its help and default."""
  doc = textwrap.dedent(_command_globals(define_flags).get("__doc__") or
                        "").strip()
  lines = [f"python -m {program}", ""] + ([doc, ""] if doc else [])
  lines.append("Flags:")
  # absl reads --flagfile itself, for every command: it is no flag of ours.
  lines.extend(["  --flagfile:", "    Read flags from this file, one per "
                "line; later flags win."])
  seen = set()
  for name in sorted(flag_values):
    flag = flag_values[name]
    if id(flag) in seen:
      continue
    seen.add(id(flag))
    short = f" (-{flag.short_name})" if flag.short_name else ""
    lines.append(f"  --{flag.name}{short}:")
    lines.extend(textwrap.wrap(flag.help or "", 76, initial_indent="    ",
                               subsequent_indent="    "))
    if flag.default is not None:
      lines.append(f"    (default: {flag.default_as_str})")
  return "\n".join(lines)
