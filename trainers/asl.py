r"""Trains a Sign Language MNIST classifier.

  python -m trainers.asl --flagfile=asl --data_dir=DATA_DIR --workdir=WORKDIR

`--flagfile=asl` is the course recipe (`trainers/configs/asl.flags`; any
shipped config works by name, any other flagfile by path). Build the dataset
first: `tfds build sign_language_mnist --imports=tfds_builders
--manual_dir=CSV_DIR --data_dir=DATA_DIR`. A WORKDIR that already holds a
run resumes it. See `trainers.training.loop` for what the WORKDIR receives.
"""

from __future__ import annotations

from absl import flags

from tfds_builders.common import command
from trainers import configs
from trainers.command_line import config as config_lib
from trainers.command_line import flags as trainer_flags
from trainers.command_line import trainer_main

DEFAULTS = config_lib.Config(dataset="sign_language_mnist")


def define_flags(flag_values: flags.FlagValues) -> None:
  trainer_flags.define_flags(DEFAULTS, flag_values=flag_values)


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  trainer_main.main(flag_values, args, DEFAULTS)


if __name__ == "__main__":
  command.run(define_flags, main, rewrite_argv=configs.resolve_argv)
