"""What the loop needs to know about a dataset, and its input pipelines."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

import asl_pipeline
import asl_pipeline.sources
from trainers import config as config_lib


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
  """

  config: config_lib.Config
  input_shape: tuple[int, int, int]
  class_names: tuple[str, ...]
  steps_per_epoch: int
  validation_split: str
  test_split: str

  @property
  def num_classes(self) -> int:
    return len(self.class_names)

  @classmethod
  def create(cls, config: config_lib.Config) -> DataSpec:
    """Reads the dataset's metadata (not its examples).

    Args:
      config: A validated config.

    Returns:
      The spec.

    Raises:
      ValueError: naming the flag, for an unknown split or a batch size
        larger than the train split.
      FileNotFoundError: if the dataset has not been built in `data_dir`.
    """
    info = asl_pipeline.info(config.dataset, config.data_dir)
    channels = info.image_shape[-1] or 3
    height, width = config.image_size or info.image_shape[:2]
    if height is None or width is None:
      raise ValueError(f"Dataset {config.dataset!r} has images of varying "
                       "size; set --image_size=HEIGHT,WIDTH.")
    sizes = {}
    for flag in ("train_split", "validation_split", "test_split"):
      split = getattr(config, flag)
      if split:
        try:
          sizes[flag] = asl_pipeline.sources.num_examples(
              config.dataset, split, config.data_dir)
        except ValueError as e:
          raise ValueError(f"--{flag}: {e}") from None
    steps = config.steps_per_epoch or sizes["train_split"] // config.batch_size
    if steps < 1:
      raise ValueError(
          f"--batch_size={config.batch_size} is larger than the "
          f"{sizes['train_split']} examples of --train_split="
          f"{config.train_split!r}; lower it or set --steps_per_epoch.")
    return cls(config=config,
               input_shape=(int(height), int(width), int(channels)),
               class_names=tuple(info.class_names),
               steps_per_epoch=int(steps),
               validation_split=config.validation_split,
               test_split=config.test_split)

  def train(self, seed: int) -> tf.data.Dataset:
    """The infinite, shuffled, batched train pipeline.

    Args:
      seed: Shuffle (and pipeline augmentation) seed.

    Returns:
      `(images, labels)` batches, repeated forever.
    """
    c = self.config
    return asl_pipeline.train_dataset(
        c.dataset, batch_size=c.batch_size, split=c.train_split,
        data_dir=c.data_dir, image_size=c.image_size, augment=c.augment,
        seed=seed)

  def eval(self, split: str) -> tf.data.Dataset:
    """One pass over `split` in eval batches."""
    c = self.config
    return asl_pipeline.eval_dataset(
        c.dataset, batch_size=c.eval_batch_size, split=split,
        data_dir=c.data_dir, image_size=c.image_size)
