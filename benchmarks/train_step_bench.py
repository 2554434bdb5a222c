"""The trainer's GradientTape step beside Keras `model.fit`, side by side.

The DLI CNN (264,049 parameters), batch 32 (the course's), Adam, on the same
`asl_pipeline.train_dataset` batches of one synthetic Sign Language MNIST
sample, images/s of:
  (a) `trainers.steps.make_train_step` as a `tf.function` (--mode=function),
      driven the way `trainers.loop` drives it: `next(iterator)` per step and
      metrics read every 10 steps;
  (b) the same step run eagerly (--mode=eager);
  (c) the same step with the forward/backward pass XLA-compiled
      (--jit_compile);
  (d) `model.compile(jit_compile=False)` + `model.fit(steps_per_epoch=...)`;
  (e) for reference, (a) with the augmenter applied inside the step
      (--augment=device), the trainer's default.
(a)-(d) see un-augmented batches, so they time the same arithmetic; ratios
are each variant over (d).

Every variant is warmed up first (functions traced, the pipeline's cache
filled), then timed in turns for several rounds, keeping each one's best
round: other processes on a shared machine only ever slow a round down.
"""

from __future__ import annotations

import pathlib
import time

import keras
import tensorflow as tf
import tensorflow_datasets as tfds

import asl_pipeline
from tfds_builders.sign_language_mnist import make_sample
from trainers import models
from trainers import steps as steps_lib

_NAME = "sign_language_mnist"
_BATCH = 32
_POLL_EVERY = 10  # As trainers.loop.


def _prepare(workdir: pathlib.Path, rows: int) -> str:
  csv_dir, data_dir = workdir / "csv", workdir / "tfds"
  make_sample.make_sample(str(csv_dir), train_rows=rows, test_rows=64)
  tfds.builder(_NAME, data_dir=str(data_dir)).download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(csv_dir)))
  return str(data_dir)


def _new_model() -> keras.Model:
  keras.utils.set_random_seed(0)
  return models.build_model("dli_cnn", input_shape=(28, 28, 1),
                            num_classes=24)


def _loop_runner(iterator, *, use_tf_function: bool, jit_compile: bool,
                 augment: bool):
  """A function running n steps the way trainers.loop does."""
  model = _new_model()
  optimizer = keras.optimizers.Adam(1e-3)
  optimizer.build(model.trainable_variables)
  metrics = steps_lib.StepMetrics.create("train")
  step = steps_lib.make_train_step(
      model, optimizer, keras.losses.SparseCategoricalCrossentropy(), metrics,
      augmenter=asl_pipeline.make_augmenter(seed=0) if augment else None,
      use_tf_function=use_tf_function, jit_compile=jit_compile,
      first_bad_step=tf.Variable(-1, dtype=tf.int64),
      step=tf.Variable(0, dtype=tf.int64))

  def run(steps: int) -> None:
    for i in range(1, steps + 1):
      step(*next(iterator))
      if i % _POLL_EVERY == 0 or i == steps:
        metrics.result()

  return run


def _fit_runner(dataset):
  model = _new_model()
  model.compile(optimizer=keras.optimizers.Adam(1e-3),
                loss=keras.losses.SparseCategoricalCrossentropy(),
                metrics=["accuracy"], jit_compile=False)

  def run(steps: int) -> None:
    model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)

  return run


def run(workdir: pathlib.Path, quick: bool = False) -> list[dict]:
  """Times the variants; returns images/s rows and ratio rows vs model.fit."""
  data_dir = _prepare(workdir, rows=2000 if quick else 6000)
  steps, rounds = (30, 2) if quick else (100, 3)
  dataset = asl_pipeline.train_dataset(_NAME, batch_size=_BATCH,
                                       data_dir=data_dir, augment="none")
  variants = {
      "loop, function": _loop_runner(iter(dataset), use_tf_function=True,
                                     jit_compile=False, augment=False),
      "loop, eager": _loop_runner(iter(dataset), use_tf_function=False,
                                  jit_compile=False, augment=False),
      "loop, function + jit_compile": _loop_runner(
          iter(dataset), use_tf_function=True, jit_compile=True,
          augment=False),
      "model.fit": _fit_runner(dataset),
      "loop, function + device augment": _loop_runner(
          iter(dataset), use_tf_function=True, jit_compile=False,
          augment=True),
  }
  for runner in variants.values():
    runner(2 * _POLL_EVERY)  # Trace, compile, fill caches.
  best = dict.fromkeys(variants, float("inf"))
  for _ in range(rounds):
    for name, runner in variants.items():
      # Eager is several times slower; fewer steps keep its round short.
      n = max(_POLL_EVERY, steps // 4) if "eager" in name else steps
      start = time.perf_counter()
      runner(n)
      best[name] = min(best[name], (time.perf_counter() - start) / n)
  rate = {name: _BATCH / seconds for name, seconds in best.items()}
  bench = f"train_step (dli_cnn, batch {_BATCH})"
  rows = [{"benchmark": bench, "variant": name, "value": value,
           "unit": "images/s"} for name, value in rate.items()]
  rows += [{"benchmark": bench, "variant": f"{name} / model.fit",
            "value": value / rate["model.fit"], "unit": "x"}
           for name, value in rate.items() if name != "model.fit"]
  return rows
