"""What a training run is made of, and what its checkpoint holds.

`TrainState.create` builds the model, the optimizer, the augmenter, the
step counters and the running metrics under the run's strategy, and the
`tf.train.Checkpoint` over all of them: a resumed run restores exactly this,
so it continues where the killed one stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import dataclasses

import keras
import tensorflow as tf

import asl_pipeline
from trainers import models
from trainers.command_line import config as config_lib
from trainers.training import ema as ema_lib
from trainers.training import metrics as metrics_lib
from trainers.training.data import DataSpec

# Settings beyond the learning rate, by optimizer: the course's SGD runs
# with momentum. The names are `config_lib.OPTIMIZERS`, Keras's own.
_OPTIMIZER_SETTINGS = {"sgd": {"momentum": 0.9}}


@contextlib.contextmanager
def dtype_policy(precision: str) -> Iterator[None]:
  """Sets Keras's global dtype policy for the run, then restores it."""
  previous = keras.config.dtype_policy()
  keras.config.set_dtype_policy(precision)
  try:
    yield
  finally:
    keras.config.set_dtype_policy(previous)


def make_optimizer(config: config_lib.Config, replicas: int = 1
                   ) -> keras.optimizers.Optimizer:
  """The optimizer `--optimizer` names, at `--learning_rate`.

  Args:
    config: The run's config (optimizer, rate, weight decay, clipping).
    replicas: Replicas the gradients are summed over.

  Returns:
    The optimizer.
  """
  settings = dict(_OPTIMIZER_SETTINGS.get(config.optimizer, {}))
  if config.weight_decay:
    # Keras 3 decays decoupled from the gradient: w -= lr * decay * w.
    settings["weight_decay"] = config.weight_decay
  if config.clip_grad_norm:
    # Keras clips each replica's gradients before summing them, and each
    # carries 1 / replicas of the loss: clipping those at norm / replicas
    # clips each replica's batch gradient at the norm (on one device,
    # exactly the global norm of the batch's gradient).
    settings["global_clipnorm"] = config.clip_grad_norm / replicas
  optimizer = keras.optimizers.get({
      "class_name": config.optimizer,
      "config": {"learning_rate": config.learning_rate, **settings}})
  if config.precision == "mixed_float16":
    # float16 gradients underflow: scale the loss up, and skip (and
    # re-scale) steps whose gradients overflow. bfloat16 has float32's
    # exponent range and needs none of this.
    optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
  return optimizer


def inner_optimizer(optimizer: keras.optimizers.Optimizer
                    ) -> keras.optimizers.Optimizer:
  """The optimizer a `LossScaleOptimizer` wraps, or `optimizer` itself."""
  return getattr(optimizer, "inner_optimizer", optimizer)


def seed_states(layer: keras.layers.Layer) -> dict[str, tf.Variable]:
  """The state variable of every seed generator in `layer` and below.

  Keras layers keep their random state (Dropout's, an augmenter's) in seed
  generators that `tf.train.Checkpoint` does not find by itself. Keyed by
  each layer's position and name, which a rebuilt model repeats.

  Args:
    layer: A model, or any layer (an augmenter).

  Returns:
    `{key: state variable}`.
  """
  states = {}
  for index, sub in enumerate(layer._flatten_layers()):  # pylint: disable=protected-access
    for i, generator in enumerate(getattr(sub, "_seed_generators", [])):
      states[f"{index}_{sub.name}_{i}"] = generator.state
  return states


