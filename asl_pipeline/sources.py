"""Where examples come from: TFDS builders, splits, sharding and metadata.

Everything that touches `tfds` lives here, so the pipeline module only sees
a `tf.data.Dataset` of example dicts plus a `DatasetInfo`.
"""

from __future__ import annotations

from collections.abc import Collection
import dataclasses

import tensorflow as tf
import tensorflow_datasets as tfds

# Registers the package's own builders (sign_language_mnist, cats_dogs, ...)
# so that `tfds.builder(name)` finds them without the caller importing it.
import tfds_builders  # pylint: disable=unused-import
from tfds_builders.common import example_ids

IMAGE_KEY = "image"
LABEL_KEY = "label"


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """What a pipeline user needs to know about a prepared dataset.

  Attributes:
    name: The TFDS name, e.g. `sign_language_mnist`.
    class_names: The label names, index i naming class i.
    num_classes: `len(class_names)`.
    image_shape: `(height, width, channels)` as stored; height and width are
      None when images vary in size.
    splits: Split name -> number of examples.
  """
  name: str
  class_names: tuple[str, ...]
  num_classes: int
  image_shape: tuple[int | None, ...]
  splits: dict[str, int]


def package_datasets() -> list[str]:
  """Names of the datasets whose builders ship with this package."""
  return sorted(
      name for name in tfds.list_builders(with_community_datasets=False)
      if tfds.builder_cls(name).__module__.startswith("tfds_builders."))


def builder(name: str, data_dir: str | None = None) -> tfds.core.DatasetBuilder:
  """The prepared TFDS builder of `name`, or an error saying what to do.

  Args:
    name: A TFDS dataset name, optionally with config (`name/config`).
    data_dir: The TFDS data directory; None means TFDS's default.

  Returns:
    The builder, guaranteed prepared.

  Raises:
    ValueError: `name` is not a registered dataset.
    FileNotFoundError: the dataset is not built in `data_dir`.
  """
  try:
    result = tfds.builder(name, data_dir=data_dir)
  except tfds.core.registered.DatasetNotFoundError:
    raise ValueError(
        f"Unknown dataset {name!r}. This package's datasets are "
        f"{package_datasets()}; any dataset registered with TFDS also works "
        "(import the module that defines it first).") from None
  if not result.is_prepared():
    base = name.split("/")[0]
    where = data_dir or "~/tensorflow_datasets"
    command = (f"tfds build {base} --imports=tfds_builders "
               f"--data_dir={where}")
    if result.MANUAL_DOWNLOAD_INSTRUCTIONS:
      command += " --manual_dir=<folder with the source files>"
    raise FileNotFoundError(
        f"Dataset {name!r} is not built in data_dir={where!r} (looked in "
        f"{result.data_dir}). Build it first:\n  {command}\nor pass the "
        "data_dir= that holds it.")
  return result


def info(name: str, data_dir: str | None = None) -> DatasetInfo:
  """Class names, image shape and split sizes of a prepared dataset.

  Args:
    name: A TFDS dataset name, e.g. `sign_language_mnist`.
    data_dir: The TFDS data directory; None means TFDS's default.

  Returns:
    A `DatasetInfo`.

  Raises:
    ValueError: unknown dataset, or one without an `image` and a ClassLabel
      `label` feature.
    FileNotFoundError: the dataset is not built in `data_dir`.
  """
  ready = builder(name, data_dir)
  features = ready.info.features
  missing = [key for key in (IMAGE_KEY, LABEL_KEY) if key not in features]
  if missing or not isinstance(features[LABEL_KEY], tfds.features.ClassLabel):
    raise ValueError(
        f"Dataset {name!r} has features {list(features)}; this pipeline needs "
        f"an {IMAGE_KEY!r} image and a {LABEL_KEY!r} ClassLabel.")
  label = features[LABEL_KEY]
  return DatasetInfo(
      name=name,
      class_names=tuple(label.names),
      num_classes=label.num_classes,
      image_shape=tuple(features[IMAGE_KEY].shape),
      splits={split: info_.num_examples
              for split, info_ in ready.info.splits.items()})


