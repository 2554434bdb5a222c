"""The training configuration: every option written once.

Each `Config` field carries its default, its help, its bounds or choices,
and whether a resumed run may change it (`metadata`). `trainers.command_line.flags`
derives the absl flags from these fields and `Config.validate` the checks,
so a new option is one field here (plus its use). This module imports no
TensorFlow or Keras, ever: a wrong flag fails in well under a second. The
checks that need them (the model and its options, the cluster) are
`trainers.command_line.preflight`'s, run after the flags parse and before
any work.

The names of the choices live here (or, for the pipelines' own, in
`asl_pipeline.options`), and the code that acts on them imports them.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
import json
import math
from typing import Any

from asl_pipeline import options as pipeline_options
from tfds_builders.common import command
from tfds_builders.common import command_flags
from trainers.command_line import fields
from trainers.command_line import recipe

# Keras's own optimizer names (`keras.optimizers.get`).
OPTIMIZERS = ("adam", "sgd", "rmsprop")
MODES = ("function", "eager")
AUGMENTS = pipeline_options.AUGMENT_MODES
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
# tf.distribute strategies (`trainers.training.distribute.make_strategy`).
STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")
# What picks the best epoch and drives early stopping
# (`trainers.training.history`).
BEST_METRICS = ("accuracy", "balanced_accuracy", "loss")
# The options of the cats/dogs models (`trainers.models.photo_nets`), here
# so that the trainer's flags offer them without loading Keras.
FINETUNE_STRATEGIES = ("scratch", "full", "partial", "head")
DEEP10_ACTIVATIONS = ("sigmoid", "relu")

# What a resumed run may do with a field (`trainers.command_line.fields`).
CHANGEABLE, FIXED = fields.CHANGEABLE, fields.FIXED
_option = fields.option
# The recipe's choices (`trainers.command_line.recipe`).
LR_SCHEDULES = recipe.LR_SCHEDULES
PROGRESS = recipe.PROGRESS
CLASS_WEIGHTS = recipe.CLASS_WEIGHTS


class ConfigError(command.UsageError):
  """A configuration that cannot run; the message names the flag.

  Raised before any work (nothing is written), so the commands report it
  as a usage error (a `ValueError` too, for library callers).
  """


@dataclasses.dataclass(frozen=True)
class Config(recipe.RecipeFields):
  """Everything that decides how a model is trained; never the output path.

  The defaults are the course recipe for Sign Language MNIST; the cats/dogs
  trainer overrides a few (`trainers.cats_dogs.DEFAULTS`). See each field's
  help (`python -m trainers.asl --help`) for what it does.

  Where a run executes (strategy, devices, tf.data service, eager or
  function, steps per compiled call) does not change what it computes for
  the same global batch, so a run may resume under other settings of those.
  """

  dataset: str = _option(
      "sign_language_mnist", "TFDS dataset to train on: NAME or "
      "NAME/CONFIG, e.g. cats_dogs/folder for a photo folder built with "
      "`tfds build cats_dogs --config=folder`; any TFDS image "
      "classification dataset works.", on_resume=FIXED)
  data_dir: str | None = _option(
      None, "TFDS data directory (where `tfds build --data_dir` wrote the "
      "dataset).")
  model: str = _option(
      "dli_cnn", "Model to train: one of this trainer's models, or "
      "package.module:function for your own (a function taking keyword "
      "arguments input_shape and num_classes and returning a Keras model "
      "that outputs class probabilities).", on_resume=FIXED)
  model_options: Mapping[str, Any] = _option(
      {}, "Extra keyword options for the model builder.", on_resume=FIXED,
      flag=False)
  epochs: int = _option(20, "Epochs to train.", lower=1)
  batch_size: int = _option(
      32, "Training batch size (the global batch under a --strategy).",
      lower=1, on_resume=FIXED)
  eval_batch_size: int = _option(256, "Validation/test batch size.", lower=1)
  learning_rate: float = _option(1e-3, "Learning rate (> 0).", lower=0.0)
  optimizer: str = _option("adam", "Optimizer.", choices=OPTIMIZERS,
                           on_resume=FIXED)
  mode: str = _option(
      "function", "`function`: steps run as a compiled tf.function, "
      "--steps_per_loop per call; `eager`: op by op, one step per call, for "
      "debugging.", choices=MODES)
  steps_per_loop: int = _option(
      32, "Train steps per compiled call (--mode=function). Progress, the "
      "NaN check and step checkpoints happen between calls; an epoch still "
      "runs exactly its steps.", lower=1)
  jit_compile: bool = _option(
      False, "XLA-compile the forward and backward pass (augmentation stays "
      "outside XLA). Measure first: on CPUs it is often slower.")
  precision: str = _option(
      "float32", "Compute dtype: float32, mixed_float16 (float16 compute "
      "with loss scaling; GPUs) or mixed_bfloat16 (no loss scaling; TPUs, "
      "recent GPUs and CPUs with AVX-512 BF16/AMX).", choices=PRECISIONS,
      on_resume=FIXED)
  augment: str = _option(
      "device", "`device`: augment inside the compiled train step; "
      "`pipeline`: in tf.data, on the CPU; `none`.", choices=AUGMENTS)
  seed: int = _option(
      0, "Random seed of initialization, shuffling and augmentation.",
      lower=0, upper=command_flags.MAX_SEED, on_resume=FIXED)
  steps_per_epoch: int | None = _option(
      None, "Train steps per epoch; unset means one pass over the train "
      "split.", lower=1, on_resume=FIXED)
  early_stopping_patience: int = _option(
      0, "Epochs without a better validation --best_metric before "
      "stopping; 0 never stops early.", lower=0)
  best_metric: str = _option(
      "accuracy", "The validation metric that picks the best epoch (whose "
      "weights are tested and exported) and drives early stopping: "
      "`accuracy`, `balanced_accuracy` (the mean of the per-class recalls; "
      "for imbalanced data) or `loss` (lowest). Fixed on resume: it decided "
      "which weights were kept.", choices=BEST_METRICS, on_resume=FIXED)
  image_size: tuple[int, int] | None = _option(
      None, "Size to resize to; unset keeps the dataset's size.",
      on_resume=FIXED)
  train_split: str = _option("train", "TFDS split to train on.",
                             on_resume=FIXED)
  drop_cross_split_duplicates: bool = _option(
      False, "Leave out training examples that duplicate, exactly or nearly, "
      "a validation or test example (as `python -m tfds_builders.report` "
      "finds them), and say how many.", on_resume=FIXED)
  drop_label_issues: str | None = _option(
      None, "A label_issues.json of `python -m trainers.label_issues`: "
      "leave the examples it lists out of training (made from the same "
      "dataset, which is checked).", on_resume=FIXED)
  holdout_fold: str = _option(
      "", "K/N: train without fold K (0-based) of N stratified, seeded "
      "folds of --train_split (`trainers.training.folds`), as "
      "`trainers.label_issues` does; empty trains on all.",
      on_resume=FIXED, flag=False)
  validation_split: str = _option(
      "auto", "TFDS split validated each epoch (picks the best weights, "
      "drives early stopping); `auto`: the dataset's `validation` split, "
      "else a stratified 10% held out of --train_split (every class, the "
      "same examples for the same --seed); empty for none. Fixed on "
      "resume: it decides which examples train.", on_resume=FIXED)
  test_split: str = _option(
      "auto", "TFDS split evaluated once at the end; `auto`: `test` when "
      "the dataset has one, else none; empty for none.")
  summary_images: int = _option(
      4, "Augmented training inputs written to TensorBoard per run.",
      lower=0)
  strategy: str = _option(
      "default", "tf.distribute strategy: `default` (one device), "
      "`mirrored` (all local GPUs, else --num_cpu_devices CPUs), "
      "`multi_worker` (the hosts of TF_CONFIG), `tpu` (see --tpu). "
      "--batch_size is the global batch.", choices=STRATEGIES)
  num_cpu_devices: int | None = _option(
      None, "Split the CPU into N logical devices, e.g. to run "
      "--strategy=mirrored without GPUs.", lower=1)
  tpu: str | None = _option(
      None, "--strategy=tpu: TPU name, grpc://HOST:8470, or `local` on a "
      "TPU VM; unset finds it from the environment.")
  checkpoint_every_steps: int = _option(
      0, "Also checkpoint every N global steps, not only at the end of each "
      "epoch (0: epoch ends only). A rerun resumes from the latest.",
      lower=0)
  deterministic: bool = _option(
      False, "Deterministic kernels (TensorFlow's op determinism) as well as "
      "seeds: two runs, or a run stopped at any step and resumed, end with "
      "bit-identical weights. Slower on some GPUs.")
  precise_bn_batches: int = _option(
      50, "Before each validation, test and export, recompute BatchNorm's "
      "statistics from this many training batches (precise BN), so the "
      "numbers reflect the weights even when an epoch has few steps; 0 "
      "keeps the moving averages.", lower=0)
  data_service: str | None = _option(
      None, "grpc://HOST:PORT of a tf.data service dispatcher (`python -m "
      "asl_pipeline.service dispatcher`) whose workers produce the training "
      "batches.")

  def validate(self) -> Config:
    """Checks every field, naming the flag that sets it.

    Bounds and choices come from the fields' metadata; the checks below
    them are those that involve more than one field. The model and its
    options are checked by `trainers.command_line.preflight` (and by
    `trainers.models` when the model is built).

    Returns:
      The config itself, so that calls can be chained.

    Raises:
      ConfigError: on the first invalid field.
    """

    def check(ok: bool, flag: str, why: str):
      if not ok:
        raise ConfigError(
            f"--{flag}={getattr(self, flag)!r} is invalid: {why}")

    for field in dataclasses.fields(self):
      self._check_bounds(field, check)
    check(bool(self.dataset), "dataset", "name a TFDS dataset")
    check(self.mode == "function" or not self.jit_compile, "jit_compile",
          "XLA compiles a tf.function; use --mode=function or drop "
          "--jit_compile")
    check(self.image_size is None or (
        len(self.image_size) == 2 and min(self.image_size) >= 1),
          "image_size", "give a positive height and width")
    check(bool(self.train_split), "train_split", "name a TFDS split")
    check(not (self.drop_cross_split_duplicates and self.data_service),
          "drop_cross_split_duplicates", "the tf.data service reads the "
          "whole split; drop --data_service or this flag")
    self._check_exclusions(check)
    check(not self.tpu or self.strategy == "tpu", "tpu",
          "only --strategy=tpu uses a TPU; add it or drop --tpu")
    self.check_recipe(check)
    check(self.lr_schedule != "plateau" or bool(self.validation_split),
          "lr_schedule", "`plateau` follows the validation loss; give a "
          "--validation_split")
    if self.data_service:
      try:
        pipeline_options.parse_address(self.data_service)
      except ValueError as e:
        check(False, "data_service", str(e))
    return self

  def _check_exclusions(self, check) -> None:
    """The options that leave examples out: a readable file, a sane fold."""
    # Imported here: both are standard library only, like this module.
    from trainers.analysis import issues_file  # pylint: disable=g-import-not-at-top
    from trainers.training import folds  # pylint: disable=g-import-not-at-top
    for flag, parse in (("drop_label_issues", issues_file.read),
                        ("holdout_fold", folds.parse)):
      if getattr(self, flag):
        try:
          parse(getattr(self, flag))
        except ValueError as e:
          check(False, flag, str(e))
        check(not self.data_service, flag, "the tf.data service reads the "
              "whole split; drop --data_service or this flag")

  def _check_bounds(self, field: dataclasses.Field, check) -> None:
    """The checks of one field's metadata: choices, bounds, finiteness."""
    value, meta = getattr(self, field.name), field.metadata
    if meta["choices"]:
      check(value in meta["choices"], field.name,
            f"choose one of {list(meta['choices'])}")
    if value is None or isinstance(value, bool):
      return
    if isinstance(value, float):
      check(math.isfinite(value), field.name, "must be a finite number")
    if meta["lower"] is not None:
      strict = isinstance(meta["lower"], float)
      check(value > meta["lower"] if strict else value >= meta["lower"],
            field.name, f"must be {'above' if strict else 'at least'} "
            f"{meta['lower']}")
    if meta["upper"] is not None:
      check(value <= meta["upper"], field.name,
            f"must be at most {meta['upper']}")

  def check_replicas(self, replicas: int) -> None:
    """Refuses a global batch that does not split over `replicas`.

    Args:
      replicas: How many replicas the run's strategy has.

    Raises:
      ConfigError: naming --batch_size and what would split.
    """
    if replicas > 1 and self.batch_size % replicas:
      raise ConfigError(
          f"--batch_size={self.batch_size} is the global batch and must "
          f"split evenly over the {replicas} replicas of --strategy="
          f"{self.strategy}; use a multiple of {replicas}.")

  def resume_conflicts(self, previous: Config) -> list[str]:
    """Why this config cannot resume a run made with `previous`.

    Args:
      previous: The config the run's checkpoints were written under.

    Returns:
      One line per FIXED field whose value differs, naming the flag and
      both values; empty if the run can resume.
    """
    # Compared as JSON, the form config.json keeps (tuples become lists).
    # `previous` comes from `from_json`: a field its run did not record yet
    # holds the default, which is what that run did.
    old, new = (json.loads(c.to_json()) for c in (previous, self))
    return [f"--{f.name}: the run was trained with {old[f.name]!r}, this "
            f"command asks for {new[f.name]!r}"
            for f in dataclasses.fields(self)
            if f.metadata["on_resume"] == FIXED
            and old.get(f.name) != new[f.name]]

  def to_json(self) -> str:
    """The config as indented JSON, the form `config.json` stores."""
    return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

  @classmethod
  def from_json(cls, text: str) -> Config:
    """Reads back what `to_json` wrote, including older versions of it.

    Args:
      text: JSON text from `to_json`.

    Returns:
      The config; fields absent from the JSON keep their defaults.
    """
    values = json.loads(text)
    if values.pop("mixed_precision", False) and "precision" not in values:
      values["precision"] = "mixed_float16"
    known = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in values.items() if k in known}
    if values.get("image_size") is not None:
      values["image_size"] = tuple(values["image_size"])
    return cls(**values)
