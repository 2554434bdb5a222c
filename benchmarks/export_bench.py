"""The deployed model: LiteRT float32 and quantized beside the SavedModel.

Trains the two `make demo` runs with the commands users run (the ASL
DLI CNN, `--flagfile=asl_demo`; the cats/dogs simple CNN,
`--flagfile=cats_dogs_demo`), converts each with `trainers.export` to every
`--quantize`, and measures per model: the file size, accuracy on the
test split, the share of test images whose top class agrees with the
SavedModel's, and the latency of one image (batch 1): the median of many
calls, the SavedModel's `serve` (what `tf.saved_model.load` users call)
against the LiteRT interpreter, taking turns call by call so that a busy
machine slows them alike.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import time

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

import asl_pipeline
from tfds_builders.cats_dogs import make_sample as cats_dogs_sample
from tfds_builders.sign_language_mnist import make_sample as asl_sample
from trainers.analysis import backends
from trainers.run_dir import workdir as workdir_lib

QUANTIZATIONS = ("none", "float16", "dynamic", "int8")
_ROOT = pathlib.Path(__file__).resolve().parents[1]


def _command(*args: str) -> None:
  """Runs `python -m ARGS` from this checkout; its output is not shown."""
  done = subprocess.run([sys.executable, "-m", *args], cwd=_ROOT,
                        capture_output=True, text=True, check=False)
  if done.returncode:
    raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()[-500:]}")


def _prepare(workdir: pathlib.Path, quick: bool) -> dict[str, pathlib.Path]:
  """Builds both demo datasets and trains both demo runs; their workdirs."""
  data_dir = workdir / "tfds"
  asl_sample.make_sample(str(workdir / "asl_csv"), train_rows=2400,
                         test_rows=480)
  cats_dogs_sample.make_sample(str(workdir / "photos"), per_class=300,
                               size=160)
  for name, manual, config in (
      ("sign_language_mnist", workdir / "asl_csv", None),
      ("cats_dogs", workdir / "photos", "cats_dogs")):
    tfds.builder(name, data_dir=str(data_dir), config=config
                 ).download_and_prepare(download_config=(
                     tfds.download.DownloadConfig(manual_dir=str(manual))))
  runs = {"asl dli_cnn": workdir / "asl",
          "cats_dogs simple_cnn": workdir / "cats_dogs"}
  epochs = ["--epochs=3"] if quick else []
  _command("trainers.asl", "--flagfile=asl_demo", f"--data_dir={data_dir}",
           f"--workdir={runs['asl dli_cnn']}", *epochs)
  _command("trainers.cats_dogs", "--flagfile=cats_dogs_demo",
           f"--data_dir={data_dir}",
           f"--workdir={runs['cats_dogs simple_cnn']}", *epochs)
  for run in runs.values():
    for quantize in QUANTIZATIONS:
      _command("trainers.export", f"--workdir={run}", "--format=litert",
               f"--quantize={quantize}")
  return runs


def _test_set(run: pathlib.Path):
  """The run's test images as uint8, and their labels."""
  config = workdir_lib.read_config(run)
  images, labels = [], []
  for x, y in asl_pipeline.eval_dataset(
      config.dataset, split="test", batch_size=256, data_dir=config.data_dir,
      image_size=config.image_size).as_numpy_iterator():
    images.append(np.round(x * 255).astype(np.uint8))
    labels.append(y)
  return np.concatenate(images), np.concatenate(labels)


def _latencies(calls: dict, repeats: int) -> dict[str, float]:
  """Median seconds per call of each function, taking turns call by call."""
  for call in calls.values():
    for _ in range(10):  # Warm-up: tracing, allocation, caches.
      call()
  seconds = {name: [] for name in calls}
  for _ in range(repeats):
    for name, call in calls.items():
      start = time.perf_counter()
      call()
      seconds[name].append(time.perf_counter() - start)
  return {name: float(np.median(s)) for name, s in seconds.items()}


def _folder_bytes(path: pathlib.Path) -> int:
  return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _measure(name: str, run: pathlib.Path, repeats: int) -> list[dict]:
  images, labels = _test_set(run)
  saved = backends.load(run)
  reference = saved.predict_probabilities(images).argmax(-1)
  models = {q: backends.LiteRTBackend(workdir_lib.litert_model(run, q))
            for q in QUANTIZATIONS}
  bench = f"export {name}"
  rows = [{"benchmark": bench, "variant": "savedmodel size",
           "value": _folder_bytes(workdir_lib.find_export(run)) / 1024,
           "unit": "KiB"},
          {"benchmark": bench, "variant": "savedmodel accuracy",
           "value": 100 * np.mean(reference == labels), "unit": "%"}]
  for q, model in models.items():
    top = model.predict_probabilities(images).argmax(-1)
    size = workdir_lib.litert_model(run, q).stat().st_size / 1024
    rows += [
        {"benchmark": bench, "variant": f"litert {q} size", "value": size,
         "unit": "KiB"},
        {"benchmark": bench, "variant": f"litert {q} accuracy",
         "value": 100 * np.mean(top == labels), "unit": "%"},
        {"benchmark": bench, "variant": f"litert {q} agreement",
         "value": 100 * np.mean(top == reference), "unit": "%"}]
  loaded = tf.saved_model.load(str(workdir_lib.find_export(run)))
  one = images[:1]
  one_float = tf.constant(one.astype(np.float32) / 255.0)
  latency = _latencies({
      "savedmodel serve": lambda: loaded.serve(one_float).numpy(),
      "litert none": lambda: models["none"].predict_probabilities(one),
      "litert int8": lambda: models["int8"].predict_probabilities(one),
  }, repeats)
  for variant, seconds in latency.items():
    rows.append({"benchmark": bench, "variant": f"{variant} latency",
                 "value": seconds * 1e3, "unit": "ms"})
  sizes = {r["variant"]: r["value"] for r in rows}
  rows += [
      {"benchmark": bench, "variant": "int8 / float32 size",
       "value": 100 * sizes["litert int8 size"] / sizes["litert none size"],
       "unit": "%"},
      {"benchmark": bench, "variant": "savedmodel / int8 latency",
       "value": latency["savedmodel serve"] / latency["litert int8"],
       "unit": "x"},
      {"benchmark": bench, "variant": "savedmodel / float32 latency",
       "value": latency["savedmodel serve"] / latency["litert none"],
       "unit": "x"}]
  return rows


def run(workdir: pathlib.Path, quick: bool = False) -> list[dict]:
  """Trains, converts and measures both demo runs; returns the rows."""
  runs = _prepare(workdir, quick)
  repeats = 100 if quick else 500
  return [row for name, path in runs.items()
          for row in _measure(name, path, repeats)]
