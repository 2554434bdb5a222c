"""Where examples come from: TFDS builders, splits, sharding and metadata.

Everything that touches `tfds` lives here (and in `builders` and
`features`), so the pipeline module only sees a `tf.data.Dataset` of
`{"image", "label"}` dicts plus a `DatasetInfo`. A dataset is a TFDS name
(`name` or `name/config`) or a `tfds.core.DatasetBuilder` object, prepared
on disk or serving examples without files (`ImageFolder`,
`tfds.testing.mock_data`); its image and label features may have any
names.
"""

from __future__ import annotations

from collections.abc import Collection
import dataclasses
import functools

import tensorflow as tf
import tensorflow_datasets as tfds

from asl_pipeline import builders
from asl_pipeline import features
from tfds_builders.common import example_ids

# The keys of the examples `load` yields, whatever the dataset calls them.
IMAGE_KEY = "image"
LABEL_KEY = "label"
ID_KEY = example_ids.ID_KEY

Dataset = builders.Dataset
describe = builders.describe
package_datasets = builders.package_datasets


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """What a pipeline user needs to know about a prepared dataset.

  Attributes:
    name: The TFDS name, e.g. `sign_language_mnist` (as given, or the
      builder's `name/config`).
    class_names: The label names, index i naming class i.
    num_classes: `len(class_names)`.
    image_shape: `(height, width, channels)` as stored; height and width are
      None when images vary in size.
    splits: Split name -> number of examples, as the dataset's metadata
      lists them (none under `tfds.testing.mock_data` without metadata).
    image_key: The dataset's image feature.
    label_key: The dataset's class-label feature.
  """
  name: str
  class_names: tuple[str, ...]
  num_classes: int
  image_shape: tuple[int | None, ...]
  splits: dict[str, int]
  image_key: str = IMAGE_KEY
  label_key: str = LABEL_KEY


def builder(name: Dataset, data_dir: str | None = None
            ) -> tfds.core.DatasetBuilder:
  """The builder of a dataset, ready to read, or an error saying what to do.

  Args:
    name: A TFDS dataset name, optionally with config (`name/config`), or a
      `tfds.core.DatasetBuilder`.
    data_dir: The TFDS data directory of a name; None means TFDS's default.

  Returns:
    The builder: prepared, or serving examples without files.

  Raises:
    TypeError: `name` is neither a name nor a builder.
    ValueError: `name` is not a registered dataset.
    FileNotFoundError: the dataset is not built in `data_dir`.
  """
  return builders.resolve(name, data_dir)


def info(name: Dataset, data_dir: str | None = None, *,
         image_key: str | None = None,
         label_key: str | None = None) -> DatasetInfo:
  """Class names, image shape and split sizes of a dataset.

  Args:
    name: A TFDS dataset name, e.g. `sign_language_mnist`, or a
      `tfds.core.DatasetBuilder`.
    data_dir: The TFDS data directory; None means TFDS's default.
    image_key: The image feature; None finds the dataset's one `Image`.
    label_key: The label feature; None finds its one `ClassLabel`.

  Returns:
    A `DatasetInfo`.

  Raises:
    ValueError: unknown dataset, or no single image and class-label
      feature (the message names `image_key=` or `label_key=`).
    FileNotFoundError: the dataset is not built in `data_dir`.
  """
  return _info(builders.resolve(name, data_dir), name, image_key, label_key)


def _info(ready: tfds.core.DatasetBuilder, name: Dataset,
          image_key: str | None, label_key: str | None) -> DatasetInfo:
  image, label = features.image_and_label(
      ready.info, dataset=builders.describe(name), image_key=image_key,
      label_key=label_key)
  found = ready.info.features
  return DatasetInfo(
      name=name if isinstance(name, str) else builders.full_name(ready),
      class_names=tuple(found[label].names),
      num_classes=found[label].num_classes,
      image_shape=tuple(found[image].shape),
      splits={split: info_.num_examples
              for split, info_ in ready.info.splits.items()},
      image_key=image, label_key=label)


def image_encoding(name: Dataset, data_dir: str | None = None, *,
                   image_key: str | None = None,
                   label_key: str | None = None) -> str | None:
  """How the dataset stores its images: `"jpeg"`, `"png"` or None (raw).

  Args:
    name: A TFDS dataset name or builder.
    data_dir: The TFDS data directory.
    image_key: The image feature; None finds it.
    label_key: The label feature; None finds it.

  Returns:
    The `Image` feature's encoding format.
  """
  ready = builders.resolve(name, data_dir)
  key = _info(ready, name, image_key, label_key).image_key
  return ready.info.features[key].encoding_format


