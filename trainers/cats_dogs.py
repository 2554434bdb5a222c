r"""Trains a cats/dogs classifier: perceptrons, deep nets, CNNs, ResNets.

  python -m trainers.cats_dogs --flagfile=cats_dogs_cnn \
      --data_dir=DATA_DIR --workdir=WORKDIR

Shipped configs (`trainers/configs/cats_dogs_*.flags`) work by name. Build
the dataset first: `tfds build cats_dogs --imports=tfds_builders
--manual_dir=PHOTO_FOLDER --data_dir=DATA_DIR`. The loop, its outputs and
resuming are those of `trainers.asl`; `python -m trainers.compare WORKDIR
...` then puts several runs side by side.
"""

from __future__ import annotations

from absl import flags

from tfds_builders.common import command
from trainers import configs
from trainers.command_line import config as config_lib
from trainers.command_line import flags as trainer_flags
from trainers.command_line import trainer_main

DEFAULTS = config_lib.Config(dataset="cats_dogs", model="simple_cnn",
                             image_size=(160, 160))
# Flags that become model options when given; the model's own defaults apply
# otherwise, and the preflight check rejects one the chosen model does not
# take. The choices are the models' own (`trainers.models.photo_nets`).
MODEL_OPTIONS = (
    trainer_flags.ModelOption(
        "activation", "sigmoid", "Hidden activation of `deep10`.",
        config_lib.DEEP10_ACTIVATIONS),
    trainer_flags.ModelOption(
        "finetune", "scratch", "What of `resnet` trains: scratch (all, random "
        "init), full (all, from --weights), partial (last stage and head), "
        "head (the new head only).", config_lib.FINETUNE_STRATEGIES),
    trainer_flags.ModelOption(
        "weights", "none", "`resnet` start: none, imagenet (needs the "
        "network, or Keras's cached copy), or the path of a ResNet50V2 "
        "no-top weights file."),
)


def define_flags(flag_values: flags.FlagValues) -> None:
  trainer_flags.define_flags(DEFAULTS, MODEL_OPTIONS, flag_values=flag_values)


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  trainer_main.main(flag_values, args, DEFAULTS, MODEL_OPTIONS)


if __name__ == "__main__":
  command.run(define_flags, main, rewrite_argv=configs.resolve_argv)