@dataclasses.dataclass
class TrainState:
  """Everything a run trains and checkpoints.

  Attributes:
    model: Maps [0, 1] images to class probabilities.
    optimizer: Its optimizer (a `LossScaleOptimizer` under mixed_float16).
    augmenter: Applied inside the train step (`--augment=device`), or None.
    step: The global step: train steps taken so far.
    epoch: Epochs completed.
    first_bad_step: The global step of the first non-finite loss, or -1.
    train_metrics: The epoch's running loss and accuracy.
    eval_metrics: An evaluation pass's running loss and accuracy.
    grad_norms: The epoch's per-layer gradient norms.
    run_record: JSON of the run's config, data identity and history, saved
      with every checkpoint (`trainers.training.checkpoints`).
    weight_average: The moving average of the weights (`--ema_decay`), or
      None.
    checkpoint: Over all of the above but the eval metrics.
  """

  model: keras.Model
  optimizer: keras.optimizers.Optimizer
  augmenter: asl_pipeline.Augmenter | None
  step: tf.Variable
  epoch: tf.Variable
  first_bad_step: tf.Variable
  train_metrics: metrics_lib.StepMetrics
  eval_metrics: metrics_lib.StepMetrics
  grad_norms: metrics_lib.GradNorms
  run_record: tf.Variable
  checkpoint: tf.train.Checkpoint
  weight_average: ema_lib.WeightAverage | None = None

  @classmethod
  def create(cls, config: config_lib.Config, data: DataSpec,
             strategy: tf.distribute.Strategy) -> TrainState:
    """Builds the state of a new run under `strategy`'s scope.

    Args:
      config: The run's config.
      data: Its data spec (input shape, classes).
      strategy: The strategy the model's variables are mirrored under.

    Returns:
      The state, with the model and optimizer built (so that a checkpoint
      restores the optimizer's slots at once instead of deferring them).

    Raises:
      ConfigError: the model cannot be built with these options.
    """
    keras.utils.set_random_seed(config.seed)
    with strategy.scope():
      try:
        model = models.build_model(
            config.model, input_shape=data.input_shape,
            num_classes=data.num_classes, **config.model_options)
      except ValueError as e:
        raise config_lib.ConfigError(f"--model={config.model}: {e}") from None
      optimizer = make_optimizer(config, strategy.num_replicas_in_sync)
      optimizer.build(model.trainable_variables)
      # Built whatever --augment says, so that the checkpoint always holds
      # its random state and --augment may change when a run resumes.
      augmenter = asl_pipeline.make_augmenter(seed=config.seed)
      counter = lambda value: tf.Variable(value, dtype=tf.int64,
                                          trainable=False)
      step, epoch, first_bad_step = counter(0), counter(0), counter(-1)
      train_metrics = metrics_lib.StepMetrics("train")
      eval_metrics = metrics_lib.StepMetrics("eval", data.num_classes)
      grad_norms = metrics_lib.GradNorms(model.trainable_variables)
      weight_average = (ema_lib.WeightAverage(model.trainable_variables,
                                              config.ema_decay)
                        if config.ema_decay else None)
    # Host-side, outside the strategy: one string, never mirrored.
    run_record = tf.Variable("", dtype=tf.string, trainable=False)
    checkpoint = tf.train.Checkpoint(
        model=model, optimizer=optimizer, step=step, epoch=epoch,
        train_metrics=train_metrics, grad_norms=grad_norms,
        seed_states=seed_states(model),
        augmenter_seeds=seed_states(augmenter), run_record=run_record,
        **({"weight_average": weight_average}
           if weight_average is not None else {}))
    return cls(model=model, optimizer=optimizer,
               augmenter=augmenter if config.augment == "device" else None,
               step=step, epoch=epoch, first_bad_step=first_bad_step,
               train_metrics=train_metrics, eval_metrics=eval_metrics,
               grad_norms=grad_norms, run_record=run_record,
               checkpoint=checkpoint, weight_average=weight_average)

  @property
  def global_step(self) -> int:
    return int(self.step.numpy())

  @property
  def epochs_done(self) -> int:
    return int(self.epoch.numpy())

  @property
  def learning_rate(self) -> float:
    return float(tf.convert_to_tensor(
        inner_optimizer(self.optimizer).learning_rate))

  def evaluated_weights(self) -> contextlib.AbstractContextManager[None]:
    """The weights a run is judged and shipped by, for the block.

    The moving average under `--ema_decay`, swapped in and out again; the
    trained weights themselves otherwise.
    """
    if self.weight_average is None:
      return contextlib.nullcontext()
    return self.weight_average.swapped_in()

  def keep_evaluated_weights(self) -> None:
    """Leaves the evaluated weights in the model: training is over."""
    if self.weight_average is not None:
      self.weight_average.copy_to_weights()

  def set_learning_rate(self, value: float) -> None:
    """Takes a changed `--learning_rate` over a restored checkpoint's."""
    inner_optimizer(self.optimizer).learning_rate.assign(value)
