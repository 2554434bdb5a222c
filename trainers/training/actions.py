"""What the loop does at its boundaries, one concern per object.

As Orbit's controller calls actions between `train(num_steps)` calls, the
loop (`trainers.training.loop`) runs its compiled calls and, between them
and at the end of each epoch, calls these: checkpoints, TensorBoard
summaries, the non-finite-loss and divergence checks, precise BN, the best
weights and early stopping, the metrics file, and the final test and
export (the progress display is `trainers.training.progress`). None of them
runs inside a compiled function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import pathlib
from typing import Any

import tensorflow as tf

from tfds_builders.common import files
from trainers.run_dir import export
from trainers.run_dir import plots
from trainers.run_dir import summaries
from trainers.run_dir import workdir as workdir_lib
from trainers.training import checkpoints as checkpoints_lib
from trainers.training import health
from trainers.training import history as history_lib
from trainers.training import precise_bn
from trainers.training.data import DataSpec
from trainers.training.state import TrainState

History = list[dict[str, Any]]


class Health:
  """Stops a run whose loss went non-finite, or that diverged."""

  def __init__(self, state: TrainState, data: DataSpec, learning_rate: float,
               checkpoints: checkpoints_lib.Checkpoints):
    self.state = state
    self.data = data
    self.learning_rate = learning_rate  # Named as the likely cause.
    self.checkpoints = checkpoints

  def after_steps(self, epoch: int) -> None:
    """Checks the in-graph sentinel of a NaN or infinite loss.

    Raises:
      FloatingPointError: naming the epoch and step of the first bad loss
        and the last good checkpoint, which stays in place.
    """
    bad = int(self.state.first_bad_step.numpy())
    if bad < 0:
      return
    steps = self.data.steps_per_epoch
    latest = self.checkpoints.latest
    raise FloatingPointError(
        f"The training loss became NaN or infinite at epoch {epoch}, step "
        f"{bad - (epoch - 1) * steps} of {steps} (global step {bad}). "
        + (f"The last good checkpoint is {latest}; a rerun with the same "
           "--workdir resumes from it. " if latest else
           "No checkpoint was written yet. ")
        + "Try a lower --learning_rate, or check the data for bad values.")

  def after_epoch(self, record: Mapping[str, Any]) -> None:
    """Before the epoch's checkpoint can replace the last good one.

    Raises:
      trainers.training.health.DivergedError: see `health.check`.
    """
    health.check(record, self.data.num_classes, self.learning_rate,
                 self.checkpoints.latest)


class PreciseBatchNorm:
  """Recomputes BatchNorm statistics for the weights as they are now.

  With few steps an epoch, the moving averages (momentum 0.99: a memory of
  ~100 steps) trail far behind the weights, and a model that has learned
  validates at chance. Called before every validation, test and save. The
  same un-augmented batches every time: the statistics are a function of
  the weights alone, which keeps resumed runs exact.
  """

  def __init__(self, state: TrainState, data: DataSpec, num_batches: int,
               strategy: tf.distribute.Strategy | None):
    self.data = data
    self.num_batches = min(num_batches, data.steps_per_epoch)
    self.recompute = precise_bn.PreciseBatchNorm(state.model,
                                                 strategy=strategy)

  def __call__(self) -> None:
    if not self.num_batches or not self.recompute.num_layers:
      return
    # A new dataset each time: a second pass over the same one would be
    # shuffled anew, and a resumed run (whose first pass this is) would
    # then compute other statistics than the uninterrupted run.
    self.recompute(self.data.batchnorm_batches(self.num_batches),
                   self.num_batches)


class Summaries:
  """TensorBoard: per-epoch scalars, and the first augmented inputs."""

  def __init__(self, state: TrainState, logdir: pathlib.Path,
               enabled: bool, num_images: int, seed: int,
               strategy: tf.distribute.Strategy | None):
    """Opens the writers (the chief's alone: other workers' numbers agree).

    Args:
      state: The run's state (learning rate, augmenter).
      logdir: `WORKDIR/logs`.
      enabled: False writes nothing (a non-chief worker).
      num_images: Augmented training inputs to show; 0 for none.
      seed: The run's seed, which the pictures' augmentation is drawn from.
      strategy: The run's strategy, or None for one device.
    """
    self.state = state
    self.num_images = num_images
    self.seed = seed
    self.strategy = strategy
    self.writers = {name: tf.summary.create_file_writer(str(logdir / name))
                    for name in ("train", "validation")} if enabled else {}

  def inputs(self, images: tf.Tensor, epoch: int) -> None:
    """Shows the first images a run trains on, as the model receives them."""
    if not self.writers or not self.num_images:
      return
    if self.strategy is not None:
      # The first replica's share is enough to look at.
      images = self.strategy.experimental_local_results(images)[0]
    shown = images[:self.num_images]
    if self.state.augmenter is not None:
      # An explicit seed: the run's augmenter state must not advance for a
      # picture, or a resumed run would augment differently.
      shown = self.state.augmenter.augment(
          shown, tf.constant([self.seed, epoch], tf.int64))
    with self.writers["train"].as_default():
      summaries.image("augmented_inputs", shown, step=epoch)

  def learning_rates(self, schedule: Callable[[tf.Tensor], tf.Tensor],
                     first_step: int, end_step: int) -> None:
    """The rate of every update from `first_step` up to `end_step`.

    Computed from the schedule (a function of the step) between compiled
    calls, so the steps inside one call each get theirs. Tagged by the
    global step, unlike the per-epoch scalars.

    Args:
      schedule: `trainers.training.schedules.Schedule`.
      first_step: The global step before the first of the updates.
      end_step: The global step after the last.
    """
    if not self.writers or end_step <= first_step:
      return
    rates = schedule(tf.range(first_step, end_step)).numpy()
    with self.writers["train"].as_default():
      for step, rate in enumerate(rates, start=first_step):
        summaries.scalar("learning_rate/by_step", float(rate), step)

  def after_epoch(self, record: Mapping[str, Any]) -> None:
    epoch = record["epoch"]
    for split, writer in self.writers.items():
      prefix = "train" if split == "train" else "val"
      with writer.as_default():
        for metric in ("loss", "accuracy", "balanced_accuracy"):
          if f"{prefix}_{metric}" in record:
            summaries.scalar(metric, record[f"{prefix}_{metric}"], epoch)
        if split == "train":
          summaries.scalar("learning_rate", self.state.learning_rate, epoch)
          for layer, norm in record["grad_norms"].items():
            summaries.scalar(f"grad_norm/{layer}", norm, epoch)
      writer.flush()


class BestWeights:
  """Keeps the weights of the best validated epoch, for the final outputs."""

  def __init__(self, state: TrainState, out: pathlib.Path, enabled: bool,
               metric: str = "accuracy"):
    """Prepares `out/best.weights.h5`.

    Args:
      state: Whose model's (evaluated) weights are kept.
      out: Where this process writes.
      enabled: False (no validation split) keeps the last weights instead.
      metric: `--best_metric`.
    """
    self.state = state
    self.model = state.model
    self.path = out / workdir_lib.BEST_WEIGHTS
    self.enabled = enabled
    self.metric = metric

  def after_epoch(self, history: Sequence[Mapping[str, Any]]) -> None:
    if self.enabled and history_lib.best(history, self.metric) is history[-1]:
      # The weights that were validated: the average under --ema_decay.
      with self.state.evaluated_weights(), files.atomic_path(
          self.path) as tmp:
        self.model.save_weights(str(tmp))

  def restore(self) -> bool:
    """Loads the best weights; False when there are none to load."""
    if not (self.enabled and self.path.exists()):
      return False
    # Saved after validation, so with the statistics it was judged by.
    self.model.load_weights(str(self.path))
    return True


class EarlyStopping:
  """Stops after `patience` epochs without a better validation metric."""

  def __init__(self, patience: int, metric: str = "accuracy"):
    self.patience = patience
    self.metric = metric

  def should_stop(self, history: Sequence[Mapping[str, Any]]) -> bool:
    return history_lib.patience_exhausted(history, self.patience,
                                          self.metric)

  def message(self, epoch: int) -> str:
    return (f"Stopping early after epoch {epoch}: no better validation "
            f"{self.metric.replace('_', ' ')} in {self.patience} epochs.")


def write_metrics(out: pathlib.Path, history: History,
                  test: Mapping[str, float] | None = None,
                  best_metric: str = "accuracy") -> dict[str, Any]:
  """Writes metrics.json (history, best epoch, test result) and returns it."""
  metrics = {"history": history,
             "best": history_lib.best(history, best_metric)}
  if test is not None:
    metrics["test"] = dict(test)
  files.write_json(out / workdir_lib.METRICS, metrics)
  return metrics


class FinalOutputs:
  """The end of a run: the best weights tested, saved, exported, plotted."""

  def __init__(self, state: TrainState, data: DataSpec, workdir: pathlib.Path,
               out: pathlib.Path, chief: bool, best_metric: str = "accuracy"):
    self.state = state
    self.data = data
    self.workdir = workdir
    self.out = out
    self.chief = chief
    self.best_metric = best_metric

  def __call__(self, history: History,
               evaluate: Callable[[tf.data.Dataset], dict[str, float]]
               ) -> dict[str, Any]:
    """Tests the model as it now is, and writes every output.

    Args:
      history: The run's epochs.
      evaluate: One eval pass over a dataset.

    Returns:
      The contents of metrics.json.
    """
    best = history_lib.best(history, self.best_metric)
    if best and "val_accuracy" in best:
      balanced = best.get("val_balanced_accuracy")
      print(f"Best epoch by validation {self.best_metric.replace('_', ' ')}: "
            f"{best['epoch']} (accuracy {best['val_accuracy']:.4f}"
            + (f", balanced accuracy {balanced:.4f}" if balanced is not None
               else "")
            + f", loss {best['val_loss']:.4f}); the outputs below hold its "
            "weights.")
    test = None
    if self.data.test_split:
      test = evaluate(self.data.test())
      print(f"Test ({self.data.test_split}): loss {test['loss']:.4f}, "
            f"accuracy {test['accuracy']:.4f}"
            + (f", balanced accuracy {test['balanced_accuracy']:.4f}"
               if "balanced_accuracy" in test else ""))
    metrics = write_metrics(self.out, history, test, self.best_metric)
    model = self.state.model
    with files.atomic_path(self.out / workdir_lib.MODEL) as tmp:
      model.save(str(tmp))
    files.replace_dir(
        self.out / workdir_lib.EXPORT,
        lambda tmp: export.export_model(model, tmp, self.data.class_names),
        previous=self.out / workdir_lib.OLD_EXPORT)
    if self.chief:
      if history:
        plots.plot_curves(history, self.workdir / workdir_lib.CURVES,
                          self.best_metric)
      workdir_lib.print_outputs(self.workdir)
    return metrics
