"""What the loop needs to know about a dataset, and its input pipelines."""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
import hashlib
import pathlib
from typing import Any

import tensorflow as tf

import asl_pipeline
import asl_pipeline.sources
from tfds_builders.common import shards
from trainers.training import exclusions
from trainers.training import splits as splits_lib
from trainers.command_line import config as config_lib

# Examples a service worker shuffles at once: its whole share of a split of
# the sizes trained here, a bounded buffer for larger ones.
_SERVICE_SHUFFLE_BUFFER = 10_000


@dataclasses.dataclass(frozen=True)
class DataSpec:
  """Shapes, class names and step counts for one config.

  Attributes:
    config: The config the pipelines are built from.
    input_shape: Model input (height, width, channels).
    class_names: Names in class-index order.
    steps_per_epoch: Train steps per epoch.
    validation_split: Split validated each epoch, or "" for none.
    test_split: Split tested at the end, or "" for none.
    exclude_ids: TFDS ids of training examples left out: those held out
      for validation, and those of `trainers.training.exclusions`.
    validation_ids: When validation holds out part of the training split,
      the ids of that part; else empty.
    identity: What the run trains on, recorded in its checkpoints so that a
      resume on other data is refused: the dataset (name, config, version),
      the training examples, and a fingerprint of the training records.
  """

  config: config_lib.Config
  input_shape: tuple[int, int, int]
  class_names: tuple[str, ...]
  steps_per_epoch: int
  validation_split: str
  test_split: str
  exclude_ids: frozenset[str] = frozenset()
  validation_ids: frozenset[str] = frozenset()
  identity: Mapping[str, Any] = dataclasses.field(default_factory=dict)

  @property
  def num_classes(self) -> int:
    return len(self.class_names)

  @classmethod
  def create(cls, config: config_lib.Config, *,
             announce: bool = True) -> DataSpec:
    """Reads the dataset's metadata, resolves the splits, checks the records.

    Prints what the run will read: each split's size and the steps of an
    epoch, and a warning when the validation set is too small to rank
    epochs.

    Args:
      config: A validated config.
      announce: Print what the run will read (a trainer); False for a tool
        that only needs the run's splits.

    Returns:
      The spec.

    Raises:
      trainers.command_line.config.ConfigError: naming the flag, for an
        unknown split or a batch size larger than the train split, or if
        the dataset has not been built in `data_dir`.
      tfds_builders.common.shards.DamagedShardError: a record file of the
        splits is damaged (named, with the command that rebuilds it).
    """
    try:
      info = asl_pipeline.info(config.dataset, config.data_dir)
    except FileNotFoundError as e:
      raise config_lib.ConfigError(str(e)) from None
    channels = info.image_shape[-1] or 3
    height, width = config.image_size or info.image_shape[:2]
    if height is None or width is None:
      raise config_lib.ConfigError(
          f"Dataset {config.dataset!r} has images of varying size; set "
          "--image_size=HEIGHT,WIDTH.")
    chosen = _resolved_splits(config)
    sizes = _split_sizes(config, chosen)
    kept = sizes["train"] - len(chosen.validation_ids)
    exclude = (chosen.validation_ids |
               exclusions.cross_split_duplicates(config, chosen, kept) |
               exclusions.label_issues(config, kept) |
               exclusions.holdout_fold(config, chosen))
    sizes["train"] -= len(exclude)
    steps = config.steps_per_epoch or sizes["train"] // config.batch_size
    if steps < 1:
      raise config_lib.ConfigError(
          f"--batch_size={config.batch_size} is larger than the "
          f"{sizes['train']} training examples of --train_split="
          f"{config.train_split!r}; lower it or set --steps_per_epoch.")
    if announce:
      _describe(config, chosen, sizes, steps)
    return cls(config=config,
               input_shape=(int(height), int(width), int(channels)),
               class_names=tuple(info.class_names),
               steps_per_epoch=int(steps),
               validation_split=chosen.validation,
               test_split=chosen.test, exclude_ids=exclude,
               validation_ids=chosen.validation_ids,
               identity=_checked_identity(config, chosen, sizes["train"]))

  def train(self, seed: int,
            input_context: tf.distribute.InputContext | None = None,
            start_batch: int = 0) -> tf.data.Dataset:
    """The infinite, shuffled, batched train pipeline.

    Args:
      seed: Shuffle (and pipeline augmentation) seed.
      input_context: From `strategy.distribute_datasets_from_function`:
        read only this input pipeline's slice of the split, in per-replica
        batches of the global `--batch_size`.
      start_batch: The first batch of the stream to produce (the global step
        a resumed run continues from).

    Returns:
      `(images, labels)` batches, repeated forever.
    """
    c = self.config
    # The global batch: train_dataset divides it per replica itself.
    return asl_pipeline.train_dataset(
        c.dataset, batch_size=c.batch_size, split=c.train_split,
        data_dir=c.data_dir, image_size=c.image_size, augment=c.augment,
        seed=seed, input_context=input_context, start_batch=start_batch,
        exclude_ids=self.exclude_ids)

  def batchnorm_batches(self, num_batches: int) -> tf.data.Dataset:
    """Un-augmented training batches for recomputing BatchNorm statistics.

    A pipeline of its own, not the training stream (whose position a
    resumed run restores), without a cache (a second copy of the split in
    memory would cost as much as the first) and with a buffer just large
    enough for the batches read; a fixed seed gives the same batches on
    every pass.

    Args:
      num_batches: How many batches a pass reads.

    Returns:
      Endless `(images, labels)` batches of `--batch_size`.
    """
    c = self.config
    return asl_pipeline.train_dataset(
        c.dataset, batch_size=c.batch_size, split=c.train_split,
        data_dir=c.data_dir, image_size=c.image_size, augment="none",
        seed=c.seed, cache=False, exclude_ids=self.exclude_ids,
        shuffle_buffer=num_batches * c.batch_size)

  def service_epoch(self, batch_size: int) -> tf.data.Dataset:
    """One shuffled pass over the train split, to be produced by a service.

    The tf.data service's "distributed_epoch" mode hands the source's
    splits to its workers, so that together they visit every example once
    per pass. That needs a finite dataset: an endless one would keep the
    workers producing (and unable to stop) after the trainer left. So the
    service gets one pass, and the trainer repeats the service's output,
    each repetition being a new pass of the same job. Each service worker
    batches its own share and drops its own partial batch (static shapes
    for the compiled step), so a pass may skip up to `batch_size - 1`
    examples per service worker; which ones changes with every pass.

    Args:
      batch_size: Examples per batch (the per-replica batch).

    Returns:
      Finite `(images, labels)` batches, augmented if `--augment=pipeline`.
    """
    c = self.config
    # Unseeded: a seeded shuffle would replay one order on every pass, each
    # pass being a fresh instance of this graph on a service worker. Without
    # the length assertion: each service worker reads only part.
    return asl_pipeline.train_dataset(
        c.dataset, batch_size=batch_size, split=c.train_split,
        data_dir=c.data_dir, image_size=c.image_size, augment=c.augment,
        seed=None, repeat=False, shuffle_buffer=_SERVICE_SHUFFLE_BUFFER,
        assert_cardinality=False, exclude_ids=self.exclude_ids)

  def validation(self, with_ids: bool = False) -> tf.data.Dataset:
    """One pass over the validation examples in eval batches.

    Args:
      with_ids: Batches of `(images, labels, ids)`, ids the TFDS ids.
    """
    return self._eval(self.validation_split, self.validation_ids or None,
                      with_ids)

  def test(self, with_ids: bool = False) -> tf.data.Dataset:
    """One pass over the test split in eval batches (see `validation`)."""
    return self._eval(self.test_split, None, with_ids)

  def _eval(self, split: str, include_ids=None,
            with_ids: bool = False) -> tf.data.Dataset:
    c = self.config
    return asl_pipeline.eval_dataset(
        c.dataset, batch_size=c.eval_batch_size, split=split,
        data_dir=c.data_dir, image_size=c.image_size,
        include_ids=include_ids, with_ids=with_ids)