def _bad_split(name: Dataset, split, ready, error: Exception) -> ValueError:
  return ValueError(
      f"Bad split={split!r} for {builders.describe(name)}: {error} Use one "
      f"of {list(ready.info.splits)}, optionally sliced like 'train[:90%]' "
      "or 'train[1000:]'.")


def num_examples(name: Dataset, split: str,
                 data_dir: str | None = None) -> int:
  """Examples in `split`, which may be any TFDS split string.

  Args:
    name: A TFDS dataset name or builder.
    split: `"train"`, `"train[:90%]"`, `"train+test"`, ...
    data_dir: The TFDS data directory.

  Returns:
    The number of examples the split reads: from the dataset's metadata,
    or, for a builder serving examples without metadata (a mock), from
    the dataset it makes.

  Raises:
    ValueError: the split is unknown or malformed.
  """
  return _count(builders.resolve(name, data_dir), name, split)


def _count(ready: tfds.core.DatasetBuilder, name: Dataset, split) -> int:
  try:
    return ready.info.splits[split].num_examples
  except (KeyError, ValueError) as e:
    if ready.is_prepared() or not isinstance(split, str):
      raise _bad_split(name, split, ready, e) from None
    error = e
  try:
    return _length(_read(ready, split, read_config=tfds.ReadConfig()))
  except ValueError:
    raise _bad_split(name, split, ready, error) from None


def _length(dataset: tf.data.Dataset) -> int:
  """The number of elements of a finite dataset, counted if not known."""
  length = int(dataset.cardinality())
  if length == tf.data.INFINITE_CARDINALITY:
    raise ValueError("The dataset is infinite.")
  if length == tf.data.UNKNOWN_CARDINALITY:
    length = int(dataset.reduce(0, lambda count, _: count + 1))
  return length


def _read(ready: tfds.core.DatasetBuilder, split, *, read_config,
          shuffle_files: bool = False, decoders=None) -> tf.data.Dataset:
  """`as_dataset(split)`, slicing a split the builder cannot slice itself."""
  whole = isinstance(split, str) and split in ready.info.splits
  if builders.reads_slices(ready) or whole:
    # Only TFDS's file readers shuffle files from `read_config`'s seed;
    # others (ImageFolder) would shuffle unseeded, and the pipelines
    # shuffle after reading anyway.
    return ready.as_dataset(
        split=split, read_config=read_config, decoders=decoders,
        shuffle_files=shuffle_files and builders.reads_slices(ready))
  # The builder reads whole splits only (ImageFolder): read each one in
  # its fixed order and cut the slice out of it.
  parts = []
  for part in tfds.core.ReadInstruction.from_spec(split).to_absolute(
      ready.info.splits):
    whole_split = ready.as_dataset(split=part.splitname,
                                   read_config=read_config, decoders=decoders)
    start = part.from_ or 0
    whole_split = whole_split.skip(start)
    if part.to is not None:
      whole_split = whole_split.take(part.to - start)
    parts.append(whole_split)
  return functools.reduce(tf.data.Dataset.concatenate, parts)


def _shard(ready: tfds.core.DatasetBuilder, split, read_config, decoders,
           shuffle_files: bool,
           input_context: tf.distribute.InputContext | None):
  """This input pipeline's part of `split`, read."""
  pipelines = input_context.num_input_pipelines if input_context else 1
  if pipelines > 1 and builders.reads_slices(ready):
    # Contiguous, near-equal slices, cut by the reader: each pipeline reads
    # only its own records, whatever the number of files.
    split = tfds.even_splits(split, n=pipelines, drop_remainder=False)[
        input_context.input_pipeline_id]
  dataset = _read(ready, split, read_config=read_config, decoders=decoders,
                  shuffle_files=shuffle_files)
  if pipelines > 1 and not builders.reads_slices(ready):
    # A reader of whole splits: every pipeline reads the split and keeps
    # every n-th example, still disjoint and together complete.
    dataset = dataset.shard(pipelines, input_context.input_pipeline_id)
  length = int(dataset.cardinality())
  if length < 0:
    length = ready.info.splits[split].num_examples
  return dataset, length


