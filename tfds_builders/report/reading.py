"""Reading a prepared TFDS dataset for the report: builder, splits, images."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

# Registers this package's builders, so `tfds.builder(name)` finds them.
import tfds_builders  # pylint: disable=unused-import
from tfds_builders.common import data_dirs
from tfds_builders.common import example_ids
from tfds_builders.report import hashing


def prepared_builder(name: str, data_dir: str | None
                     ) -> tfds.core.DatasetBuilder:
  """The builder of a dataset already built in `data_dir`.

  Args:
    name: A TFDS name, optionally with its config (`name/config`).
    data_dir: The TFDS data directory; None means TFDS's default.

  Returns:
    The prepared builder.

  Raises:
    ValueError: no dataset of that name is registered.
    FileNotFoundError: the dataset is not built in `data_dir`.
  """
  try:
    builder = tfds.builder(name, data_dir=data_dir)
  except tfds.core.registered.DatasetNotFoundError:
    raise ValueError(f"Unknown dataset {name!r}; registered datasets of this "
                     "package include 'sign_language_mnist' and "
                     "'cats_dogs'.") from None
  if not builder.is_prepared():
    raise FileNotFoundError(data_dirs.not_built_message(
        name, data_dir, str(builder.data_dir),
        bool(builder.MANUAL_DOWNLOAD_INSTRUCTIONS),
      builder.builder_config.name if builder.builder_config else None))
  for feature in ("image", "label"):
    if feature not in builder.info.features:
      raise ValueError(f"Dataset {name!r} has features "
                       f"{list(builder.info.features)}; the report needs "
                       "'image' and 'label'.")
  return builder


def check_splits(builder: tfds.core.DatasetBuilder,
                 splits: Sequence[str] | None) -> list[str]:
  """The splits to read: all of them by default, else each one checked.

  Raises:
    ValueError: a split the dataset cannot read, or one named twice (its
      examples would be counted twice, and found duplicates of themselves).
  """
  if not splits:
    # Training split first: the report reads in that order.
    return sorted(builder.info.splits, key=lambda split: (split != "train",
                                                          split))
  repeated = sorted({s for s in splits if list(splits).count(s) > 1})
  if repeated:
    raise ValueError(f"split {repeated[0]!r} is named twice in {list(splits)}; "
                     "name each split once.")
  for split in splits:
    try:
      builder.info.splits[split]  # pylint: disable=pointless-statement
    except (KeyError, ValueError) as e:
      raise ValueError(f"Bad split {split!r} for {builder.info.full_name}: "
                       f"{e} Use any of {list(builder.info.splits)}, "
                       "optionally sliced like 'train[:80%]'.") from None
  return list(splits)


def read(builder: tfds.core.DatasetBuilder, split: str, *,
         decode: bool = True) -> tf.data.Dataset:
  """The split's examples in file order, each with its `tfds_id`."""
  decoders = None if decode else {"image": tfds.decode.SkipDecoding()}
  return builder.as_dataset(
      split=split, shuffle_files=False, decoders=decoders,
      read_config=tfds.ReadConfig(add_tfds_id=True))


def fingerprints(builder: tfds.core.DatasetBuilder,
                 splits: Sequence[str]) -> hashing.Fingerprints:
  """Hashes of every example of `splits`, split after split."""
  return hashing.Fingerprints.concatenate(
      [hashing.fingerprint_dataset(read(builder, split), split)
       for split in splits])


def images(builder: tfds.core.DatasetBuilder, split: str,
           keys: Iterable[str]) -> dict[str, np.ndarray]:
  """The decoded images of the examples `keys` of `split`, by key.

  Only the chosen examples are decoded; the others are skipped by id.
  """
  keys = set(keys)
  if not keys:
    return {}
  channels = builder.info.features["image"].shape[-1]
  ds = example_ids.select_keys(read(builder, split, decode=False), keys)
  ds = ds.map(lambda example: (example["tfds_id"], tf.io.decode_image(
      example["image"], channels=channels or 0, expand_animations=False)))
  return {key.decode(): image for key, image in ds.as_numpy_iterator()}
