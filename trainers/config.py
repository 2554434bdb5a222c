"""The frozen training configuration every trainer hands to the loop."""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
import json
from typing import Any

OPTIMIZERS = ("adam", "sgd", "rmsprop")
MODES = ("function", "eager")
AUGMENTS = ("device", "pipeline", "none")
# As `trainers.distribute.STRATEGIES`, repeated so that reading a config does
# not import TensorFlow.
STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


@dataclasses.dataclass(frozen=True)
class Config:
  """Everything that decides how a model is trained; never the output path.

  Attributes:
    dataset: TFDS dataset name, e.g. `sign_language_mnist`.
    data_dir: TFDS data directory, or None for the TFDS default.
    model: A registered model name (see `trainers.models`).
    model_options: Extra keyword options for the model builder.
    epochs: Number of epochs to train for.
    batch_size: Training batch size.
    eval_batch_size: Batch size of the validation and test passes.
    learning_rate: Optimizer learning rate.
    optimizer: One of `OPTIMIZERS`.
    mode: `function` runs the step as a `tf.function`; `eager` runs it op by
      op, for debugging.
    jit_compile: XLA-compile the forward/backward pass (function mode only).
    augment: `device` augments inside the train step, `pipeline` in tf.data,
      `none` not at all.
    seed: Seed for initialization, shuffling and augmentation.
    steps_per_epoch: Train steps per epoch; None means one pass over the
      train split (its size // batch_size).
    early_stopping_patience: Stop after this many epochs without a better
      validation accuracy; 0 never stops early.
    mixed_precision: Compute in float16 with float32 variables and loss
      scaling.
    image_size: (height, width) to resize to, or None for the dataset's own.
    train_split: TFDS split to train on.
    validation_split: TFDS split for per-epoch validation (picks the best
      weights and drives early stopping); empty for none.
    test_split: TFDS split evaluated once at the end; empty for none.
    summary_images: Augmented inputs written to TensorBoard per run.
    strategy: tf.distribute strategy the steps run under, one of
      `STRATEGIES`; `batch_size` is the global batch across its replicas.
    num_cpu_devices: Split the CPU into this many logical devices (to run
      `mirrored` without accelerators); None leaves it whole.
    tpu: TPU name or `grpc://` address for `strategy="tpu"`; None or "" finds
      it from the environment.
    data_service: `grpc://HOST:PORT` of a tf.data service dispatcher whose
      workers produce the training batches; None reads locally.

  Where a run executes (the last four fields) does not change what it
  computes for the same global batch, so a run may resume under another
  strategy; they are recorded in `config.json` to say how it ran.
  """

  dataset: str = "sign_language_mnist"
  data_dir: str | None = None
  model: str = "dli_cnn"
  model_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
  epochs: int = 20
  batch_size: int = 32
  eval_batch_size: int = 256
  learning_rate: float = 1e-3
  optimizer: str = "adam"
  mode: str = "function"
  jit_compile: bool = False
  augment: str = "device"
  seed: int = 0
  steps_per_epoch: int | None = None
  early_stopping_patience: int = 0
  mixed_precision: bool = False
  image_size: tuple[int, int] | None = None
  train_split: str = "train[:90%]"
  validation_split: str = "train[90%:]"
  test_split: str = "test"
  summary_images: int = 4
  strategy: str = "default"
  num_cpu_devices: int | None = None
  tpu: str | None = None
  data_service: str | None = None

  def validate(self) -> Config:
    """Checks every field, naming the flag that sets it.

    Returns:
      The config itself, so that calls can be chained.

    Raises:
      ValueError: on the first invalid field.
    """
    from trainers import models  # pylint: disable=g-import-not-at-top

    def check(ok: bool, flag: str, why: str):
      if not ok:
        raise ValueError(f"--{flag}={getattr(self, flag)!r} is invalid: {why}")

    check(bool(self.dataset), "dataset", "name a TFDS dataset")
    check(self.model in models.registered_names(), "model",
          f"choose one of {list(models.registered_names())}")
    if self.model in models.registered_names():
      unknown = sorted(set(self.model_options) -
                       set(models.model_options(self.model)))
      check(not unknown, "model_options",
            f"model {self.model!r} takes no option(s) {unknown}")
    check(self.epochs >= 1, "epochs", "train for at least 1 epoch")
    check(self.batch_size >= 1, "batch_size", "must be a positive integer")
    check(self.eval_batch_size >= 1, "eval_batch_size",
          "must be a positive integer")
    check(self.learning_rate > 0, "learning_rate", "must be positive")
    check(self.optimizer in OPTIMIZERS, "optimizer",
          f"choose one of {list(OPTIMIZERS)}")
    check(self.mode in MODES, "mode", f"choose one of {list(MODES)}")
    check(self.mode == "function" or not self.jit_compile, "jit_compile",
          "XLA compiles a tf.function; use --mode=function or drop "
          "--jit_compile")
    check(self.augment in AUGMENTS, "augment",
          f"choose one of {list(AUGMENTS)}")
    check(self.steps_per_epoch is None or self.steps_per_epoch >= 1,
          "steps_per_epoch", "must be positive, or unset for one pass")
    check(self.early_stopping_patience >= 0, "early_stopping_patience",
          "must be 0 (off) or positive")
    check(self.image_size is None or (
        len(self.image_size) == 2 and min(self.image_size) >= 1),
          "image_size", "give a positive height and width")
    check(bool(self.train_split), "train_split", "name a TFDS split")
    check(self.summary_images >= 0, "summary_images", "must not be negative")
    check(self.strategy in STRATEGIES, "strategy",
          f"choose one of {list(STRATEGIES)}")
    check(self.num_cpu_devices is None or self.num_cpu_devices >= 1,
          "num_cpu_devices", "must be at least 1, or unset to keep the CPU "
          "whole")
    check(not self.tpu or self.strategy == "tpu", "tpu",
          "only --strategy=tpu uses a TPU; add it or drop --tpu")
    if self.data_service:
      from asl_pipeline import service  # pylint: disable=g-import-not-at-top
      try:
        service.parse_address(self.data_service)
      except ValueError as e:
        check(False, "data_service", str(e))
    return self

  def to_json(self) -> str:
    """The config as indented JSON, the form `config.json` stores."""
    return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

  @classmethod
  def from_json(cls, text: str) -> Config:
    """Reads back what `to_json` wrote.

    Args:
      text: JSON text from `to_json`.

    Returns:
      The config; fields absent from the JSON keep their defaults.
    """
    values = json.loads(text)
    known = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in values.items() if k in known}
    if values.get("image_size") is not None:
      values["image_size"] = tuple(values["image_size"])
    return cls(**values)
