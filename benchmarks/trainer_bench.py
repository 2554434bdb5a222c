"""The trainer's epoch beside Keras `model.fit`, side by side.

The DLI CNN (264,049 parameters), batch 32 (the course's), Adam, on the same
`asl_pipeline.train_dataset` batches of one synthetic Sign Language MNIST
sample. Each variant is a whole run of the code users run:
`trainers.training.loop.train_and_evaluate` for ours (flags as named), and
`model.compile(jit_compile=False)` + `model.fit` with `steps_per_execution`
1 and 32 for Keras. A run trains a few epochs; its first epoch (tracing,
cache filling) is dropped and its fastest later epoch kept. Variants take
turns for several rounds and each keeps its best round: other processes on
a shared machine only ever slow a round down.

Rows: images/s per variant, then the ratios that matter: ours over
`model.fit` at its best, augmentation's cost, bfloat16 over float32, and
what running several steps per compiled call buys.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import time

import keras
import tensorflow_datasets as tfds

import asl_pipeline
from tfds_builders.sign_language_mnist import make_sample
from trainers.command_line import config as config_lib
from trainers.training import loop
from trainers import models

_NAME = "sign_language_mnist"
_BATCH = 32
_EPOCHS = 3


def _prepare(workdir: pathlib.Path, rows: int) -> str:
  csv_dir, data_dir = workdir / "csv", workdir / "tfds"
  make_sample.make_sample(str(csv_dir), train_rows=rows, test_rows=64)
  tfds.builder(_NAME, data_dir=str(data_dir)).download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(csv_dir)))
  return str(data_dir)


def _trainer_runner(data_dir: str, workdir: pathlib.Path, steps: int,
                    **flags):
  """A function timing one fresh `train_and_evaluate` run per call."""
  config = config_lib.Config(
      data_dir=data_dir, epochs=_EPOCHS, batch_size=_BATCH,
      steps_per_epoch=steps, validation_split="", test_split="",
      summary_images=0, precise_bn_batches=0, **flags)
  runs = iter(range(1_000))

  def run() -> float:
    with contextlib.redirect_stdout(io.StringIO()):  # The progress bars.
      metrics = loop.train_and_evaluate(config,
                                        workdir / f"run{next(runs)}")
    return min(h["seconds"] for h in metrics["history"][1:])

  return run


class _EpochTimes(keras.callbacks.Callback):

  def on_epoch_begin(self, epoch, logs=None):
    self.start = time.perf_counter()

  def on_epoch_end(self, epoch, logs=None):
    self.seconds.append(time.perf_counter() - self.start)


def _fit_runner(dataset, steps: int, steps_per_execution: int):
  """A function timing one fresh `model.fit` run per call."""

  def run() -> float:
    keras.utils.set_random_seed(0)
    model = models.build_model("dli_cnn", input_shape=(28, 28, 1),
                               num_classes=24)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"], jit_compile=False,
                  steps_per_execution=steps_per_execution)
    times = _EpochTimes()
    times.seconds = []
    model.fit(dataset, epochs=_EPOCHS, steps_per_epoch=steps, verbose=0,
              callbacks=[times])
    return min(times.seconds[1:])

  return run


def run(workdir: pathlib.Path, quick: bool = False) -> list[dict]:
  """Times the variants; returns images/s rows and ratio rows."""
  data_dir = _prepare(workdir, rows=2000 if quick else 6000)
  steps, rounds = (40, 1) if quick else (120, 2)
  dataset = asl_pipeline.train_dataset(_NAME, batch_size=_BATCH,
                                       data_dir=data_dir, augment="none")
  trainer = lambda name, **flags: _trainer_runner(
      data_dir, workdir / name, steps, **flags)
  variants = {
      "trainer, augment=none": trainer("none", augment="none"),
      "trainer, augment=device": trainer("device", augment="device"),
      "trainer, augment=pipeline": trainer("pipeline", augment="pipeline"),
      "trainer, augment=none, steps_per_loop=1": trainer(
          "spl1", augment="none", steps_per_loop=1),
      "trainer, augment=none, mixed_bfloat16": trainer(
          "bf16", augment="none", precision="mixed_bfloat16"),
      "model.fit, steps_per_execution=1": _fit_runner(dataset, steps, 1),
      "model.fit, steps_per_execution=32": _fit_runner(dataset, steps, 32),
  }
  best = dict.fromkeys(variants, float("inf"))
  for _ in range(rounds):
    for name, runner in variants.items():
      best[name] = min(best[name], runner())
  rate = {name: steps * _BATCH / seconds for name, seconds in best.items()}
  bench = f"trainer epoch (dli_cnn, batch {_BATCH})"
  rows = [{"benchmark": bench, "variant": name, "value": value,
           "unit": "images/s"} for name, value in rate.items()]
  base = rate["trainer, augment=none"]
  for label, value in (
      ("trainer / model.fit spe=1", base / rate[
          "model.fit, steps_per_execution=1"]),
      ("trainer / model.fit spe=32", base / rate[
          "model.fit, steps_per_execution=32"]),
      ("augment=device / none", rate["trainer, augment=device"] / base),
      ("augment=pipeline / none", rate["trainer, augment=pipeline"] / base),
      ("steps_per_loop=32 / 1", base / rate[
          "trainer, augment=none, steps_per_loop=1"]),
      ("mixed_bfloat16 / float32", rate[
          "trainer, augment=none, mixed_bfloat16"] / base)):
    rows.append({"benchmark": bench, "variant": label, "value": value,
                 "unit": "x"})
  return rows
