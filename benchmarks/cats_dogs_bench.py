"""cats_dogs: build throughput, and our resized read beside Keras's reader.

Build: images/s through decode, check and re-encode of ~400x400 JPEGs, per
core (one thread, in process) for both paths an image can take (original
bytes kept, or re-encoded), and for the whole `download_and_prepare` with
every core, TFDS's writing included.

Read: `asl_pipeline.train_dataset("cats_dogs", image_size=160, ...)` over
the built dataset beside `keras.utils.image_dataset_from_directory` over the
same folder, in the same run: images/s of the first pass from a fresh
iterator (both decode and resize every image), of the later passes (ours
serves them from its cache of resized images, Keras decodes again), and the
ratios.
"""

from __future__ import annotations

import pathlib
import shutil
import time

_SIZE = 400
_IMAGE_SIZE = 160
_BATCH = 32
# Training reads the data many times; three passes show both the first
# (decode everything) and the later ones (ours from its cache).
_EPOCHS = 3


def _per_core_rows(files: list[pathlib.Path]) -> list[dict]:
  """Single-thread images/s of the per-image work, for each path."""
  from tfds_builders.cats_dogs import image_checks  # pylint: disable=g-import-not-at-top
  blobs = [f.read_bytes() for f in files]
  rows = []
  for variant, reuse in (("kept bytes (decode + check)", True),
                         ("re-encoded (decode + check + encode)", False)):
    start = time.perf_counter()
    for data in blobs:
      image_checks.to_rgb_jpeg(data, reuse_bytes=reuse)
    rows.append({"benchmark": "cats_dogs build",
                 "variant": f"{variant}, 1 thread, {_SIZE}px",
                 "value": len(blobs) / (time.perf_counter() - start),
                 "unit": "images/s"})
  return rows


def _epoch_rates(ds, images: int, epochs: int) -> list[float]:
  """Images/s of each of `epochs` passes of `images` over one iterator.

  The first pass includes start-up (file listing, first decode, cache
  fill): what a user waits for on epoch one.
  """
  iterator = iter(ds)
  rates = []
  for _ in range(epochs):
    start = time.perf_counter()
    seen = 0
    while seen < images:
      seen += int(next(iterator)[0].shape[0])
    rates.append(seen / (time.perf_counter() - start))
  return rates


def run(workdir: pathlib.Path, quick: bool = False) -> list[dict]:
  """Builds a synthetic folder, then times the build and both readers.

  Args:
    workdir: Scratch directory for the folder and the built dataset.
    quick: Fewer images.

  Returns:
    Table rows.
  """
  # Imported here so that listing the benchmarks does not start TensorFlow.
  import keras  # pylint: disable=g-import-not-at-top
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top

  import asl_pipeline  # pylint: disable=g-import-not-at-top
  import tfds_builders  # pylint: disable=g-import-not-at-top,unused-import
  from tfds_builders.cats_dogs import image_checks  # pylint: disable=g-import-not-at-top
  from tfds_builders.cats_dogs import make_sample  # pylint: disable=g-import-not-at-top

  per_class = 64 if quick else 200
  root = workdir / "cats_dogs_bench"
  src, data_dir = root / "src", root / "tfds"
  shutil.rmtree(root, ignore_errors=True)
  make_sample.make_sample(str(src), per_class=per_class, test_per_class=4,
                          size=_SIZE, odd_files=False)
  train_files = sorted((src / "train").glob("*/*.jpg"))
  rows = _per_core_rows(train_files)

  cores = image_checks.default_workers()
  builder = tfds.builder("cats_dogs", data_dir=str(data_dir))
  start = time.perf_counter()
  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
      manual_dir=str(src)))
  build_s = time.perf_counter() - start
  total = builder.info.splits.total_num_examples
  rows += [
      {"benchmark": "cats_dogs build",
       "variant": f"download_and_prepare, {cores} threads",
       "value": total / build_s, "unit": "images/s"},
      {"benchmark": "cats_dogs build",
       "variant": "download_and_prepare, per core",
       "value": total / build_s / cores, "unit": "images/s"},
  ]

  images = len(train_files) // _BATCH * _BATCH
  ours = asl_pipeline.train_dataset(
      "cats_dogs", image_size=_IMAGE_SIZE, augment="none", batch_size=_BATCH,
      data_dir=str(data_dir))
  # Keras's dataset is one pass; repeat it so both run the same epochs (it
  # reshuffles its file list each pass).
  keras_ds = keras.utils.image_dataset_from_directory(
      str(src / "train"), image_size=(_IMAGE_SIZE, _IMAGE_SIZE),
      batch_size=_BATCH, verbose=False).repeat()
  rates = {"asl_pipeline.train_dataset": _epoch_rates(ours, images, _EPOCHS),
           "keras image_dataset_from_directory":
               _epoch_rates(keras_ds, images, _EPOCHS)}
  variant = f"{images} images {_SIZE}px -> {_IMAGE_SIZE}px, batch {_BATCH}"
  for reader, (first, *later) in rates.items():
    rows += [
        {"benchmark": "cats_dogs read",
         "variant": f"{reader}, epoch 1, {variant}",
         "value": first, "unit": "images/s"},
        {"benchmark": "cats_dogs read",
         "variant": f"{reader}, epochs 2-{_EPOCHS}, {variant}",
         "value": sum(later) / len(later), "unit": "images/s"},
    ]
  ours_rates, keras_rates = rates.values()
  for label, pick in (("epoch 1", lambda r: r[0]),
                      (f"{_EPOCHS} epochs", _overall)):
    rows.append({"benchmark": "cats_dogs read",
                 "variant": f"train_dataset / image_dataset_from_directory, "
                            f"{label}",
                 "value": pick(ours_rates) / pick(keras_rates), "unit": "x"})
  return rows


def _overall(rates: list[float]) -> float:
  """Images/s over all epochs together (equal images per epoch)."""
  return len(rates) / sum(1 / r for r in rates)
