r"""Trains a Sign Language MNIST classifier.

  python -m trainers.asl --flagfile=asl --data_dir=DATA_DIR --workdir=WORKDIR

`--flagfile=asl` is the course recipe (`trainers/configs/asl.flags`; any
shipped config works by name, any other flagfile by path). Build the dataset
first: `tfds build sign_language_mnist --imports=tfds_builders
--manual_dir=CSV_DIR --data_dir=DATA_DIR`. A WORKDIR that already holds a
run resumes it. See `trainers.training.loop` for what the WORKDIR receives.
"""

from __future__ import annotations

import sys

from absl import app
from absl import flags

from trainers.command_line import trainer_main as cli
from trainers.command_line import config as config_lib
from trainers import configs
from tfds_builders.common import console
from trainers.command_line import flags as trainer_flags

DEFAULTS = config_lib.Config(dataset="sign_language_mnist")

trainer_flags.define_flags(DEFAULTS)
flags.adopt_module_key_flags(trainer_flags)


def main(argv):
  cli.main(argv, DEFAULTS)


if __name__ == "__main__":
  console.quiet()
  app.run(main, argv=configs.resolve_argv(sys.argv),
          flags_parser=cli.parse_flags)