def _standard_keys(dataset: tf.data.Dataset, image_key: str,
                   label_key: str, keep_ids: bool = False) -> tf.data.Dataset:
  """Examples as `{"image", "label"}` dicts, other features left out.

  With `keep_ids`, each example keeps its TFDS id too (`ID_KEY`).
  """
  wanted = {IMAGE_KEY: image_key, LABEL_KEY: label_key}
  if keep_ids:
    wanted[ID_KEY] = ID_KEY
  if all(k == v for k, v in wanted.items()) and set(
      dataset.element_spec) == set(wanted):
    return dataset  # Already so: no extra stage per example.
  return dataset.map(
      lambda example: {k: example[v] for k, v in wanted.items()},
      num_parallel_calls=tf.data.AUTOTUNE)


def load(name: Dataset, *, split: str, data_dir: str | None = None,
         shuffle_files: bool = False, seed: int | None = None,
         input_context: tf.distribute.InputContext | None = None,
         decode_image: bool = True, exclude_ids: Collection[str] = (),
         include_ids: Collection[str] | None = None,
         image_key: str | None = None, label_key: str | None = None,
         keep_ids: bool = False) -> tuple[tf.data.Dataset, int]:
  """Reads one split as a dataset of `{"image", "label"}` dicts.

  The dataset's image and label features become `"image"` and `"label"`,
  whatever their names; its other features are left out. With an
  `input_context`, this pipeline reads only its own slice of the split
  (`input_pipeline_id` of `num_input_pipelines`): slices are disjoint,
  together cover the split, and work whatever the number of files.

  Args:
    name: A TFDS dataset name or a `tfds.core.DatasetBuilder`.
    split: Any TFDS split string.
    data_dir: The TFDS data directory of a name.
    shuffle_files: Read files in a seeded random order (once per pass).
    seed: Seed of that file order.
    input_context: From `tf.distribute`, to read one shard.
    decode_image: False leaves `image` as its encoded bytes, for a reader
      that decodes it itself (e.g. at a reduced scale).
    exclude_ids: TFDS ids (`tfds_id`) of examples to leave out, e.g.
      `tfds_builders.report.cross_split_duplicate_keys(...)`.
    include_ids: If given, the TFDS ids of the only examples to read (a
      held-out part of a split).
    image_key: The image feature; None finds it.
    label_key: The label feature; None finds it.
    keep_ids: Keep each example's TFDS id, as `"tfds_id"` (`ID_KEY`).

  Returns:
    The dataset and the number of examples this shard reads (before
    `exclude_ids` are left out; `len(include_ids)` when given).

  Raises:
    ValueError: the split is unknown, malformed or empty; the features
      are not found; or `exclude_ids` or `include_ids` with a builder
      whose examples carry no TFDS id.
  """
  ready = builders.resolve(name, data_dir)
  found = _info(ready, name, image_key, label_key)
  count = _count(ready, name, split)
  if not count:
    raise ValueError(
        f"split={split!r} of {builders.describe(name)} is empty: it selects "
        f"no example (the splits hold {found.splits}). Widen the slice, e.g. "
        "'train[:10%]'.")
  # assert_cardinality=False: under the tf.data service's distributed_epoch
  # mode each service worker reads only part of the split, which TFDS's
  # element-count assertion would reject ("expected N elements but
  # contained only 0").
  by_id = bool(exclude_ids) or include_ids is not None or keep_ids
  read_config = tfds.ReadConfig(shuffle_seed=seed, add_tfds_id=by_id,
                                assert_cardinality=False)
  decoders = (None if decode_image
              else {found.image_key: tfds.decode.SkipDecoding()})
  dataset, count = _shard(ready, split, read_config, decoders, shuffle_files,
                          input_context)
  if by_id and example_ids.ID_KEY not in dataset.element_spec:
    argument = ("exclude_ids" if exclude_ids else
                "include_ids" if include_ids is not None else "with_ids")
    raise ValueError(
        f"{argument}= needs examples that carry their TFDS id; "
        f"{builders.describe(name)} gives none (only TFDS's file-based "
        "builders do).")
  if include_ids is not None:
    dataset = example_ids.select_keys(dataset, include_ids)
    count = len(include_ids)
  if exclude_ids:
    dataset = example_ids.drop_keys(dataset, exclude_ids)
  return _standard_keys(dataset, found.image_key, found.label_key,
                        keep_ids), count