def image_encoding(name: str, data_dir: str | None = None) -> str | None:
  """How the dataset stores its images: `"jpeg"`, `"png"` or None (raw).

  Args:
    name: A TFDS dataset name.
    data_dir: The TFDS data directory.

  Returns:
    The `Image` feature's encoding format.
  """
  return builder(name, data_dir).info.features[IMAGE_KEY].encoding_format


def num_examples(name: str, split: str, data_dir: str | None = None) -> int:
  """Examples in `split`, which may be any TFDS split string.

  Args:
    name: A TFDS dataset name.
    split: `"train"`, `"train[:90%]"`, `"train+test"`, ...
    data_dir: The TFDS data directory.

  Returns:
    The number of examples the split reads.

  Raises:
    ValueError: the split is unknown or malformed.
  """
  splits = builder(name, data_dir).info.splits
  try:
    return splits[split].num_examples
  except (KeyError, ValueError) as e:
    raise ValueError(
        f"Bad split={split!r} for {name!r}: {e} Use one of {list(splits)}, "
        "optionally sliced like 'train[:90%]' or 'train[1000:]'.") from None


def load(name: str, *, split: str, data_dir: str | None = None,
         shuffle_files: bool = False, seed: int | None = None,
         input_context: tf.distribute.InputContext | None = None,
         decode_image: bool = True, exclude_ids: Collection[str] = (),
         include_ids: Collection[str] | None = None
         ) -> tuple[tf.data.Dataset, int]:
  """Reads one split as a dataset of `{"image", "label"}` dicts.

  With an `input_context`, the split is cut into `num_input_pipelines`
  contiguous, near-equal slices and this pipeline reads only slice
  `input_pipeline_id`: slices are disjoint, together cover the split, and
  work whatever the number of files (file-level sharding would need at
  least one file per pipeline).

  Args:
    name: A TFDS dataset name.
    split: Any TFDS split string.
    data_dir: The TFDS data directory.
    shuffle_files: Read files in a seeded random order (once per pass).
    seed: Seed of that file order.
    input_context: From `tf.distribute`, to read one shard.
    decode_image: False leaves `image` as its encoded bytes, for a reader
      that decodes it itself (e.g. at a reduced scale).
    exclude_ids: TFDS ids (`tfds_id`) of examples to leave out, e.g.
      `tfds_builders.report.cross_split_duplicate_keys(...)`.
    include_ids: If given, the TFDS ids of the only examples to read (a
      held-out part of a split).

  Returns:
    The dataset and the number of examples this shard reads (before
    `exclude_ids` are left out; `len(include_ids)` when given).

  Raises:
    ValueError: the split is unknown, malformed or empty.
  """
  ready = builder(name, data_dir)
  count = num_examples(name, split, data_dir)
  if not count:
    raise ValueError(
        f"split={split!r} of {name!r} is empty: it selects no example (the "
        "splits hold "
        f"{ {k: v.num_examples for k, v in ready.info.splits.items()} }). "
        "Widen the slice, e.g. 'train[:10%]'.")
  if input_context is not None and input_context.num_input_pipelines > 1:
    split = tfds.even_splits(split, n=input_context.num_input_pipelines,
                             drop_remainder=False)[
                                 input_context.input_pipeline_id]
    count = ready.info.splits[split].num_examples
  # assert_cardinality=False: under the tf.data service's distributed_epoch
  # mode each service worker reads only part of the split, which TFDS's
  # element-count assertion would reject ("expected N elements but
  # contained only 0").
  by_id = bool(exclude_ids) or include_ids is not None
  read_config = tfds.ReadConfig(shuffle_seed=seed, add_tfds_id=by_id,
                                assert_cardinality=False)
  decoders = None if decode_image else {IMAGE_KEY: tfds.decode.SkipDecoding()}
  dataset = ready.as_dataset(split=split, shuffle_files=shuffle_files,
                             read_config=read_config, decoders=decoders)
  if include_ids is not None:
    dataset = example_ids.select_keys(dataset, include_ids)
    count = len(include_ids)
  if exclude_ids:
    dataset = example_ids.drop_keys(dataset, exclude_ids)
  if by_id:
    dataset = dataset.map(lambda example: {
        k: v for k, v in example.items() if k != example_ids.ID_KEY})
  return dataset, count
