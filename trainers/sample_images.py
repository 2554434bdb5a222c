r"""Writes a few images of a built dataset as PNG files, to try predict on.

  python -m trainers.sample_images --data_dir=DATA_DIR --out=DIR \
      [--dataset=sign_language_mnist] [--split=test] [--count=3]

Files are named `<index>_<label>.png`, so a prediction can be checked
against the file name. The images keep their stored size, as a photo would.
"""

from __future__ import annotations

import pathlib

from absl import flags

from tfds_builders.common import command
from tfds_builders.common import command_flags
from tfds_builders.common import data_dirs


def define_flags(flag_values: flags.FlagValues) -> None:
  command_flags.define_data_dir(flag_values)
  command_flags.define_dataset(flag_values, "sign_language_mnist")
  command_flags.define_split(flag_values, "test", "Split to take images "
                             "from.")
  flags.DEFINE_integer("count", 3, "Images to write.", lower_bound=1,
                       flag_values=flag_values)
  command_flags.define_out_dir(flag_values, "Directory for the PNG files.",
                               required=True)


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  """Writes the images and prints the path of each."""
  command.no_arguments(args)
  name, data_dir = flag_values.dataset, flag_values.data_dir
  data_dirs.check_built(name, data_dir)
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  from asl_pipeline import sources
  # pylint: enable=g-import-not-at-top
  with command.blame("dataset", name):
    names = sources.info(name, data_dir).class_names
  # The stored examples, not a pipeline's: images keep their own size.
  with command.blame("split", flag_values.split):
    dataset, _ = sources.load(name, split=flag_values.split,
                              data_dir=data_dir)
  out = pathlib.Path(flag_values.out)
  out.mkdir(parents=True, exist_ok=True)
  for i, example in enumerate(dataset.take(flag_values.count)):
    path = out / f"{i}_{names[int(example['label'])]}.png"
    tf.io.write_file(str(path), tf.io.encode_png(example["image"]))
    print(path)


if __name__ == "__main__":
  command.run(define_flags, main)
