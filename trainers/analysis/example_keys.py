"""The names people know examples by, from their TFDS ids.

A TFDS id (`cats_dogs-train.tfrecord-00000-of-00001__17`) says where a
record sits, not which photo or CSV row it was. The package's datasets
know more: cats_dogs (both configs) stores each photo's path under the
root as `file_name`, and a Sign Language MNIST example comes from a CSV
line (`tfds_builders.sign_language_mnist.source_rows`). Any other dataset
keeps its TFDS ids.
"""

from __future__ import annotations

from collections.abc import Iterable
import collections

import tensorflow_datasets as tfds

import asl_pipeline.sources
from tfds_builders.common import example_ids
from tfds_builders.sign_language_mnist import source_rows

# The cats_dogs builder's feature holding the photo's path under the root.
FILE_NAME = "file_name"


def _file_names(builder: tfds.core.DatasetBuilder,
                ids: set[str]) -> dict[str, str]:
  """Each example's stored `file_name`, read without decoding images."""
  by_split = collections.defaultdict(set)
  for key in ids:
    by_split[source_rows.split_of(key)].add(key)
  names = {}
  image_keys = [name for name, feature in builder.info.features.items()
                if isinstance(feature, tfds.features.Image)]
  for split, wanted in by_split.items():
    if split not in builder.info.splits:
      continue
    ds = builder.as_dataset(
        split=split, shuffle_files=False,
        read_config=tfds.ReadConfig(add_tfds_id=True),
        decoders={k: tfds.decode.SkipDecoding() for k in image_keys})
    ds = example_ids.select_keys(ds, wanted).map(
        lambda e: (e[example_ids.ID_KEY], e[FILE_NAME]))
    names.update((key.decode(), name.decode())
                 for key, name in ds.as_numpy_iterator())
  return names


def keys(dataset: asl_pipeline.sources.Dataset, data_dir: str | None,
         ids: Iterable[str]) -> dict[str, str]:
  """A human key for each TFDS id: photo file name, `FILE:LINE`, or the id.

  Args:
    dataset: A TFDS name or builder, prepared.
    data_dir: Its data directory.
    ids: TFDS ids of its examples (any splits).

  Returns:
    `{tfds_id: key}` for every id given; the id itself where nothing
    better is known (a Sign Language MNIST source CSV that was moved, a
    dataset of another package).
  """
  ids = {str(i) for i in ids}
  if not ids:
    return {}
  builder = asl_pipeline.sources.builder(dataset, data_dir)
  if FILE_NAME in builder.info.features:
    found = _file_names(builder, ids)
  elif builder.info.name == "sign_language_mnist":
    found = source_rows.lines(builder, ids)
  else:
    found = {}
  return {i: found.get(i, i) for i in ids}
