"""Training and evaluation input pipelines over prepared TFDS datasets.

One pure chain of dataset steps per use, each with its reason. Images stay
uint8 through cache, shuffle and batch (4x less memory than float32 in the
cache and the shuffle buffer, and 4x fewer bytes copied per element), and
become float32 in [0, 1] in one vectorized op per batch.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
import random

import tensorflow as tf

from asl_pipeline import arguments
from asl_pipeline import augment as augment_lib
from asl_pipeline import ops
from asl_pipeline import sources
from asl_pipeline.options import AUGMENT_MODES
from asl_pipeline.options import LABEL_MODES


def _reader(name, data_dir, image_key, label_key, label_mode, image_size):
  """The dataset's info and its per-example decode op, checked."""
  dataset_info = sources.info(name, data_dir, image_key=image_key,
                              label_key=label_key)
  num_classes = dataset_info.num_classes
  _check_label_mode(label_mode, sources.describe(name), num_classes)
  decode, decodes_jpeg = _decode(name, data_dir, dataset_info, image_size)
  return dataset_info, decode, decodes_jpeg


def _check_label_mode(label_mode: str, described: str,
                      num_classes: int) -> None:
  if label_mode not in LABEL_MODES:
    raise ValueError(f"label_mode must be one of {LABEL_MODES}, got "
                     f"{label_mode!r}.")
  if label_mode == "binary" and num_classes != 2:
    raise ValueError(
        f"label_mode='binary' needs 2 classes; {described} has "
        f"{num_classes}. "
        "Use label_mode='int' or 'categorical'.")


def _decode(name: sources.Dataset, data_dir: str | None,
            dataset_info: sources.DatasetInfo,
            image_size: int | Sequence[int] | None):
  """The per-example op and whether it decodes the image bytes itself.

  Returns:
    `(op, decodes_jpeg)`: the op maps a `sources.load` example to
    `(image, label)`; when `decodes_jpeg`, the example must be read with its
    JPEG image left encoded, so that the op decodes it at a reduced scale.
  """
  shape = dataset_info.image_shape
  steps = [ops.cast_label()]
  decodes_jpeg = image_size is not None and sources.image_encoding(
      name, data_dir, image_key=dataset_info.image_key,
      label_key=dataset_info.label_key) == "jpeg"
  if decodes_jpeg:
    steps.append(ops.decode_jpeg_for_size(image_size, channels=shape[-1]))
  if image_size is not None:
    steps.append(ops.resize_short_side_and_center_crop(image_size))
  elif None in shape:
    raise ValueError(
        f"Images of {sources.describe(name)} vary in size (stored shape "
        f"{shape}); pass image_size=N (or (height, width)) to resize them, "
        "e.g. image_size=160.")
  else:
    steps.append(ops.ensure_static_shape(shape))
  example_op = ops.compose(*steps)
  to_tuple = ops.to_tuple()
  return (lambda example: to_tuple(example_op(example))), decodes_jpeg


def _with_id(decode):
  """The per-example op, returning the example's TFDS id as well."""
  return lambda example: (*decode(example), example[sources.ID_KEY])


def _batch_op(label_mode: str, num_classes: int):
  """Batched `(uint8 images, int labels)` -> float images, labels as asked.

  One op per batch, not per image: the float conversion and the label
  encoding are vectorized over the whole batch.
  """
  def apply(images, labels):
    if label_mode == "categorical":
      labels = tf.one_hot(labels, num_classes, dtype=tf.float32)
    elif label_mode == "binary":
      # [batch, 1] floats, as Keras's binary_crossentropy and a 1-unit
      # sigmoid output expect.
      labels = tf.cast(labels, tf.float32)[:, tf.newaxis]
    return ops.normalize(images), labels
  return apply


