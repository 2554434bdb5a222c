"""`--class_weight=balanced`: loss weights from the examples a run trains on."""

from __future__ import annotations

import collections
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

import asl_pipeline


def balanced(counts: Mapping[int, int], num_classes: int) -> np.ndarray:
  """Weights inversely proportional to the class counts, mean 1 per example.

  As scikit-learn's `balanced`: `total / (num_classes * count)`, so that
  every class contributes equally to the loss. A class with no training
  example gets weight 0 (it is never a label anyway).

  Args:
    counts: Training examples per class index.
    num_classes: Classes of the model's output.

  Returns:
    float32 weights of shape [num_classes].
  """
  total = sum(counts.values())
  present = sum(1 for c in range(num_classes) if counts.get(c, 0))
  weights = np.zeros(num_classes, np.float32)
  for c in range(num_classes):
    if counts.get(c, 0):
      weights[c] = total / (present * counts[c])
  return weights


def train_counts(dataset: str, data_dir: str | None, split: str,
                 exclude_ids: Collection[str]) -> dict[int, int]:
  """Examples per class of `split`, leaving out `exclude_ids`.

  The left-out examples are those the run does not train on (the held-out
  validation part, dropped duplicates), so the counts are the training
  data's own.

  Args:
    dataset: The TFDS name.
    data_dir: Its data directory.
    split: The training split.
    exclude_ids: TFDS ids left out of training.

  Returns:
    `{class index: count}`.
  """
  builder = asl_pipeline.sources.builder(dataset, data_dir)
  info = asl_pipeline.info(dataset, data_dir)
  # Labels and ids only: the images are never decoded.
  examples = builder.as_dataset(
      split=split, read_config=tfds.ReadConfig(add_tfds_id=True),
      decoders={info.image_key: tfds.decode.SkipDecoding()})
  counts = collections.Counter()
  for example in examples.as_numpy_iterator():
    if example["tfds_id"].decode() not in exclude_ids:
      counts[int(example[info.label_key])] += 1
  return dict(counts)


def describe(weights: Sequence[float], class_names: Sequence[str]) -> str:
  """One line naming each class's weight."""
  return "Class weights (balanced): " + ", ".join(
      f"{name} {w:.3g}" for name, w in zip(class_names, weights))



def from_config(config, data) -> tf.Tensor | None:
  """`--class_weight`'s weights for the run, printed; None for `none`.

  Args:
    config: The run's `Config`.
    data: Its `DataSpec` (classes, the training examples left out).

  Returns:
    float32 weights of shape [num_classes], or None.
  """
  if config.class_weight == "none":
    return None
  counts = train_counts(config.dataset, config.data_dir, config.train_split,
                        data.exclude_ids)
  weights = balanced(counts, data.num_classes)
  print(describe(weights, data.class_names))
  return tf.constant(weights)
