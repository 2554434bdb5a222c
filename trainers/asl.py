r"""Trains a Sign Language MNIST classifier.

  python -m trainers.asl --flagfile=trainers/configs/asl.flags \
      --data_dir=DATA_DIR --workdir=WORKDIR

Build the dataset first (`tfds build tfds_builders/sign_language_mnist
--manual_dir=CSV_DIR --data_dir=DATA_DIR`). A WORKDIR that already holds a
run resumes it. See `trainers.loop` for what the WORKDIR receives.
"""

from __future__ import annotations

from collections.abc import Sequence

from absl import app
from absl import flags

from trainers import config as config_lib
from trainers import flags as trainer_flags
from trainers import loop
from trainers import models

DATASET = "sign_language_mnist"
FLAGS = flags.FLAGS

trainer_flags.define_common_flags(config_lib.Config(dataset=DATASET),
                                  model_names=models.MODEL_NAMES)


def main(argv: Sequence[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  try:
    config = trainer_flags.config_from_flags(FLAGS, dataset=DATASET)
  except ValueError as e:
    raise app.UsageError(str(e)) from None
  loop.train_and_evaluate(config, FLAGS.workdir)


if __name__ == "__main__":
  app.run(main)
