"""k-fold cross-validation splits of a training split: stratified, seeded.

Each class's examples are put in a seeded order (a hash of seed and TFDS
id, so no reading order matters) and dealt to the folds in turn, each
class starting where the previous one stopped: every fold gets its share
of every class, fold sizes differ by at most one, and the same seed deals
the same folds. Every example lands in exactly one fold.

A run trains on "fold K of N" (`Config.holdout_fold`, `"K/N"`) by leaving
that fold out; its model then predicts the fold's examples, out of fold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import hashlib


def parse(holdout_fold: str) -> tuple[int, int]:
  """`"K/N"` -> `(K, N)`, fold K (0-based) of N.

  Raises:
    ValueError: not two whole numbers with 0 <= K < N and N >= 2.
  """
  fold, slash, folds = str(holdout_fold).partition("/")
  try:
    k, n = int(fold), int(folds)
  except ValueError:
    k = n = -1
  if not slash or n < 2 or not 0 <= k < n:
    raise ValueError(f"{holdout_fold!r} is not K/N with 0 <= K < N and "
                     "N >= 2")
  return k, n


def _rank(seed: int, example_id: str) -> str:
  return hashlib.sha256(f"fold:{seed}:{example_id}".encode()).hexdigest()


def assign(ids_by_class: Mapping[int, Sequence[str]], folds: int,
           seed: int) -> dict[str, int]:
  """The fold of every example.

  Args:
    ids_by_class: Class -> TFDS ids of its examples
      (`trainers.training.splits.ids_by_class`).
    folds: How many folds, at least 2.
    seed: Picks the order in which examples are dealt.

  Returns:
    `{tfds_id: fold}`, folds 0..folds-1.
  """
  if folds < 2:
    raise ValueError(f"folds must be at least 2, got {folds}.")
  fold_of, turn = {}, 0
  for label in sorted(ids_by_class):
    for example_id in sorted(set(ids_by_class[label]),
                             key=lambda i: _rank(seed, i)):
      fold_of[example_id] = turn % folds
      turn += 1
  return fold_of


def members(fold_of: Mapping[str, int], fold: int) -> frozenset[str]:
  """The ids of one fold."""
  return frozenset(i for i, f in fold_of.items() if f == fold)
