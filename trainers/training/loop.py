"""`train_and_evaluate(config, workdir)`: the training loop every trainer uses.

Orbit-style: a compiled call runs up to `--steps_per_loop` train steps inside
one graph (`trainers.training.steps.make_train_loop`); the `Controller` runs
those calls epoch by epoch and, between them, calls the actions of
`trainers.training.actions` (progress, the non-finite-loss check, step
checkpoints, stop signals; and at each epoch's end validation, the
divergence check, the best weights, summaries, metrics and the epoch's
checkpoint). What the workdir receives is described in
`trainers.run_dir.workdir`.

Resuming is exact: a checkpoint holds everything `TrainState` builds (the
model, the optimizer and its loss scale, the step, the epoch, the epoch's
running metrics and gradient-norm sums, and the random state of dropout and
of the augmenter); the training stream is a function of the seed alone, and
a resumed run skips to its step (`DataSpec.train`), so it sees the batches
the uninterrupted run would have seen. The stream itself (its cache and
shuffle buffer) is never checkpointed. With `--deterministic` a run killed
at any step and rerun ends with bit-identical weights. SIGTERM and SIGINT
save a checkpoint at the current step and exit with status 143 / 130; a
rerun continues from that step.

Under `--strategy=multi_worker` every worker runs the same loop (saving and
evaluating run collective ops that all of them must join), but only the
chief's files are kept: the others write into `workertemp_<task id>/`
directories that they delete again. Every worker resumes from the chief's
`checkpoints/`, so the workdir must be on storage all hosts share.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pathlib
import time
from typing import Any

import keras
import tensorflow as tf

import asl_pipeline
from tfds_builders.common import files
from trainers.command_line import config as config_lib
from trainers.run_dir import lock
from trainers.run_dir import workdir as workdir_lib
from trainers.training import actions
from trainers.training import checkpoints
from trainers.training import class_weights as class_weights_lib
from trainers.training import data as data_lib
from trainers.training import distribute
from trainers.training import losses
from trainers.training import progress as progress_lib
from trainers.training import resume
from trainers.training import schedules
from trainers.training import state as state_lib
from trainers.training import steps as steps_lib
from trainers.training import stop_signals

# How long a run waits for the --data_service dispatcher to accept a
# connection (one still starting up) before failing with its address.
_DISPATCHER_TIMEOUT_S = 10.0
# The longest a compiled loop call should last: progress, checkpoints and a
# stop signal are served between calls, so slow steps (a ResNet on a CPU)
# get shorter loops than --steps_per_loop.
_MAX_LOOP_SECONDS = 2.0


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
    trainers.command_line.config.ConfigError: for a config that cannot run
      (an invalid field, an unknown split, a dataset not built, a resume
      that changes a field the run depends on), before anything is written.
    FloatingPointError: when the training loss becomes NaN or infinite,
      naming the epoch and step; the last good checkpoint stays in place.
    trainers.training.health.DivergedError: when the loss explodes or the
      gradients vanish; the checkpoint of the last good epoch stays.
    trainers.training.stop_signals.Stopped: after SIGTERM or SIGINT, once
      the current step is checkpointed.
    trainers.run_dir.lock.WorkdirInUse: another live run holds `workdir`.
    tfds_builders.common.shards.DamagedShardError: a record file of the
      dataset is damaged (named, with the command that rebuilds it).
    trainers.training.checkpoints.DamagedCheckpointsError: no checkpoint
      of the run can be restored.
  """
  config = config.validate()
  workdir = pathlib.Path(workdir)
  previous = resume.previous_run(workdir)
  resume.check_config(config, previous, workdir)
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
  data = data_lib.DataSpec.create(config)
  resume.check_data(data.identity, previous, workdir)
  with state_lib.dtype_policy(config.precision):
    state = state_lib.TrainState.create(config, data, strategy)
    try:
      return Controller(config, workdir, data, state, strategy).run()
    finally:
      # A non-chief's outputs were only there to take part in saving.
      distribute.remove_worker_checkpoint_dir(str(workdir), strategy)


