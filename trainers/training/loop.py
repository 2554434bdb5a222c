"""`train_and_evaluate(config, workdir)`: the training loop every trainer uses.

Orbit-style: a compiled call runs up to `--steps_per_loop` train steps inside
one graph (`trainers.training.steps.make_train_loop`); progress, the non-finite-loss
check, step checkpoints and stop signals are handled between calls, never
inside the graph. What the workdir receives is described in
`trainers.run_dir.workdir`.

Resuming is exact: a checkpoint holds the model, the optimizer (and its loss
scale), the step, the epoch, the epoch's running metrics and gradient-norm
sums, and the augmenter's random state; the training stream is a function
of the seed alone, and a resumed run skips to its step (`DataSpec.train`),
so it sees the batches the uninterrupted run would have seen. The stream
itself (its cache and shuffle buffer) is never checkpointed. With
`--deterministic` a run killed at any step and rerun ends with bit-identical
weights. SIGTERM and SIGINT save a checkpoint at the current step and exit
with status 143 / 130; a rerun continues from that step.

Under `--strategy=multi_worker` every worker runs the same loop (saving and
evaluating run collective ops that all of them must join), but only the
chief's files are kept: the others write into `workertemp_<task id>/`
directories that they delete again. Every worker resumes from the chief's
`checkpoints/`, so the workdir must be on storage all hosts share.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import pathlib
import time
from typing import Any

import keras
import tensorflow as tf

import asl_pipeline
from trainers.command_line import config as config_lib
from trainers.training import data as data_lib
from trainers.training import distribute
from trainers.run_dir import export
from trainers.training import health
from trainers.training import history as history_lib
from trainers import models
from trainers.run_dir import plots
from trainers.training import precise_bn
from trainers.training import setup
from trainers.training import stop_signals
from trainers.training import steps as steps_lib
from trainers.run_dir import summaries
from trainers.run_dir import workdir as workdir_lib
from trainers.training.data import DataSpec

# How long a run waits for the --data_service dispatcher to accept a
# connection (one still starting up) before failing with its address.
_DISPATCHER_TIMEOUT_S = 10.0
# The longest a compiled loop call should last: progress, checkpoints and a
# stop signal are served between calls, so slow steps (a ResNet on a CPU)
# get shorter loops than --steps_per_loop.
_MAX_LOOP_SECONDS = 2.0
# Checkpoints kept: the newest few, so a bad last one still has a fallback.
_MAX_TO_KEEP = 3


def train_and_evaluate(config: config_lib.Config,
                       workdir: str | os.PathLike) -> dict[str, Any]:
  """Trains, validates each epoch, tests the best weights, and exports.

  A workdir that already holds checkpoints resumes from the last one; one
  that finished (all epochs, or stopped early) only re-runs the final test
  and export.

  Args:
    config: The training configuration.
    workdir: Output directory (see `trainers.run_dir.workdir`).

  Returns:
    The contents of `metrics.json`.

  Raises:
    trainers.command_line.config.ConfigError: for a config that cannot run (an invalid
      field, an unknown split, a dataset not built, a resume that changes a
      field the run depends on), before anything is written.
    FloatingPointError: when the training loss becomes NaN or infinite,
      naming the epoch and step; the last good checkpoint stays in place.
    trainers.training.health.DivergedError: when the loss explodes or the gradients
      vanish; the checkpoint of the last good epoch stays in place.
    trainers.training.stop_signals.Stopped: after SIGTERM or SIGINT, once the
      current step is checkpointed.
  """
  config = config.validate()
  workdir = pathlib.Path(workdir)
  setup.check_resumable(config, workdir)
  if config.deterministic:
    # Before any op runs: seeded initialization and deterministic kernels.
    tf.config.experimental.enable_op_determinism()
  # Splitting the CPU and joining a multi-worker cluster must happen before
  # TensorFlow initializes its devices.
  strategy = distribute.make_strategy(config.strategy,
                                      num_cpu_devices=config.num_cpu_devices,
                                      tpu=config.tpu)
  if config.data_service:
    # Before any work, so that a wrong address fails in seconds.
    asl_pipeline.service.wait_for_dispatcher(config.data_service,
                                             _DISPATCHER_TIMEOUT_S)
  # Reads the dataset's metadata: a dataset that was never built, or an
  # unknown split, fails here, before the workdir exists.
  data = DataSpec.create(config)
  with setup.dtype_policy(config.precision):
    run = _Run(config, workdir, data,
               None if config.strategy == "default" else strategy)
    try:
      return run.run()
    finally:
      # A non-chief's outputs were only there to take part in saving.
      distribute.remove_worker_checkpoint_dir(str(workdir), strategy)


class _Run:
  """One call of `train_and_evaluate`: state shared by its phases."""

  def __init__(self, config: config_lib.Config, workdir: pathlib.Path,
               data: DataSpec, strategy: tf.distribute.Strategy | None):
    self.config = config
    self.workdir = workdir
    self.data = data
    self.strategy = strategy  # None: the default strategy, one device.
    active = strategy or tf.distribute.get_strategy()
    self.chief = distribute.is_chief(active)
    # Where this process writes: the workdir, or a non-chief's temporary
    # directory inside it.
    self.out = pathlib.Path(distribute.checkpoint_dir_for_worker(
        str(workdir), active))
    keras.utils.set_random_seed(config.seed)
    with active.scope():
      try:
        self.model = models.build_model(
            config.model, input_shape=data.input_shape,
            num_classes=data.num_classes, **config.model_options)
      except ValueError as e:
        raise config_lib.ConfigError(f"--model={config.model}: {e}") from None
      self.optimizer = setup.make_optimizer(config)
      # Built now so that a checkpoint restores its slots instead of
      # deferring.
      self.optimizer.build(self.model.trainable_variables)
      self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
      self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
      self.first_bad_step = tf.Variable(-1, dtype=tf.int64, trainable=False)
      self.train_metrics = steps_lib.StepMetrics.create("train")
      self.eval_metrics = steps_lib.StepMetrics.create("eval")
      self.grad_norms = steps_lib.GradNorms(self.model.trainable_variables)
      self.augmenter = None
      if config.augment == "device":
        self.augmenter = asl_pipeline.make_augmenter(seed=config.seed)
      self.precise_bn = precise_bn.PreciseBatchNorm(
          self.model, strategy=self.strategy)
    checkpointed = dict(
        model=self.model, optimizer=self.optimizer, step=self.step,
        epoch=self.epoch, train_metrics=self.train_metrics,
        grad_norms=self.grad_norms,
        # Keras layers keep their random state (dropout) in seed
        # generators that tf.train.Checkpoint does not find by itself.
        seed_states=setup.seed_states(self.model))
    if self.augmenter is not None:
      checkpointed["augmenter_seed"] = self.augmenter.seed_generator.state
    self.checkpoint = tf.train.Checkpoint(**checkpointed)
    self.manager = tf.train.CheckpointManager(
        self.checkpoint, str(self.out / workdir_lib.CHECKPOINTS),
        max_to_keep=_MAX_TO_KEEP)

  def run(self) -> dict[str, Any]:
    """Resumes or starts, trains the remaining epochs, tests, exports."""
    config = self.config
    history = self._restore()
    self.out.mkdir(parents=True, exist_ok=True)
    self._write_config()
    use_tf_function = config.mode == "function"
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    train_step = steps_lib.make_train_step(
        self.model, self.optimizer, loss_fn, self.train_metrics,
        augmenter=self.augmenter, jit_compile=config.jit_compile,
        first_bad_step=self.first_bad_step, step=self.step,
        strategy=self.strategy, grad_norms=self.grad_norms)
    train_loop = steps_lib.make_train_loop(train_step,
                                           use_tf_function=use_tf_function)
    evaluate = steps_lib.make_evaluate(
        steps_lib.make_eval_step(self.model, loss_fn, self.eval_metrics),
        self.eval_metrics, use_tf_function=use_tf_function)

    val_ds = None
    if self.data.validation_split:
      val_ds = self.data.eval(self.data.validation_split)
    start = int(self.epoch.numpy()) + 1
    if start <= config.epochs and not history_lib.patience_exhausted(history, config.early_stopping_patience):
      step = int(self.step.numpy())
      # The stream is a function of the seed; a resumed run skips to its
      # step, so it sees what the uninterrupted run would have seen.
      iterator = data_lib.train_iterator(
          self.data, self.strategy, seed=config.seed, start_batch=step,
          job_name=_service_job_name(config, self.workdir, step))
      # TensorBoard is the chief's alone; the other workers' numbers are the
      # same.
      writers = {name: tf.summary.create_file_writer(
          str(self.workdir / workdir_lib.LOGS / name))
                 for name in ("train", "validation")} if self.chief else {}
      # Every worker of a cluster must save together: a signal reaching one
      # of them is left to the cluster manager.
      with stop_signals.catch(config.strategy != "multi_worker") as stop:
        for epoch in range(start, config.epochs + 1):
          record = self._train_epoch(epoch, iterator, train_loop, writers,
                                     first=epoch == start, stop=stop,
                                     val_ds=val_ds, evaluate=evaluate)
          # Before this epoch's checkpoint can replace the last good one.
          health.check(record, self.data.num_classes, config.learning_rate,
                       self.manager.latest_checkpoint)
          history.append(record)
          self._end_epoch(epoch, history, writers)
          if history_lib.patience_exhausted(history, config.early_stopping_patience):
            print(f"Stopping early after epoch {epoch}: no better "
                  f"validation accuracy in {config.early_stopping_patience} "
                  "epochs.")
            break
    return self._finish(history, evaluate)

  def _write_config(self):
    path = self.out / workdir_lib.CONFIG
    if path.exists():
      old = json.loads(path.read_text())
      new = json.loads(self.config.to_json())
      changed = sorted(k for k in new if old.get(k) != new[k])
      if changed:
        # Only CHANGEABLE fields get here (`_check_resumable`).
        print("Resuming with " + ", ".join(
            f"--{k}={new[k]!r} (was {old.get(k)!r})" for k in changed))
    workdir_lib.write_json(path, json.loads(self.config.to_json()))

  def _restore(self) -> list[dict[str, Any]]:
    # Every worker resumes from the chief's checkpoints.
    latest = tf.train.latest_checkpoint(
        str(self.workdir / workdir_lib.CHECKPOINTS))
    if latest is None:
      return []
    self.checkpoint.restore(latest).assert_existing_objects_matched()
    # A changed --learning_rate takes effect now; the checkpoint brought
    # back the old one.
    setup.inner_optimizer(self.optimizer).learning_rate.assign(
        self.config.learning_rate)
    epoch, step = int(self.epoch.numpy()), int(self.step.numpy())
    in_epoch = step - epoch * self.data.steps_per_epoch
    print(f"Resuming from {latest}: epoch {epoch} done"
          + (f", {in_epoch} steps into epoch {epoch + 1}." if in_epoch else
             "."))
    metrics = workdir_lib.read_json(self.workdir / workdir_lib.METRICS)
    # metrics.json is written before the checkpoint, so it may hold an epoch
    # whose checkpoint never landed; that epoch is trained again.
    return [h for h in metrics.get("history", []) if h["epoch"] <= epoch]

  def _train_epoch(self, epoch, iterator, train_loop, writers, first, stop,
                   val_ds, evaluate) -> dict[str, Any]:
    config, steps = self.config, self.data.steps_per_epoch
    print(f"Epoch {epoch}/{config.epochs}")
    progbar = keras.utils.Progbar(
        steps, stateful_metrics=["loss", "accuracy", "val_loss",
                                 "val_accuracy"])
    epoch_start = (epoch - 1) * steps
    done = int(self.step.numpy()) - epoch_start
    if done == 0:
      # A resumed run keeps the sums of the steps it already took.
      self.train_metrics.reset()
      self.grad_norms.reset()
    every = config.checkpoint_every_steps
    # The first call traces the graph; a one-step call keeps that short.
    loop_steps = 1
    started = time.perf_counter()
    while done < steps:
      n = min(loop_steps, steps - done)
      if every:
        # Calls end on the steps that are checkpointed.
        n = min(n, every - (epoch_start + done) % every)
      call_started = time.perf_counter()
      images = train_loop(iterator, tf.constant(n, tf.int32))
      done += n
      if first and writers and config.summary_images:
        self._write_inputs(images, writers["train"], epoch)
        first = False
      self._check_finite(epoch, epoch_start, steps)
      loop_steps = _next_loop_size(config, n, time.perf_counter() -
                                   call_started)
      if done < steps:
        progbar.update(done, values=list(self.train_metrics.result().items()))
      if every and (epoch_start + done) % every == 0 and done < steps:
        # (The epoch's last step is checkpointed by `_end_epoch`.)
        self.manager.save(checkpoint_number=epoch_start + done)
      if stop.requested:
        self._save_and_stop(stop, epoch, done, steps)
    result = self.train_metrics.result()
    record = {"epoch": epoch, "train_loss": result["loss"],
              "train_accuracy": result["accuracy"],
              "grad_norms": self.grad_norms.result(),
              "seconds": round(time.perf_counter() - started, 3)}
    if val_ds is not None:
      self._refresh_batchnorm()
      val = evaluate(val_ds)
      record.update(val_loss=val["loss"], val_accuracy=val["accuracy"])
    progbar.update(steps, values=[
        (k, record[f"train_{k}"]) for k in ("loss", "accuracy")] + [
            (k, record[k]) for k in ("val_loss", "val_accuracy")
            if k in record])
    return record

  def _refresh_batchnorm(self):
    """Recomputes BatchNorm statistics for the weights as they are now.

    With few steps an epoch, the moving averages (momentum 0.99: a memory
    of ~100 steps) trail far behind the weights, and a model that has
    learned validates at chance. The same un-augmented batches every time:
    the statistics are a function of the weights alone, which keeps resumed
    runs exact.
    """
    batches = min(self.config.precise_bn_batches, self.data.steps_per_epoch)
    if not batches or not self.precise_bn.num_layers:
      return
    # A new dataset each time: a second pass over the same one would be
    # shuffled anew, and a resumed run (whose first pass this is) would
    # then compute other statistics than the uninterrupted run.
    self.precise_bn(self.data.batchnorm_batches(batches), batches)

  def _save_and_stop(self, stop, epoch, done, steps):
    path = self.manager.save(checkpoint_number=int(self.step.numpy()))
    message = (f"Stopped by {stop.signal_name} at epoch {epoch}, step {done} "
               f"of {steps} (global step {int(self.step.numpy())}); saved "
               f"{path}. Rerun the same command to continue from there.")
    print("\n" + message)
    raise stop_signals.Stopped(message, stop.exit_code)

  def _check_finite(self, epoch, epoch_start, steps):
    bad = int(self.first_bad_step.numpy())
    if bad < 0:
      return
    latest = self.manager.latest_checkpoint
    raise FloatingPointError(
        f"The training loss became NaN or infinite at epoch {epoch}, step "
        f"{bad - epoch_start} of {steps} (global step {bad}). "
        + (f"The last good checkpoint is {latest}; a rerun with the same "
           "--workdir resumes from it. " if latest else
           "No checkpoint was written yet. ")
        + "Try a lower --learning_rate, or check the data for bad values.")

  def _write_inputs(self, images, writer, epoch):
    if self.strategy is not None:
      # The first replica's share is enough to look at.
      images = self.strategy.experimental_local_results(images)[0]
    shown = images[:self.config.summary_images]
    if self.augmenter is not None:
      # An explicit seed: the run's augmenter state must not advance for a
      # picture, or a resumed run would augment differently.
      shown = self.augmenter.augment(
          shown, tf.constant([self.config.seed, epoch], tf.int64))
    with writer.as_default():
      summaries.image("augmented_inputs", shown, step=epoch)

  def _end_epoch(self, epoch, history, writers):
    record = history[-1]
    best = history_lib.best(history)
    if best is record and self.data.validation_split:
      with workdir_lib.atomic_file(self.out / workdir_lib.BEST_WEIGHTS) as tmp:
        self.model.save_weights(str(tmp))
    for split, writer in writers.items():
      prefix = "train" if split == "train" else "val"
      with writer.as_default():
        for metric in ("loss", "accuracy"):
          if f"{prefix}_{metric}" in record:
            summaries.scalar(metric, record[f"{prefix}_{metric}"], epoch)
        if split == "train":
          summaries.scalar("learning_rate", float(tf.convert_to_tensor(
              setup.inner_optimizer(self.optimizer).learning_rate)), epoch)
          for layer, norm in record["grad_norms"].items():
            summaries.scalar(f"grad_norm/{layer}", norm, epoch)
      writer.flush()
    self.epoch.assign(epoch)
    workdir_lib.write_json(self.out / workdir_lib.METRICS,
                           {"history": history, "best": best})
    self.manager.save(checkpoint_number=int(self.step.numpy()))

  def _finish(self, history, evaluate) -> dict[str, Any]:
    best_path = self.out / workdir_lib.BEST_WEIGHTS
    if self.data.validation_split and best_path.exists():
      # Saved after validation, so with the statistics it was judged by.
      self.model.load_weights(str(best_path))
    else:
      self._refresh_batchnorm()
    best = history_lib.best(history)
    metrics = {"history": history, "best": best}
    if best and "val_accuracy" in best:
      print(f"Best epoch: {best['epoch']} (validation accuracy "
            f"{best['val_accuracy']:.4f}, loss {best['val_loss']:.4f}); "
            "the outputs below hold its weights.")
    if self.data.test_split:
      metrics["test"] = evaluate(self.data.eval(self.data.test_split))
      print(f"Test ({self.data.test_split}): loss {metrics['test']['loss']:.4f}"
            f", accuracy {metrics['test']['accuracy']:.4f}")
    workdir_lib.write_json(self.out / workdir_lib.METRICS, metrics)
    with workdir_lib.atomic_file(self.out / workdir_lib.MODEL) as tmp:
      self.model.save(str(tmp))
    workdir_lib.replace_dir(
        self.out / workdir_lib.EXPORT,
        lambda tmp: export.export_model(self.model, tmp,
                                        self.data.class_names))
    if history and self.chief:
      plots.plot_curves(history, self.workdir / workdir_lib.CURVES)
    if self.chief:
      workdir_lib.print_outputs(self.workdir)
    return metrics


def _next_loop_size(config: config_lib.Config, steps: int,
                    seconds: float) -> int:
  """Steps for the next compiled call: --steps_per_loop, or fewer if slow.

  Eager mode runs steps one Python call at a time anyway; its progress is
  polled every 10 steps. The first call (one step) includes tracing, so
  its time says nothing: a two-step call measures the step first.
  """
  if config.mode == "eager":
    return 10
  if steps == 1:
    return min(2, config.steps_per_loop)
  per_step = seconds / steps
  return max(1, min(config.steps_per_loop,
                    math.floor(_MAX_LOOP_SECONDS / max(per_step, 1e-9))))


def _service_job_name(config: config_lib.Config, workdir: pathlib.Path,
                      step: int) -> str:
  """A tf.data service job name every worker of one run derives alike.

  The workers of a run share the job (and so split its passes); a resumed
  run starts at another step, so it never joins a stale job of an earlier
  attempt.
  """
  digest = hashlib.sha1(str(workdir).encode()).hexdigest()[:12]
  return f"{config.dataset}-{digest}-from-step-{step}"
