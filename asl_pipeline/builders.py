"""What a dataset argument stands for: a TFDS builder ready to read.

A dataset is given as a registered TFDS name (`name` or `name/config`) or
as a `tfds.core.DatasetBuilder` the caller already holds: a
`tfds.folder_dataset.ImageFolder`, or a builder of its own. A builder is
ready when its prepared files are on disk, or when it serves examples
without them: `ImageFolder` reads the image files as they are, and under
`tfds.testing.mock_data` every builder serves generated examples. Readiness
is therefore asked of the builder itself (can it make a dataset?), the way
`tfds.load` would find out, rather than of the file system.
"""

from __future__ import annotations

from typing import Union

import tensorflow as tf
import tensorflow_datasets as tfds

# Registers the package's own builders (sign_language_mnist, cats_dogs, ...)
# so that `tfds.builder(name)` finds them without the caller importing it.
import tfds_builders  # pylint: disable=unused-import
from tfds_builders.common import data_dirs

Dataset = Union[str, tfds.core.DatasetBuilder]

# What a builder raises from `as_dataset` when it has nothing to read:
# TFDS asserts that the prepared files exist; others fail to open them.
_NOT_READABLE = (AssertionError, OSError, ValueError, tf.errors.OpError)


def package_datasets() -> list[str]:
  """Names of the datasets whose builders ship with this package."""
  return sorted(
      name for name in tfds.list_builders(with_community_datasets=False)
      if tfds.builder_cls(name).__module__.startswith("tfds_builders."))


def full_name(builder: tfds.core.DatasetBuilder) -> str:
  """`name/config` (or `name`) of a builder, the form `tfds.builder` takes."""
  config = builder.builder_config
  return f"{builder.name}/{config.name}" if config else builder.name


def describe(dataset: Dataset) -> str:
  """The dataset as error messages name it: the name as given, quoted."""
  if isinstance(dataset, tfds.core.DatasetBuilder):
    return (f"{full_name(dataset)!r} ({type(dataset).__name__}, "
            f"data_dir={dataset.data_dir})")
  return repr(dataset)


def reads_slices(builder: tfds.core.DatasetBuilder) -> bool:
  """Whether `as_dataset` takes any split string (`"train[:10%]"`, `a+b`).

  TFDS's file readers do (so do their mocks); `ImageFolder` reads only
  whole splits by name.
  """
  return isinstance(builder, tfds.core.dataset_builder.FileReaderBuilder)


def serves_without_files(builder: tfds.core.DatasetBuilder) -> bool:
  """Whether an unprepared builder still makes datasets.

  True for `ImageFolder` (it reads the image files themselves) and for any
  builder under `tfds.testing.mock_data`; False for a TFDS dataset that was
  never built. Making the dataset reads nothing yet.
  """
  split = next(iter(builder.info.splits), "train")
  try:
    builder.as_dataset(split=split)
  except _NOT_READABLE:
    return False
  return True


def _by_name(name: str, data_dir: str | None) -> tfds.core.DatasetBuilder:
  try:
    return tfds.builder(name, data_dir=data_dir)
  except tfds.core.registered.DatasetNotFoundError:
    raise ValueError(
        f"Unknown dataset {name!r}. This package's datasets are "
        f"{package_datasets()}; any dataset registered with TFDS also works "
        "(import the module that defines it first), as does a "
        "tfds.core.DatasetBuilder object such as "
        "tfds.folder_dataset.ImageFolder(root).") from None


def _not_built(name: str, data_dir: str | None,
               builder: tfds.core.DatasetBuilder) -> FileNotFoundError:
  return FileNotFoundError(data_dirs.not_built_message(
      name, data_dir, str(builder.data_dir),
      bool(builder.MANUAL_DOWNLOAD_INSTRUCTIONS),
      builder.builder_config.name if builder.builder_config else None))


def resolve(dataset: Dataset, data_dir: str | None = None
            ) -> tfds.core.DatasetBuilder:
  """The builder `dataset` stands for, ready to read, or an error to act on.

  Args:
    dataset: A TFDS name (`name` or `name/config`) or a
      `tfds.core.DatasetBuilder`.
    data_dir: The TFDS data directory of a dataset given by name; None
      means TFDS's default. A builder object brings its own.

  Returns:
    The builder: prepared, or able to serve examples without files.

  Raises:
    TypeError: `dataset` is neither a name nor a builder.
    ValueError: `name` is not a registered dataset, or `data_dir` comes
      with a builder object.
    FileNotFoundError: the dataset is not built (in `data_dir`).
  """
  if isinstance(dataset, tfds.core.DatasetBuilder):
    if data_dir is not None:
      raise ValueError(
          f"data_dir={data_dir!r} is for a dataset given by name; the "
          f"builder {describe(dataset)} reads from its own data_dir. Leave "
          "data_dir out.")
    builder = dataset
  elif isinstance(dataset, str):
    builder = _by_name(dataset, data_dir)
  else:
    raise TypeError(
        "name must be a TFDS dataset name ('name' or 'name/config') or a "
        "tfds.core.DatasetBuilder (e.g. tfds.folder_dataset.ImageFolder), "
        f"got {type(dataset).__name__}.")
  if builder.is_prepared() or serves_without_files(builder):
    return builder
  if isinstance(dataset, str):
    raise _not_built(dataset, data_dir, builder)
  raise FileNotFoundError(
      f"The builder {describe(builder)} has no prepared data: call its "
      "download_and_prepare() first.")
