"""cats_dogs build: in process beside Apache Beam's DirectRunner, 2 workers.

The same photos are built twice in one run: by `download_and_prepare` as
usual (a thread pool over every core of this process) and with
`beam_options` for the DirectRunner's engine (FnApiRunner, named so that
Beam does not hand the job to its single-process Prism runner) in
`multi_processing` mode with two worker processes, the local stand-in for a
cluster. Both times include
everything a user waits for: listing, decoding, checking, re-encoding,
shuffling and writing the records; the Beam build also builds its job
graph, starts its workers (each imports TensorFlow) and runs Beam's
shuffle. One build each; a tiny tree is built both ways first so that
neither time includes this process's own start-up (imports, TensorFlow's
first use).
"""

from __future__ import annotations

import pathlib
import shutil
import time

_BEAM_WORKERS = 2
# The photos of the cats_dogs benchmark: rendered ~400x400 JPEGs, copied to
# reach a build long enough to time at the same decoding cost per image.
_SIZE = 400
_FULL_PER_CLASS, _FULL_COPIES = 250, 4
_QUICK_PER_CLASS, _QUICK_COPIES = 64, 1


def _add_copies(split_dir: pathlib.Path, copies: int) -> None:
  """Adds `copies - 1` copies of every image beside it (folder-labelled)."""
  for path in sorted(split_dir.glob("*/*.jpg")):
    for i in range(1, copies):
      shutil.copyfile(path, path.with_name(f"{path.stem}_copy{i}.jpg"))


def _build(src: pathlib.Path, data_dir: pathlib.Path,
           beam_options=None) -> tuple[int, float]:
  """Builds `cats_dogs` from `src`; returns (examples, seconds)."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  builder = tfds.builder("cats_dogs", data_dir=str(data_dir))
  start = time.perf_counter()
  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
      manual_dir=str(src), beam_options=beam_options))
  return builder.info.splits.total_num_examples, time.perf_counter() - start


def run(workdir: pathlib.Path, quick: bool = False) -> list[dict]:
  """Writes a synthetic folder, then builds it in process and on Beam.

  Args:
    workdir: Scratch directory for the folder and the built datasets.
    quick: Fewer images.

  Returns:
    Table rows.
  """
  # Imported here so that listing the benchmarks does not start TensorFlow.
  from apache_beam.options import pipeline_options  # pylint: disable=g-import-not-at-top

  import tfds_builders  # pylint: disable=g-import-not-at-top,unused-import
  from tfds_builders.common import image_files  # pylint: disable=g-import-not-at-top
  from tfds_builders.cats_dogs import make_sample  # pylint: disable=g-import-not-at-top

  per_class, copies = ((_QUICK_PER_CLASS, _QUICK_COPIES) if quick else
                       (_FULL_PER_CLASS, _FULL_COPIES))
  root = workdir / "cats_dogs_beam_bench"
  src = root / "src"
  shutil.rmtree(root, ignore_errors=True)
  make_sample.make_sample(str(src), per_class=per_class, test_per_class=4,
                          size=_SIZE, odd_files=False)
  _add_copies(src / "train", copies)

  make_sample.make_sample(str(root / "tiny"), per_class=2, test_per_class=1,
                          size=16, odd_files=False)
  _build(root / "tiny", root / "warm_local")
  _build(root / "tiny", root / "warm_beam", pipeline_options.PipelineOptions(
      flags=[], runner="FnApiRunner", direct_running_mode="in_memory"))

  cores = image_files.default_workers()
  images, local_s = _build(src, root / "local")
  options = pipeline_options.PipelineOptions(
      flags=[], runner="FnApiRunner", direct_num_workers=_BEAM_WORKERS,
      direct_running_mode="multi_processing")
  beam_images, beam_s = _build(src, root / "beam", options)
  if beam_images != images:
    raise AssertionError(f"Beam stored {beam_images} images, the in-process "
                         f"build {images}.")
  variant = f"{images} images {_SIZE}px"
  return [
      {"benchmark": "cats_dogs build",
       "variant": f"in process, {cores} threads, {variant}",
       "value": images / local_s, "unit": "images/s"},
      {"benchmark": "cats_dogs build",
       "variant": f"Beam DirectRunner (FnApiRunner) multi_processing, "
                  f"{_BEAM_WORKERS} workers, {variant}",
       "value": images / beam_s, "unit": "images/s"},
      {"benchmark": "cats_dogs build",
       "variant": f"Beam {_BEAM_WORKERS} workers / in process",
       "value": local_s / beam_s, "unit": "x"},
  ]
