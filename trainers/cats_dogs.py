r"""Trains a cats/dogs classifier: perceptrons, deep nets, CNNs, ResNets.

  python -m trainers.cats_dogs --flagfile=trainers/configs/cats_dogs_cnn.flags \
      --data_dir=DATA_DIR --workdir=WORKDIR

Build the dataset first (`tfds build tfds_builders/cats_dogs
--manual_dir=PHOTO_FOLDER --data_dir=DATA_DIR`). The loop, its outputs and
resuming are those of `trainers.asl`; `python -m trainers.compare WORKDIR
...` then puts several runs side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

from absl import app
from absl import flags

from trainers import cats_dogs_models
from trainers import config as config_lib
from trainers import flags as trainer_flags
from trainers import loop

DATASET = "cats_dogs"
MODEL_NAMES = ("perceptron", "mlp_sigmoid", "deep10", "simple_cnn", "resnet")
# Flags that become model options when given; the model's own defaults apply
# otherwise, and the config rejects one the chosen model does not take.
MODEL_OPTION_FLAGS = ("activation", "finetune", "weights")
FLAGS = flags.FLAGS



def define_flags(flag_values: flags.FlagValues = FLAGS) -> None:
  """The common trainer flags with cats/dogs defaults, and the model options.

  Args:
    flag_values: Where to define them (tests pass a fresh `FlagValues`).
  """
  trainer_flags.define_common_flags(
      config_lib.Config(dataset=DATASET, model="simple_cnn",
                        image_size=(160, 160), augment="device"),
      model_names=MODEL_NAMES, flag_values=flag_values)
  flags.DEFINE_enum("activation", "sigmoid",
                    list(cats_dogs_models.DEEP10_ACTIVATIONS),
                    "Hidden activation of `deep10`.", flag_values=flag_values)
  flags.DEFINE_enum("finetune", "scratch",
                    list(cats_dogs_models.FINETUNE_STRATEGIES),
                    "What of `resnet` trains: scratch (all, random init), "
                    "full (all, from --weights), partial (last stage and "
                    "head), head (the new head only).",
                    flag_values=flag_values)
  flags.DEFINE_string("weights", "none", "`resnet` start: none, imagenet "
                      "(needs the network, or Keras's cached copy), or the "
                      "path of a ResNet50V2 no-top weights file.",
                      flag_values=flag_values)


def config_from_flags(flag_values: flags.FlagValues) -> config_lib.Config:
  """The validated Config; only model options given on the command line.

  Args:
    flag_values: Parsed flags from `define_flags`.

  Returns:
    The config.

  Raises:
    ValueError: naming the flag, e.g. `--activation` for a model without it.
  """
  options = {name: flag_values[name].value for name in MODEL_OPTION_FLAGS
             if flag_values[name].present}
  return trainer_flags.config_from_flags(flag_values, dataset=DATASET,
                                         model_options=options)


define_flags()


def main(argv: Sequence[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  try:
    config = config_from_flags(FLAGS)
  except ValueError as e:
    raise app.UsageError(str(e)) from None
  loop.train_and_evaluate(config, FLAGS.workdir)


if __name__ == "__main__":
  app.run(main)