def train_dataset(name: sources.Dataset, *, batch_size: int,
                  split: str = "train",
                  data_dir: str | None = None,
                  image_size: int | Sequence[int] | None = None,
                  augment: str = "pipeline", seed: int = 0,
                  shuffle_buffer: int | None = None, cache: bool = True,
                  repeat: bool = True, label_mode: str = "int",
                  input_context: tf.distribute.InputContext | None = None,
                  exclude_ids: Collection[str] = (),
                  start_batch: int = 0,
                  assert_cardinality: bool = True,
                  image_key: str | None = None,
                  label_key: str | None = None) -> tf.data.Dataset:
  """A shuffled, augmented, batched training stream of `(images, labels)`.

  Images are float32 in [0, 1], `[batch, height, width, channels]` with a
  fully static shape (the last partial batch is dropped). By default the
  stream repeats forever: count steps
  (`model.fit(ds, steps_per_epoch=n // batch_size, epochs=...)`). With
  `repeat=False` it is one pass over the split, of known length, which
  `model.fit(ds, epochs=...)` iterates once per epoch, as it does a
  `keras.utils.image_dataset_from_directory` dataset. Either way each pass
  gets a new order and, with `augment="pipeline"`, new augmentations; the
  same `seed` replays the same batches.

  Args:
    name: A TFDS dataset name, e.g. `sign_language_mnist` or
      `sign_language_mnist/kaggle`, or a `tfds.core.DatasetBuilder` object
      (`tfds.folder_dataset.ImageFolder(root)`, a builder under
      `tfds.testing.mock_data`, ...).
    batch_size: The global batch size; with `input_context`, each replica's
      batch is `input_context.get_per_replica_batch_size(batch_size)`.
    split: Any TFDS split string (`"train"`, `"train[:90%]"`, ...).
    data_dir: The TFDS data directory; None means TFDS's default.
    image_size: None keeps the stored size; an int or `(height, width)`
      scales the image (aspect kept) and crops its center to that size.
    augment: `"pipeline"` (default) augments whole batches here, in
      tf.data, on the CPU. `"device"` leaves batches un-augmented for a
      caller that augments on the accelerator: put `make_augmenter()` in
      front of the model (`with_augmentation(model)`), or call it in a
      custom training step as the package's trainers do. `"none"` never
      augments.
    seed: Seeds file order, shuffling and augmentation; None leaves them
      unseeded (different on every call).
    shuffle_buffer: Examples in the shuffle buffer; None shuffles the whole
      split when cached, else up to 10,000 examples.
    cache: Keep decoded (and resized) images in memory after the first pass.
    repeat: True repeats forever; False gives one pass per iteration, with
      a known length (`len(ds)`).
    label_mode: `"int"`: int32 class indices `[batch]`; `"categorical"`:
      one-hot float32 `[batch, num_classes]`; `"binary"` (2 classes only):
      float32 `[batch, 1]` of 0s and 1s. As in
      `keras.utils.image_dataset_from_directory`.
    input_context: From `tf.distribute`; this pipeline then reads only its
      own, disjoint slice of the split.
    exclude_ids: TFDS ids of examples never to train on, e.g. the copies of
      test examples that `tfds_builders.report.cross_split_duplicate_keys`
      finds.
    start_batch: Start the stream at this batch (0-based) of the stream the
      same arguments give: a resumed training run sees exactly the batches
      (and pipeline augmentations) the uninterrupted run would have.
    assert_cardinality: False leaves a pass's length unknown and unchecked,
      for a reader that sees only part of the split (a tf.data service
      worker in "distributed_epoch" mode).
    image_key: The dataset's image feature; None finds its one
      `tfds.features.Image` (grayscale or colour).
    label_key: The dataset's label feature; None finds its one
      `tfds.features.ClassLabel`.

  Returns:
    A `tf.data.Dataset` for `model.fit` or a custom loop.

  Raises:
    ValueError: bad argument (the message says which and what to use).
    FileNotFoundError: the dataset is not built in `data_dir`.
  """
  batch_size = arguments.integer("batch_size", batch_size, minimum=1)
  if augment not in AUGMENT_MODES:
    raise ValueError(f"augment must be one of {AUGMENT_MODES}, got "
                     f"{augment!r}.")
  seed = arguments.seed(seed)
  start_batch = arguments.integer("start_batch", start_batch)
  if shuffle_buffer is not None:
    shuffle_buffer = arguments.integer("shuffle_buffer", shuffle_buffer,
                                       minimum=1)
  cache, repeat, assert_cardinality = (
      arguments.flag("cache", cache), arguments.flag("repeat", repeat),
      arguments.flag("assert_cardinality", assert_cardinality))
  exclude_ids = arguments.ids("exclude_ids", exclude_ids)
  dataset_info, decode, decodes_jpeg = _reader(
      name, data_dir, image_key, label_key, label_mode, image_size)
  num_classes = dataset_info.num_classes
  if input_context is not None:
    batch_size = input_context.get_per_replica_batch_size(batch_size)
  ds, count = sources.load(name, split=split, data_dir=data_dir,
                           shuffle_files=True, seed=seed,
                           input_context=input_context,
                           decode_image=not decodes_jpeg,
                           exclude_ids=exclude_ids,
                           image_key=dataset_info.image_key,
                           label_key=dataset_info.label_key)
  if count < batch_size:
    raise ValueError(
        f"split={split!r} of {sources.describe(name)} has {count} examples "
        f"for this pipeline, fewer than one batch of {batch_size}; use a "
        "smaller batch_size.")
  if shuffle_buffer is None:
    shuffle_buffer = count if cache else min(count, 10_000)

  # Decode and resize per example, in parallel: the only per-image work.
  ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
  if assert_cardinality and not exclude_ids:
    # The split's length, so that a one-pass dataset has a known `len()`
    # (with `exclude_ids`, how many of them this shard holds is unknown).
    ds = ds.apply(tf.data.experimental.assert_cardinality(count))
  # Cache after decoding, so later epochs skip file reading and resizing.
  if cache:
    ds = ds.cache()
  # Seeded shuffle, reshuffled on each pass: new order per epoch, same
  # sequence of orders for the same seed.
  ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
  if repeat:
    # Repeat after shuffling so epochs never mix, and so the stream (and a
    # seeded augmentation) never restarts from its first state.
    ds = ds.repeat()
  if start_batch:
    # Resume mid-stream: skip the examples of the first batches before
    # batching, so they cost a cache read each, not a batch and a transform.
    ds = ds.skip(start_batch * batch_size)
  # Drop the partial batch: a static batch dimension for the model, and no
  # retrace of a compiled step on the last batch.
  ds = ds.batch(batch_size, drop_remainder=True,
                num_parallel_calls=tf.data.AUTOTUNE)
  to_float = _batch_op(label_mode, num_classes)
  if augment == "pipeline":
    # Float conversion and augmentation of whole batches, in one map: one
    # op call per batch, not per image, and one dataset stage, not two.
    ds = _normalize_and_augment(ds, seed, to_float, start_batch)
  else:
    ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
  # Overlap input work with the training step.
  ds = ds.prefetch(tf.data.AUTOTUNE)
  return ds.with_options(_unfused_shuffle_and_repeat())


