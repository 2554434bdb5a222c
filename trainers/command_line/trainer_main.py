"""What every trainer entry point does after its flags are parsed.

`python -m trainers.asl` and `python -m trainers.cats_dogs` differ only in
their defaults and model options; both call `main` here. A usage error (a
bad flag combination, an unknown model or split, a dataset that was never
built, a workdir that is a file, a resume that changes the model) is one
message on stderr and exit status 2, with nothing created. A run that
diverges exits with 1 and says why; one stopped by SIGTERM or SIGINT exits
with 143 or 130 after saving its step. TensorFlow is imported only once the
flags are valid.
"""

from __future__ import annotations

from collections.abc import Sequence
import pathlib
import sys

from absl import flags

from trainers.command_line import config as config_lib
from trainers.command_line import flags as trainer_flags

# absl's exit status for a command-line mistake.
USAGE_EXIT_CODE = 2
def parse_flags(argv: Sequence[str]) -> list[str]:
  """The `flags_parser` of `absl.app.run`: a flag error is one line."""
  try:
    return flags.FLAGS(argv)
  except flags.Error as e:
    _usage_error(str(e))


def main(argv: Sequence[str], defaults: config_lib.Config,
         model_options: tuple[trainer_flags.ModelOption, ...] = ()) -> None:
  """Validates the flags, then trains and evaluates.

  Args:
    argv: Positional arguments left after flag parsing (none are taken).
    defaults: The entry point's defaults.
    model_options: The entry point's model-option flags.
  """
  if len(argv) > 1:
    _usage_error(f"unexpected arguments: {' '.join(argv[1:])} (every "
                 "setting is a --flag; see --help)")
  fv = flags.FLAGS
  try:
    config = trainer_flags.config_from_flags(fv, defaults, model_options)
  except ValueError as e:
    _usage_error(str(e))
  workdir = pathlib.Path(fv.workdir)
  if workdir.exists() and not workdir.is_dir():
    _usage_error(f"--workdir={fv.workdir} is a file, not a directory.")
  from trainers.training import loop  # pylint: disable=g-import-not-at-top
  from trainers.training import stop_signals  # pylint: disable=g-import-not-at-top
  try:
    loop.train_and_evaluate(config, workdir)
  except config_lib.ConfigError as e:
    _usage_error(str(e))
  except FloatingPointError as e:
    # A NaN or a divergence: the message says where, why, and what was kept.
    _fail(str(e), 1)
  except stop_signals.Stopped as e:
    # The message is already printed; the status says which signal.
    sys.exit(e.exit_code)


def _usage_error(message: str):
  _fail(message, USAGE_EXIT_CODE)


def _fail(message: str, exit_code: int):
  spec = getattr(sys.modules["__main__"], "__spec__", None)
  program = spec.name if spec else pathlib.Path(sys.argv[0]).name
  print(f"{program}: error: {message}", file=sys.stderr)
  sys.exit(exit_code)
