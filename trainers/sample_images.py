r"""Writes a few images of a built dataset as PNG files, to try predict on.

  python -m trainers.sample_images --data_dir=DATA_DIR --out=DIR \
      [--dataset=sign_language_mnist] [--split=test] [--count=3]

Files are named `<index>_<label>.png`, so a prediction can be checked
against the file name.
"""

from __future__ import annotations

from collections.abc import Sequence
import pathlib

from absl import app
from absl import flags

from tfds_builders.common import console

if __name__ == "__main__":
  # First, before anything loads TensorFlow (see tfds_builders/common/console.py).
  console.quiet()

# pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow as tf

import asl_pipeline
import asl_pipeline.sources

_DATA_DIR = flags.DEFINE_string("data_dir", None, "TFDS data directory.")
_DATASET = flags.DEFINE_string("dataset", "sign_language_mnist", "Dataset.")
_SPLIT = flags.DEFINE_string("split", "test", "Split to take images from.")
_COUNT = flags.DEFINE_integer("count", 3, "Images to write.", lower_bound=1)
_OUT = flags.DEFINE_string("out", None, "Output directory.", required=True)


def main(argv: Sequence[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  names = asl_pipeline.info(_DATASET.value, _DATA_DIR.value).class_names
  # The stored examples, not a pipeline's: images keep their own size,
  # as a photo would have.
  dataset, _ = asl_pipeline.sources.load(_DATASET.value, split=_SPLIT.value,
                                         data_dir=_DATA_DIR.value)
  out = pathlib.Path(_OUT.value)
  out.mkdir(parents=True, exist_ok=True)
  for i, example in enumerate(dataset.take(_COUNT.value)):
    path = out / f"{i}_{names[int(example['label'])]}.png"
    tf.io.write_file(str(path), tf.io.encode_png(example["image"]))
    print(path)


if __name__ == "__main__":
  app.run(main)