def _resolved_splits(config: config_lib.Config) -> splits_lib.Splits:
  try:
    return splits_lib.resolve(config.dataset, config.data_dir,
                              config.train_split, config.validation_split,
                              config.test_split, config.seed)
  except ValueError as e:
    raise config_lib.ConfigError(f"--train_split: {e}") from None


def _split_sizes(config: config_lib.Config,
                 chosen: splits_lib.Splits) -> dict[str, int]:
  """Examples of each split read, before any is left out of training."""
  sizes = {}
  for name, flag, split in (("train", "train_split", chosen.train),
                            ("validation", "validation_split",
                             chosen.validation),
                            ("test", "test_split", chosen.test)):
    if split:
      try:
        sizes[name] = asl_pipeline.sources.num_examples(
            config.dataset, split, config.data_dir)
      except ValueError as e:
        raise config_lib.ConfigError(f"--{flag}: {e}") from None
  if chosen.validation_ids:
    sizes["validation"] = len(chosen.validation_ids)
  return sizes


# Below this many examples, a validation accuracy moves in steps of over 2%
# and ties between epochs are common.
_SMALL_VALIDATION = 50


def _describe(config: config_lib.Config, chosen: splits_lib.Splits,
              sizes: dict[str, int], steps: int) -> None:
  """Prints the run's data: what each split holds and an epoch's steps."""
  notes = chosen.description
  print(f"Data: {config.dataset}: train {sizes['train']} examples "
        f"({chosen.train}), {steps} steps of {config.batch_size} an epoch; "
        + (f"validation {sizes['validation']} ({notes['validation']})"
           if chosen.validation else "no validation")
        + (f"; test {sizes['test']} ({notes['test']})." if chosen.test else
           f"; no test ({notes['test'] or 'none asked for'})."))
  small = sizes.get("validation", _SMALL_VALIDATION)
  if small < _SMALL_VALIDATION:
    print(f"Warning: the validation set has only {small} examples: its "
          f"accuracy moves in steps of {1 / small:.1%}, so the best epoch "
          "and early stopping rank epochs by few examples.")