def _unfused_shuffle_and_repeat() -> tf.data.Options:
  """Options that keep tf.data from fusing `shuffle` and `repeat`.

  The fused op fills its first buffer from a parallel map at about half the
  rate the two separate steps do: without a cache, the first pass over
  cats_dogs ran at ~930 instead of ~1,670 images/s (`python -m benchmarks
  --only cats_dogs` times both). Later passes, and any pass behind a cache,
  are equally fast either way.
  """
  options = tf.data.Options()
  options.experimental_optimization.shuffle_and_repeat_fusion = False
  return options


def _normalize_and_augment(ds: tf.data.Dataset, seed: int,
                           to_float, start_batch: int = 0) -> tf.data.Dataset:
  """Normalizes and augments batches, each from a seed of its own.

  Each batch's stateless seed pairs `seed` with a draw from a seeded random
  stream that draws anew on every iteration of the dataset: augmentation is
  reproducible even with batches augmented in parallel, and new on every
  batch of every pass, including passes that `model.fit` starts by
  iterating a one-pass dataset again.
  """
  if seed is None:
    # Unseeded as asked, but batch seeds still need a number to start from.
    seed = random.SystemRandom().randrange(2**31)
  augmenter = augment_lib.make_augmenter(seed=seed)
  draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
  # A stream resumed at `start_batch` takes the draws of its batches.
  draws = draws.skip(start_batch)

  def apply(batch, draw):
    images, labels = to_float(*batch)
    batch_seed = tf.stack([tf.constant(seed, tf.int64), draw])
    return augmenter.augment(images, batch_seed), labels

  return tf.data.Dataset.zip(ds, draws).map(
      apply, num_parallel_calls=tf.data.AUTOTUNE)


