"""`train_and_evaluate(config, workdir)`: the training loop every trainer uses.

What a workdir holds when it returns:
  config.json      the Config, as JSON
  metrics.json     {"history": [per-epoch records], "best": record,
                    "test": {"loss", "accuracy"}}
  checkpoints/     tf.train.CheckpointManager (model, optimizer, step,
                   epoch), one per epoch; a rerun resumes from the last
  best.weights.h5  the weights of the best validation accuracy so far
  logs/            TensorBoard event files (train/, validation/)
  model.keras      the final (best) model
  export/          SavedModel taking any photo (see `trainers.export`)
  curves.png       loss and accuracy per epoch

Under `--strategy=multi_worker` every worker runs the same loop (saving and
evaluating run collective ops that all of them must join), but only the
chief's files are kept: the others write into `workertemp_<task id>/`
directories that they delete again. Every worker resumes from the chief's
`checkpoints/`, so the workdir must be on storage all hosts share.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import time
from typing import Any

from absl import logging
import keras
import tensorflow as tf

import asl_pipeline
from trainers import config as config_lib
from trainers import data as data_lib
from trainers import distribute
from trainers import export
from trainers import models
from trainers import plots
from trainers import steps as steps_lib
from trainers import summaries
from trainers.data import DataSpec

# How often (in steps) the loop reads metrics for the progress bar and the
# non-finite-loss sentinel; reading forces a sync, so not after every step.
_POLL_EVERY = 10
# How long a run waits for the --data_service dispatcher to accept a
# connection (one still starting up) before failing with its address.
_DISPATCHER_TIMEOUT_S = 10.0


def train_and_evaluate(config: config_lib.Config,
                       workdir: str | os.PathLike) -> dict[str, Any]:
  """Trains, validates each epoch, tests the best weights, and exports.

  A workdir that already holds checkpoints resumes after the last completed
  epoch; one that finished (all epochs, or stopped early) only re-runs the
  final test and export.

  Args:
    config: The training configuration.
    workdir: Output directory (see the module docstring).

  Returns:
    The contents of `metrics.json`.

  Raises:
    ValueError: for an invalid config, naming the flag.
    FloatingPointError: when the training loss becomes NaN or infinite,
      naming the epoch and step; the last good checkpoint stays in place.
  """
  config = config.validate()
  # First: splitting the CPU and joining a multi-worker cluster must happen
  # before TensorFlow initializes its devices.
  strategy = distribute.make_strategy(config.strategy,
                                      num_cpu_devices=config.num_cpu_devices,
                                      tpu=config.tpu)
  if config.data_service:
    # Before any work, so that a wrong address fails in seconds.
    asl_pipeline.service.wait_for_dispatcher(config.data_service,
                                             _DISPATCHER_TIMEOUT_S)
  workdir = pathlib.Path(workdir)
  workdir.mkdir(parents=True, exist_ok=True)
  previous_policy = keras.config.dtype_policy()
  if config.mixed_precision:
    keras.config.set_dtype_policy("mixed_float16")
  try:
    run = _Run(config, workdir,
               None if config.strategy == "default" else strategy)
    try:
      return run.run()
    finally:
      # A non-chief's outputs were only there to take part in saving.
      distribute.remove_worker_checkpoint_dir(str(workdir), strategy)
  finally:
    # The policy is process-global; leave it as it was found.
    keras.config.set_dtype_policy(previous_policy)


def _make_optimizer(config: config_lib.Config) -> keras.optimizers.Optimizer:
  optimizer = {
      "adam": keras.optimizers.Adam,
      "sgd": lambda learning_rate: keras.optimizers.SGD(
          learning_rate, momentum=0.9),
      "rmsprop": keras.optimizers.RMSprop,
  }[config.optimizer](learning_rate=config.learning_rate)
  if config.mixed_precision:
    # Scales the loss up so that float16 gradients do not underflow, and
    # skips (and re-scales) steps whose gradients overflow.
    optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
  return optimizer


class _Run:
  """One call of `train_and_evaluate`: state shared by its phases."""

  def __init__(self, config: config_lib.Config, workdir: pathlib.Path,
               strategy: tf.distribute.Strategy | None):
    self.config = config
    self.workdir = workdir
    self.strategy = strategy  # None: the default strategy, one device.
    active = strategy or tf.distribute.get_strategy()
    self.chief = distribute.is_chief(active)
    # Where this process writes: the workdir, or a non-chief's temporary
    # directory inside it.
    self.out = pathlib.Path(distribute.checkpoint_dir_for_worker(
        str(workdir), active))
    self.out.mkdir(parents=True, exist_ok=True)
    self.best_path = self.out / "best.weights.h5"
    self.data = DataSpec.create(config)
    keras.utils.set_random_seed(config.seed)
    with active.scope():
      self.model = models.build_model(
          config.model, input_shape=self.data.input_shape,
          num_classes=self.data.num_classes, **config.model_options)
      self.optimizer = _make_optimizer(config)
      # Built now so that a checkpoint restores its slots instead of
      # deferring.
      self.optimizer.build(self.model.trainable_variables)
      self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
      self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
      self.first_bad_step = tf.Variable(-1, dtype=tf.int64, trainable=False)
      self.train_metrics = steps_lib.StepMetrics.create("train")
      self.eval_metrics = steps_lib.StepMetrics.create("eval")
      self.grad_norms = steps_lib.GradNorms(self.model.trainable_variables)
    self.checkpoint = tf.train.Checkpoint(
        model=self.model, optimizer=self.optimizer, step=self.step,
        epoch=self.epoch)
    self.manager = tf.train.CheckpointManager(
        self.checkpoint, str(self.out / "checkpoints"), max_to_keep=3)

  def run(self) -> dict[str, Any]:
    """Resumes or starts, trains the remaining epochs, tests, exports."""
    config = self.config
    history = self._restore()
    self._write_config()
    train_metrics, eval_metrics = self.train_metrics, self.eval_metrics
    use_tf_function = config.mode == "function"
    augmenter = None
    if config.augment == "device":
      with (self.strategy or tf.distribute.get_strategy()).scope():
        augmenter = asl_pipeline.make_augmenter(seed=config.seed)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    train_step = steps_lib.make_train_step(
        self.model, self.optimizer, loss_fn, train_metrics,
        augmenter=augmenter, use_tf_function=use_tf_function,
        jit_compile=config.jit_compile, first_bad_step=self.first_bad_step,
        step=self.step, strategy=self.strategy, grad_norms=self.grad_norms)
    eval_step = steps_lib.make_eval_step(
        self.model, loss_fn, eval_metrics, use_tf_function=use_tf_function)
    evaluate = lambda ds: steps_lib.evaluate(eval_step, eval_metrics, ds)

    val_ds = None
    if self.data.validation_split:
      val_ds = self.data.eval(self.data.validation_split)
    start = int(self.epoch.numpy()) + 1
    if start <= config.epochs and not _patience_exhausted(history, config):
      # A resumed run reshuffles with a seed of its own rather than replaying
      # the order (and augmentations) the first epochs already saw.
      iterator = data_lib.train_iterator(
          self.data, self.strategy, seed=config.seed + start - 1,
          job_name=_service_job_name(config, self.workdir, int(self.step.numpy())))
      # TensorBoard is the chief's alone; the other workers' numbers are the
      # same.
      writers = {name: tf.summary.create_file_writer(
          str(self.workdir / "logs" / name))
                 for name in ("train", "validation")} if self.chief else {}
      for epoch in range(start, config.epochs + 1):
        record = self._train_epoch(epoch, iterator, train_step, train_metrics,
                                   augmenter, writers, first=epoch == start)
        if val_ds is not None:
          val = evaluate(val_ds)
          record.update(val_loss=val["loss"], val_accuracy=val["accuracy"])
        history.append(record)
        self._end_epoch(epoch, history, writers)
        if _patience_exhausted(history, config):
          logging.info("Stopping early after epoch %d: no better validation "
                       "accuracy in %d epochs.", epoch,
                       config.early_stopping_patience)
          break
    return self._finish(history, evaluate)

  def _write_config(self):
    path = self.out / "config.json"
    if path.exists():
      old = json.loads(path.read_text())
      new = json.loads(self.config.to_json())
      changed = sorted(k for k in new if old.get(k) != new[k])
      if changed:
        # Raising the epoch count to train on is the usual reason; anything
        # else (a new model) would fail to restore or mix two experiments.
        logging.warning("%s differs from this run in %s; overwriting it.",
                        path, ", ".join(f"{k}: {old.get(k)!r} -> {new[k]!r}"
                                        for k in changed))
    path.write_text(self.config.to_json() + "\n")

  def _restore(self) -> list[dict[str, Any]]:
    # Every worker resumes from the chief's checkpoints.
    latest = tf.train.latest_checkpoint(str(self.workdir / "checkpoints"))
    if latest is None:
      return []
    self.checkpoint.restore(latest).assert_existing_objects_matched()
    print(f"Resuming from {latest} (epoch {int(self.epoch.numpy())} done).")
    metrics = _read_json(self.workdir / "metrics.json")
    # metrics.json is written before the checkpoint, so it may hold an epoch
    # whose checkpoint never landed; that epoch is trained again.
    return [h for h in metrics.get("history", [])
            if h["epoch"] <= int(self.epoch.numpy())]

  def _train_epoch(self, epoch, iterator, train_step, metrics, augmenter,
                   writers, first) -> dict[str, Any]:
    config, steps = self.config, self.data.steps_per_epoch
    print(f"Epoch {epoch}/{config.epochs}")
    progbar = keras.utils.Progbar(steps, stateful_metrics=["loss", "accuracy"])
    metrics.reset()
    self.grad_norms.reset()
    epoch_start_step = int(self.step.numpy())
    started = time.perf_counter()
    for i in range(1, steps + 1):
      images, labels = next(iterator)
      if first and i == 1 and config.summary_images and writers:
        self._write_inputs(images, augmenter, writers["train"], epoch)
      train_step(images, labels)
      if i % _POLL_EVERY == 0 or i == steps:
        self._check_finite(epoch, epoch_start_step, steps)
        progbar.update(i, values=list(metrics.result().items()))
    result = metrics.result()
    return {"epoch": epoch, "train_loss": result["loss"],
            "train_accuracy": result["accuracy"],
            "grad_norms": self.grad_norms.result(),
            "seconds": round(time.perf_counter() - started, 3)}

  def _check_finite(self, epoch, epoch_start_step, steps):
    bad = int(self.first_bad_step.numpy())
    if bad < 0:
      return
    latest = tf.train.latest_checkpoint(str(self.workdir / "checkpoints"))
    raise FloatingPointError(
        f"The training loss became NaN or infinite at epoch {epoch}, step "
        f"{bad - epoch_start_step} of {steps} (global step {bad}). "
        + (f"The last good checkpoint is {latest}; a rerun with the same "
           "--workdir resumes from it. " if latest else
           "No epoch finished, so no checkpoint was written. ")
        + "Try a lower --learning_rate, or check the data for bad values.")

  def _write_inputs(self, images, augmenter, writer, epoch):
    if self.strategy is not None:
      # The first replica's share is enough to look at.
      images = self.strategy.experimental_local_results(images)[0]
    shown = images[:self.config.summary_images]
    if augmenter is not None:
      shown = augmenter(shown, training=True)
    with writer.as_default():
      summaries.image("augmented_inputs", shown, step=epoch)

  def _end_epoch(self, epoch, history, writers):
    record = history[-1]
    best = _best(history)
    if best is record and self.data.validation_split:
      self.model.save_weights(str(self.best_path))
    for split, writer in writers.items():
      prefix = "train" if split == "train" else "val"
      with writer.as_default():
        for metric in ("loss", "accuracy"):
          if f"{prefix}_{metric}" in record:
            summaries.scalar(metric, record[f"{prefix}_{metric}"], epoch)
        if split == "train":
          summaries.scalar("learning_rate",
                           float(tf.convert_to_tensor(self.optimizer.learning_rate)), epoch)
          for layer, norm in record["grad_norms"].items():
            summaries.scalar(f"grad_norm/{layer}", norm, epoch)
      writer.flush()
    self.epoch.assign(epoch)
    _write_json(self.out / "metrics.json",
                {"history": history, "best": best})
    self.manager.save(checkpoint_number=epoch)

  def _finish(self, history, evaluate) -> dict[str, Any]:
    if self.data.validation_split and self.best_path.exists():
      self.model.load_weights(str(self.best_path))
    metrics = {"history": history, "best": _best(history)}
    if self.data.test_split:
      metrics["test"] = evaluate(self.data.eval(self.data.test_split))
      print(f"Test ({self.data.test_split}): loss {metrics['test']['loss']:.4f}"
            f", accuracy {metrics['test']['accuracy']:.4f}")
    _write_json(self.out / "metrics.json", metrics)
    self.model.save(str(self.out / "model.keras"))
    export.export_model(self.model, self.out / "export",
                        self.data.class_names)
    if history and self.chief:
      plots.plot_curves(history, self.workdir / "curves.png")
    return metrics


def _service_job_name(config: config_lib.Config, workdir: pathlib.Path,
                      step: int) -> str:
  """A tf.data service job name every worker of one run derives alike.

  The workers of a run share the job (and so split its passes); a resumed
  run starts at another step, so it never joins a stale job of an earlier
  attempt.
  """
  digest = hashlib.sha1(str(workdir).encode()).hexdigest()[:12]
  return f"{config.dataset}-{digest}-from-step-{step}"


def _best(history: list[dict[str, Any]]) -> dict[str, Any] | None:
  """The first epoch with the highest validation accuracy (else the last)."""
  if not history:
    return None
  if "val_accuracy" not in history[-1]:
    return history[-1]
  return max(history, key=lambda h: h["val_accuracy"])


def _patience_exhausted(history, config) -> bool:
  patience = config.early_stopping_patience
  if not patience or not history or "val_accuracy" not in history[-1]:
    return False
  return history[-1]["epoch"] - _best(history)["epoch"] >= patience


def _read_json(path: pathlib.Path) -> dict[str, Any]:
  return json.loads(path.read_text()) if path.exists() else {}


def _write_json(path: pathlib.Path, value) -> None:
  # Write-then-rename, so an interrupted run never leaves half a file.
  tmp = path.with_suffix(".json.tmp")
  tmp.write_text(json.dumps(value, indent=2) + "\n")
  os.replace(tmp, path)
