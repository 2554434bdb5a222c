"""Training and evaluation input pipelines over prepared TFDS datasets.

One pure chain of dataset steps per use, each with its reason. Images stay
uint8 through cache, shuffle and batch (4x less memory than float32 in the
cache and the shuffle buffer, and 4x fewer bytes copied per element), and
become float32 in [0, 1] in one vectorized op per batch.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import tensorflow as tf

from asl_pipeline import augment as augment_lib
from asl_pipeline import ops
from asl_pipeline import sources

AUGMENT_MODES = ("device", "pipeline", "none")
# The course's augmentation; "pipeline" mode applies it in tf.data.
_AUGMENT_KWARGS = dict(rotation_degrees=10.0, zoom=0.1, translate=0.1,
                       horizontal_flip=True)


def _check_batch_size(batch_size) -> None:
  if isinstance(batch_size, bool) or not isinstance(batch_size, int) or (
      batch_size <= 0):
    raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")


def _decode(name: str, data_dir: str | None,
            image_size: int | Sequence[int] | None):
  """The per-example op and whether it decodes the image bytes itself.

  Returns:
    `(op, decodes_jpeg)`: the op maps a TFDS example to `(image, label)`;
    when `decodes_jpeg`, the example must be read with its JPEG image left
    encoded, so that the op decodes it at a reduced scale.
  """
  dataset_info = sources.info(name, data_dir)
  shape = dataset_info.image_shape
  steps = [ops.cast_label()]
  decodes_jpeg = (image_size is not None and
                  sources.image_encoding(name, data_dir) == "jpeg")
  if decodes_jpeg:
    steps.append(ops.decode_jpeg_for_size(image_size, channels=shape[-1]))
  if image_size is not None:
    steps.append(ops.resize_short_side_and_center_crop(image_size))
  elif None in shape:
    raise ValueError(
        f"Images of {name!r} vary in size (stored shape {shape}); pass "
        "image_size=N (or (height, width)) to resize them, e.g. "
        "image_size=160.")
  else:
    steps.append(ops.ensure_static_shape(shape))
  example_op = ops.compose(*steps)
  to_tuple = ops.to_tuple()
  return (lambda example: to_tuple(example_op(example))), decodes_jpeg


def _to_float(images, labels):
  return ops.normalize(images), labels


def train_dataset(name: str, *, batch_size: int, split: str = "train",
                  data_dir: str | None = None,
                  image_size: int | Sequence[int] | None = None,
                  augment: str = "device", seed: int = 0,
                  shuffle_buffer: int | None = None, cache: bool = True,
                  input_context: tf.distribute.InputContext | None = None,
                  exclude_ids: Collection[str] = ()) -> tf.data.Dataset:
  """An endless, shuffled, batched training stream of `(images, labels)`.

  Images are float32 in [0, 1], `[batch, height, width, channels]` with a
  fully static shape (the last partial batch is dropped); labels are int32
  class indices. The stream repeats forever: count steps (e.g.
  `model.fit(ds, steps_per_epoch=n // batch_size)`). Each pass over the data
  gets a new order and, with `augment="pipeline"`, new augmentations; the
  same `seed` replays the same batches.

  Args:
    name: A TFDS dataset, e.g. `sign_language_mnist` or `cats_dogs`.
    batch_size: The global batch size; with `input_context`, each replica's
      batch is `input_context.get_per_replica_batch_size(batch_size)`.
    split: Any TFDS split string (`"train"`, `"train[:90%]"`, ...).
    data_dir: The TFDS data directory; None means TFDS's default.
    image_size: None keeps the stored size; an int or `(height, width)`
      scales the image (aspect kept) and crops its center to that size.
    augment: `"device"` leaves batches un-augmented for the trainer to
      augment inside its step (on the accelerator); `"pipeline"` augments
      whole batches here, on the CPU; `"none"` never augments.
    seed: Seeds file order, shuffling and augmentation.
    shuffle_buffer: Examples in the shuffle buffer; None shuffles the whole
      split when cached, else up to 10,000 examples.
    cache: Keep decoded (and resized) images in memory after the first pass.
    input_context: From `tf.distribute`; this pipeline then reads only its
      own, disjoint slice of the split.
    exclude_ids: TFDS ids of examples never to train on, e.g. the copies of
      test examples that `tfds_builders.report.cross_split_duplicate_keys`
      finds.

  Returns:
    A `tf.data.Dataset` for `model.fit` or a custom loop.

  Raises:
    ValueError: bad argument (the message says which and what to use).
    FileNotFoundError: the dataset is not built in `data_dir`.
  """
  _check_batch_size(batch_size)
  if augment not in AUGMENT_MODES:
    raise ValueError(f"augment must be one of {AUGMENT_MODES}, got "
                     f"{augment!r}.")
  if shuffle_buffer is not None and shuffle_buffer <= 0:
    raise ValueError(f"shuffle_buffer must be positive or None, got "
                     f"{shuffle_buffer!r}.")
  decode, decodes_jpeg = _decode(name, data_dir, image_size)
  if input_context is not None:
    batch_size = input_context.get_per_replica_batch_size(batch_size)
  ds, count = sources.load(name, split=split, data_dir=data_dir,
                           shuffle_files=True, seed=seed,
                           input_context=input_context,
                           decode_image=not decodes_jpeg,
                           exclude_ids=exclude_ids)
  if count < batch_size:
    raise ValueError(
        f"split={split!r} of {name!r} has {count} examples for this pipeline, "
        f"fewer than one batch of {batch_size}; use a smaller batch_size.")
  if shuffle_buffer is None:
    shuffle_buffer = count if cache else min(count, 10_000)

  # Decode and resize per example, in parallel: the only per-image work.
  ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
  # Cache after decoding, so later epochs skip file reading and resizing.
  if cache:
    ds = ds.cache()
  # Seeded shuffle, reshuffled on each pass: new order per epoch, same
  # sequence of orders for the same seed.
  ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
  # Repeat after shuffling so epochs never mix, and so the stream (and a
  # seeded augmentation) never restarts from its first state.
  ds = ds.repeat()
  # Drop the partial batch: a static batch dimension for the model, and no
  # retrace of a compiled step on the last batch.
  ds = ds.batch(batch_size, drop_remainder=True,
                num_parallel_calls=tf.data.AUTOTUNE)
  if augment == "pipeline":
    # Float conversion and augmentation of whole batches, in one map: one
    # op call per batch, not per image, and one dataset stage, not two.
    ds = _normalize_and_augment(ds, seed)
  else:
    # One float conversion per batch instead of one per image.
    ds = ds.map(_to_float, num_parallel_calls=tf.data.AUTOTUNE)
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


def _normalize_and_augment(ds: tf.data.Dataset, seed: int) -> tf.data.Dataset:
  """Normalizes and augments batches, seeding each from its batch index.

  A stateless seed made of (seed, batch index) keeps augmentation
  reproducible even with batches augmented in parallel, and new on every
  batch of every pass over the data.
  """
  augmenter = augment_lib.make_augmenter(**_AUGMENT_KWARGS, seed=seed)

  def apply(index, batch):
    images, labels = batch
    batch_seed = tf.stack([tf.constant(seed, tf.int64), index])
    return augmenter.augment(ops.normalize(images), batch_seed), labels

  return ds.enumerate().map(apply, num_parallel_calls=tf.data.AUTOTUNE)


def eval_dataset(name: str, *, batch_size: int, split: str = "test",
                 data_dir: str | None = None,
                 image_size: int | Sequence[int] | None = None
                 ) -> tf.data.Dataset:
  """One ordered pass over `split` as batches of `(images, labels)`.

  Same elements as `train_dataset` (float32 images in [0, 1], int32
  labels), in file order, never augmented, and keeping the last partial
  batch so that every example is evaluated once.

  Args:
    name: A TFDS dataset, e.g. `sign_language_mnist`.
    batch_size: Examples per batch.
    split: Any TFDS split string.
    data_dir: The TFDS data directory; None means TFDS's default.
    image_size: As in `train_dataset`.

  Returns:
    A finite `tf.data.Dataset`.

  Raises:
    ValueError: bad argument (the message says which and what to use).
    FileNotFoundError: the dataset is not built in `data_dir`.
  """
  _check_batch_size(batch_size)
  decode, decodes_jpeg = _decode(name, data_dir, image_size)
  ds, _ = sources.load(name, split=split, data_dir=data_dir,
                       decode_image=not decodes_jpeg)
  # Decode and resize per example, in parallel.
  ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
  # Evaluation re-reads the same split every epoch: keep it decoded.
  ds = ds.cache()
  # Keep the partial batch: evaluation must see every example exactly once.
  ds = ds.batch(batch_size, num_parallel_calls=tf.data.AUTOTUNE)
  # One float conversion per batch instead of one per image.
  ds = ds.map(_to_float, num_parallel_calls=tf.data.AUTOTUNE)
  # Overlap input work with the evaluation step.
  return ds.prefetch(tf.data.AUTOTUNE)