def eval_dataset(name: sources.Dataset, *, batch_size: int,
                 split: str = "test", data_dir: str | None = None,
                 image_size: int | Sequence[int] | None = None,
                 label_mode: str = "int", assert_cardinality: bool = True,
                 include_ids: Collection[str] | None = None,
                 image_key: str | None = None, label_key: str | None = None,
                 with_ids: bool = False) -> tf.data.Dataset:
  """One ordered pass over `split` as batches of `(images, labels)`.

  Same elements as `train_dataset` (float32 images in [0, 1], labels as
  `label_mode` says), in file order, never augmented, and keeping the last
  partial batch so that every example is evaluated once. Its length is
  known (`len(ds)`), so Keras shows progress and never runs out of data.

  Args:
    name: A TFDS dataset name or a `tfds.core.DatasetBuilder`, as in
      `train_dataset`.
    batch_size: Examples per batch.
    split: Any TFDS split string.
    data_dir: The TFDS data directory; None means TFDS's default.
    image_size: As in `train_dataset`.
    label_mode: As in `train_dataset`.
    assert_cardinality: False leaves the length unknown and unchecked, for
      a reader that sees only part of the split (a tf.data service worker
      in "distributed_epoch" mode).
    include_ids: If given, only the examples of `split` with these TFDS ids
      (a part held out of a split for validation).
    image_key: As in `train_dataset`.
    label_key: As in `train_dataset`.
    with_ids: Batches of `(images, labels, ids)` instead: each example's
      TFDS id (a string), to name the examples a model gets wrong.

  Returns:
    A finite `tf.data.Dataset`.

  Raises:
    ValueError: bad argument (the message says which and what to use).
    FileNotFoundError: the dataset is not built in `data_dir`.
  """
  batch_size = arguments.integer("batch_size", batch_size, minimum=1)
  assert_cardinality = arguments.flag("assert_cardinality",
                                      assert_cardinality)
  if include_ids is not None:
    include_ids = arguments.ids("include_ids", include_ids)
  dataset_info, decode, decodes_jpeg = _reader(
      name, data_dir, image_key, label_key, label_mode, image_size)
  num_classes = dataset_info.num_classes
  ds, count = sources.load(name, split=split, data_dir=data_dir,
                           decode_image=not decodes_jpeg,
                           include_ids=include_ids,
                           image_key=dataset_info.image_key,
                           label_key=dataset_info.label_key,
                           keep_ids=with_ids)
  if with_ids:
    decode = _with_id(decode)
  # Decode and resize per example, in parallel.
  ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
  if assert_cardinality:
    # The split's length, so that Keras knows when a pass ends.
    ds = ds.apply(tf.data.experimental.assert_cardinality(count))
  # Evaluation re-reads the same split every epoch: keep it decoded.
  ds = ds.cache()
  # Keep the partial batch: evaluation must see every example exactly once.
  ds = ds.batch(batch_size, num_parallel_calls=tf.data.AUTOTUNE)
  # One float conversion per batch instead of one per image.
  to_float = _batch_op(label_mode, num_classes)
  ds = ds.map((lambda x, y, ids: (*to_float(x, y), ids)) if with_ids
              else to_float, num_parallel_calls=tf.data.AUTOTUNE)
  # Overlap input work with the evaluation step.
  return ds.prefetch(tf.data.AUTOTUNE)
