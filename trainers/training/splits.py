"""Which examples a run trains, validates and tests on, from what the data has.

`--validation_split=auto` (the default) validates on the dataset's own
`validation` split when it has one (a photo tree with a `valid/` folder),
and otherwise holds out a stratified tenth of the training split: every
class with at least two examples gives at least one, chosen by a seeded
hash of the example ids, so the same seed holds out the same examples and
a small folder never loses a whole class to a contiguous slice.
`--test_split=auto` tests on `test` when there is one, else not at all.
Explicit split strings (`train[90%:]`, `validation`, ...) are used as given.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import math

import tensorflow_datasets as tfds

import asl_pipeline
import asl_pipeline.sources

AUTO = "auto"
# The part of each class held out for validation when the dataset has no
# validation split.
HOLDOUT_FRACTION = 0.1
VALIDATION = "validation"
TEST = "test"


@dataclasses.dataclass(frozen=True)
class Splits:
  """The splits of a run.

  Attributes:
    train: The training split string.
    validation: The split string validated on ("" for none); when
      `validation_ids` is set, the ids of `train` held out for validation.
    test: The split string tested at the end ("" for none).
    validation_ids: TFDS ids of the held-out training examples, or empty.
    description: How validation and test were chosen, for the console.
  """

  train: str
  validation: str
  test: str
  validation_ids: frozenset[str] = frozenset()
  description: dict[str, str] = dataclasses.field(default_factory=dict)


def resolve(dataset: str, data_dir: str | None, train: str, validation: str,
            test: str, seed: int) -> Splits:
  """Turns `auto` splits into what the dataset has.

  Args:
    dataset: The TFDS name.
    data_dir: Its data directory.
    train: `--train_split`.
    validation: `--validation_split`: a split string, "" or `auto`.
    test: `--test_split`: a split string, "" or `auto`.
    seed: The run's seed, which picks the held-out examples.

  Returns:
    The resolved splits.
  """
  available = asl_pipeline.info(dataset, data_dir).splits
  notes = {"validation": validation, "test": test}
  if test == AUTO:
    test = TEST if TEST in available else ""
    notes["test"] = test or "the dataset has no test split"
  ids = frozenset()
  if validation == AUTO:
    if VALIDATION in available:
      validation = notes["validation"] = VALIDATION
    else:
      ids = holdout_ids(dataset, data_dir, train, HOLDOUT_FRACTION, seed)
      validation = train
      notes["validation"] = (f"held out of {train}, "
                             f"{HOLDOUT_FRACTION:.0%} of each class")
  return Splits(train, validation, test, ids, notes)


def holdout_ids(dataset: str, data_dir: str | None, split: str,
                fraction: float, seed: int) -> frozenset[str]:
  """A stratified, seeded choice of `fraction` of each class's examples.

  Args:
    dataset: The TFDS name.
    data_dir: Its data directory.
    split: The split to choose from.
    fraction: Of each class; rounded up, so every class with two or more
      examples gives at least one (and keeps at least one).
    seed: Picks the examples (a hash of seed and id: no order of reading
      matters).

  Returns:
    TFDS ids of the chosen examples.
  """
  chosen = set()
  for ids in ids_by_class(dataset, data_dir, split).values():
    if len(ids) < 2:
      continue  # A lone example trains; it cannot also validate.
    take = min(len(ids) - 1, math.ceil(fraction * len(ids)))
    chosen.update(sorted(ids, key=lambda i: _rank(seed, i))[:take])
  return frozenset(chosen)


def _rank(seed: int, example_id: str) -> str:
  return hashlib.sha256(f"{seed}:{example_id}".encode()).hexdigest()


def ids_by_class(dataset: str, data_dir: str | None,
                 split: str) -> dict[int, list[str]]:
  """The TFDS ids of each class's examples of `split`, in reading order.

  Labels and ids only: the images are never decoded.
  """
  builder = asl_pipeline.sources.builder(dataset, data_dir)
  info = asl_pipeline.info(dataset, data_dir)
  examples = builder.as_dataset(
      split=split, read_config=tfds.ReadConfig(add_tfds_id=True),
      decoders={info.image_key: tfds.decode.SkipDecoding()})
  by_class = collections.defaultdict(list)
  for example in examples.as_numpy_iterator():
    by_class[int(example[info.label_key])].append(
        example["tfds_id"].decode())
  return dict(by_class)