class Controller:
  """Runs the epochs of one `train_and_evaluate` call and its actions."""

  def __init__(self, config: config_lib.Config, workdir: pathlib.Path,
               data: data_lib.DataSpec, state: state_lib.TrainState,
               strategy: tf.distribute.Strategy):
    self.config, self.workdir, self.data, self.state = (
        config, workdir, data, state)
    self.chief = chief = distribute.is_chief(strategy)
    # Where this process writes: the workdir, or a non-chief's temporary
    # directory inside it.
    self.out = pathlib.Path(distribute.checkpoint_dir_for_worker(
        str(workdir), strategy))
    # None: the default strategy, one device, no replicas to run over.
    self.strategy = None if config.strategy == "default" else strategy
    self.history: list[dict[str, Any]] = []
    self.checkpoints = checkpoints.Checkpoints(
        state, self.out, config.checkpoint_every_steps, self._run_record)
    self.health = actions.Health(state, data, config.learning_rate,
                                 self.checkpoints)
    self.precise_bn = actions.PreciseBatchNorm(
        state, data, config.precise_bn_batches, self.strategy)
    self.best_weights = actions.BestWeights(
        state, self.out, bool(data.validation_split), config.best_metric)
    self.early_stopping = actions.EarlyStopping(
        config.early_stopping_patience, config.best_metric)
    self.final_outputs = actions.FinalOutputs(state, data, workdir, self.out,
                                              chief, config.best_metric)
    self.summaries = actions.Summaries(
        state, workdir / workdir_lib.LOGS, chief, config.summary_images,
        config.seed, self.strategy)
    self.schedule = schedules.from_config(config, data.steps_per_epoch)
    self.train_loop, self.evaluate = _compiled_steps(
        config, state, data, self.schedule, self.strategy)

  def run(self) -> dict[str, Any]:
    """Holds the workdir, then resumes or starts, trains, tests, exports."""
    self.out.mkdir(parents=True, exist_ok=True)
    # The chief's workdir is the run's; other workers only join its saves.
    with lock.hold(self.workdir) if self.chief else contextlib.nullcontext():
      return self._run()

  def _run(self) -> dict[str, Any]:
    config, state = self.config, self.state
    self.history = history = self._resume()
    self._record_config()
    start = state.epochs_done + 1
    if start <= config.epochs and not self.early_stopping.should_stop(
        history):
      # The stream is a function of the seed; a resumed run skips to its
      # step, so it sees what the uninterrupted run would have seen.
      iterator = data_lib.train_iterator(
          self.data, self.strategy, seed=config.seed,
          start_batch=state.global_step,
          job_name=data_lib.service_job_name(config.dataset, self.workdir,
                                             state.global_step))
      # Every worker of a cluster must save together: a signal reaching one
      # of them is left to the cluster manager.
      with stop_signals.catch(config.strategy != "multi_worker") as stop:
        for epoch in range(start, config.epochs + 1):
          cut = self.schedule.follow(history)
          if cut:
            print(cut)
          record = self._train_epoch(epoch, iterator, stop,
                                     show_inputs=epoch == start)
          self.health.after_epoch(record)
          history.append(record)
          self._end_epoch(history)
          if self.early_stopping.should_stop(history):
            print(self.early_stopping.message(epoch))
            break
    if not self.best_weights.restore():
      self.state.keep_evaluated_weights()
      self.precise_bn()
    return self.final_outputs(history, self.evaluate)

  def _run_record(self) -> dict[str, Any]:
    """What each checkpoint records of the run (see `checkpoints`)."""
    return {"config": json.loads(self.config.to_json()),
            "data": dict(self.data.identity), "history": self.history}

  def _resume(self) -> list[dict[str, Any]]:
    """Restores the newest whole checkpoint; returns its epochs' history."""
    latest = self.checkpoints.restore(self.workdir)
    if latest is None:
      return []
    # A changed --learning_rate takes effect now; the checkpoint brought
    # back the old one.
    self.state.set_learning_rate(self.config.learning_rate)
    epoch, step = self.state.epochs_done, self.state.global_step
    in_epoch = step - epoch * self.data.steps_per_epoch
    print(f"Resuming from {latest}: epoch {epoch} done"
          + (f", {in_epoch} steps into epoch {epoch + 1}." if in_epoch else
             "."))
    history = resume.restored_history(self.state.run_record.numpy().decode(),
                                      self.workdir, latest, epoch)
    schedule = self.schedule
    schedule.follow(history)  # The plateau cuts made so far.
    if schedule.kind != "constant":
      # --epochs may have changed: the rest of the decay spans the new run.
      print(f"{schedule.describe().capitalize()}; at step {step}: "
            f"{float(schedule(step)):.3g}.")
    return history

  def _record_config(self) -> None:
    """Writes config.json, saying which changeable flags a resume changed."""
    path = self.out / workdir_lib.CONFIG
    record = self.state.run_record.numpy().decode()
    if record:
      # Only CHANGEABLE fields can differ (`resume.check_config`).
      # Through `from_json`: a field the run did not record yet held its
      # default.
      old = json.loads(config_lib.Config.from_json(
          json.dumps(json.loads(record)["config"])).to_json())
      new = json.loads(self.config.to_json())
      changed = sorted(k for k in new if old.get(k) != new[k])
      if changed:
        print("Resuming with " + ", ".join(
            f"--{k}={new[k]!r} (was {old.get(k)!r})" for k in changed))
    files.write_text(path, self.config.to_json() + "\n")

  def _train_epoch(self, epoch: int, iterator,
                   stop: stop_signals.StopRequest,
                   show_inputs: bool) -> dict[str, Any]:
    """Runs the epoch's remaining steps, then validates."""
    state, steps = self.state, self.data.steps_per_epoch
    progress = progress_lib.Progress(epoch, self.config.epochs, steps,
                                     self.config.progress)
    done = state.global_step - (epoch - 1) * steps
    if done == 0:
      # A resumed run keeps the sums of the steps it already took.
      state.train_metrics.reset()
      state.grad_norms.reset()
    # The first call traces the graph; a one-step call keeps that short.
    loop_steps = 1
    started = time.perf_counter()
    while done < steps:
      n = min(loop_steps, steps - done,
              self.checkpoints.steps_to_next_save(state.global_step) or steps)
      call_started = time.perf_counter()
      images = self.train_loop(iterator, tf.constant(n, tf.int32))
      self.summaries.learning_rates(self.schedule, state.global_step - n,
                                    state.global_step)
      done += n
      if show_inputs:
        self.summaries.inputs(images, epoch)
        show_inputs = False
      self.health.after_steps(epoch)
      loop_steps = _next_loop_size(self.config, n,
                                   time.perf_counter() - call_started)
      progress.update(done, state.train_metrics.result())
      self.checkpoints.after_steps(state.global_step, done == steps)
      if stop.requested:
        self.checkpoints.stop(stop, epoch, done, steps)
    result = state.train_metrics.result()
    record = {"epoch": epoch, "train_loss": result["loss"],
              "train_accuracy": result["accuracy"],
              "grad_norms": state.grad_norms.result(),
              "seconds": round(time.perf_counter() - started, 3)}
    if self.data.validation_split:
      with state.evaluated_weights():
        self.precise_bn()
        val = self.evaluate(self.data.validation())
      record.update({f"val_{k}": v for k, v in val.items()})
    progress.end(record, state.learning_rate,
                 show_balanced=self._show_balanced_accuracy())
    return record

  def _show_balanced_accuracy(self) -> bool:
    """Whether the console shows the balanced accuracy too.

    Always recorded; shown when it is the best metric or when it says
    something accuracy does not (an evaluated split whose classes differ
    in size by 1.5x or more).
    """
    return (self.config.best_metric == "balanced_accuracy"
            or (bool(self.data.validation_split)
                and self.state.eval_metrics.imbalance() >= 1.5))

  def _end_epoch(self, history: list[dict[str, Any]]) -> None:
    """Best weights, summaries, metrics.json, then the epoch's checkpoint."""
    self.best_weights.after_epoch(history)
    self.summaries.after_epoch(history[-1])
    self.state.epoch.assign(history[-1]["epoch"])
    # Before the checkpoint: a kill between the two trains the epoch again.
    actions.write_metrics(self.out, history,
                          best_metric=self.config.best_metric)
    self.checkpoints.save()


def _compiled_steps(config: config_lib.Config, state: state_lib.TrainState,
                    data: data_lib.DataSpec, schedule: schedules.Schedule,
                    strategy: tf.distribute.Strategy | None):
  """The multi-step train loop and the eval pass, compiled per `--mode`."""
  use_tf_function = config.mode == "function"
  loss_fn = keras.losses.SparseCategoricalCrossentropy()
  train_step = steps_lib.make_train_step(
      state.model, state.optimizer,
      losses.train_loss(data.num_classes, config.label_smoothing),
      state.train_metrics,
      augmenter=state.augmenter, jit_compile=config.jit_compile,
      first_bad_step=state.first_bad_step, step=state.step,
      strategy=strategy, grad_norms=state.grad_norms,
      schedule=schedule,
      class_weights=class_weights_lib.from_config(config, data),
      weight_average=state.weight_average)
  train_loop = steps_lib.make_train_loop(train_step,
                                         use_tf_function=use_tf_function)
  evaluate = steps_lib.make_evaluate(
      steps_lib.make_eval_step(state.model, loss_fn, state.eval_metrics),
      state.eval_metrics, use_tf_function=use_tf_function)
  return train_loop, evaluate


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