def _checked_identity(config: config_lib.Config, chosen: splits_lib.Splits,
                      train_examples: int) -> dict[str, Any]:
  """Reads the splits' records once (naming a damaged shard); their identity.
  """
  builder = asl_pipeline.sources.builder(config.dataset, config.data_dir)
  splits = [s for s in (chosen.train, chosen.validation, chosen.test) if s]
  info = builder.info
  config_name = builder.builder_config.name if builder.builder_config else ""
  # A damaged shard fails here, before any work, not deep in a pass.
  shards.check(builder, splits, rebuild=(
      f"tfds build {info.name} --imports=tfds_builders "
      + (f"--config={config_name} " if config_name else "")
      + f"--overwrite --manual_dir=SOURCE_FOLDER --data_dir="
      f"{config.data_dir or '~/tensorflow_datasets'}"))
  return {"dataset": info.full_name, "train_examples": train_examples,
          "records": shards.fingerprint(builder, [chosen.train])}


def train_iterator(spec: DataSpec, strategy: tf.distribute.Strategy | None,
                   seed: int, job_name: str, start_batch: int = 0):
  """The endless iterator of training batches the loop steps through.

  Args:
    spec: The data spec of the run.
    strategy: The run's strategy, or None for one device: then batches are
      plain tensors; else per-replica values from
      `strategy.distribute_datasets_from_function`.
    seed: Shuffle and augmentation seed.
    start_batch: The global step to continue from: local pipelines skip to
      it, so a resumed run sees what the uninterrupted one would have. The
      tf.data service cannot (it shuffles on its workers, unseeded).
    job_name: tf.data service job shared by every input pipeline of the run
      (used with `--data_service`): consumers of one job split its batches,
      so together they still see every example once per pass.

  Returns:
    An iterator of `(images, labels)` global batches.

  Raises:
    ConfigError: `--batch_size` does not split evenly over the replicas.
    ConnectionError: no tf.data service dispatcher at `--data_service`.
  """
  c = spec.config

  def dataset(input_context=None):
    if not c.data_service:
      return spec.train(seed, input_context, start_batch)
    batch = c.batch_size
    if input_context is not None:
      batch = input_context.get_per_replica_batch_size(batch)
    # No input_context sharding here: the service's distributed_epoch mode
    # already splits each pass among its workers and the job's consumers.
    served = asl_pipeline.service.distribute(
        spec.service_epoch(batch), c.data_service, job_name=job_name)
    # Each repetition is a new pass of the same job (see service_epoch).
    return served.repeat().prefetch(tf.data.AUTOTUNE)

  if strategy is None:
    return iter(dataset())
  c.check_replicas(strategy.num_replicas_in_sync)
  return iter(strategy.distribute_datasets_from_function(dataset))


def service_job_name(dataset: str, workdir: pathlib.Path, step: int) -> str:
  """A tf.data service job name every worker of one run derives alike.

  The workers of a run share the job (and so split its passes); a resumed
  run starts at another step, so it never joins a stale job of an earlier
  attempt.
  """
  digest = hashlib.sha1(str(workdir).encode()).hexdigest()[:12]
  return f"{dataset}-{digest}-from-step-{step}"
