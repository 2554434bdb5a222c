"""What every trainer command does once its flags are parsed.

`python -m trainers.asl` and `python -m trainers.cats_dogs` differ only in
their defaults and model options; both call `main` here, under the
package's command-line contract (`tfds_builders.common.command`).

The checks come cheapest first, each a usage error naming its flag with
nothing created: the flags and their combinations (`Config.validate`, no
TensorFlow); a dataset that was never built (the file system); the model,
its options and the cluster (`trainers.command_line.preflight`, Keras and
TensorFlow); then the loop's own (splits, a resume that changes the model,
an unreachable `--data_service`) before it writes anything. A run that
diverges fails with exit status 1 and says why; one stopped by SIGTERM or
SIGINT exits with 143 or 130 after saving its step.
"""

from __future__ import annotations

import pathlib

from absl import flags

from tfds_builders.common import command
from tfds_builders.common import data_dirs
from trainers.command_line import config as config_lib
from trainers.command_line import flags as trainer_flags


def main(flag_values: flags.FlagValues, args: list[str],
         defaults: config_lib.Config,
         model_options: tuple[trainer_flags.ModelOption, ...] = ()) -> None:
  """Checks the command line, then trains and evaluates.

  Args:
    flag_values: The parsed flags of `trainer_flags.define_flags`.
    args: Positional arguments (none are taken).
    defaults: The trainer's defaults.
    model_options: The trainer's model-option flags.

  Raises:
    UsageError: for a command line that cannot run (see the module
      docstring); anything `train_and_evaluate` raises.
  """
  if args:
    raise command.UsageError(f"unexpected arguments: {' '.join(args)} "
                             "(every setting is a --flag; see --help)")
  config = trainer_flags.config_from_flags(flag_values, defaults,
                                           model_options)
  data_dirs.check_built(config.dataset, config.data_dir)
  # pylint: disable=g-import-not-at-top
  from trainers.command_line import preflight
  preflight.check(config)
  from trainers.training import loop
  # pylint: enable=g-import-not-at-top
  loop.train_and_evaluate(config, pathlib.Path(flag_values.workdir))
