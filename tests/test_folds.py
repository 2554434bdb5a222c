"""The k-fold split of `trainers.label_issues`: stratified, seeded, complete."""

from __future__ import annotations

import collections

import pytest

from trainers.training import folds


def _classes(sizes):
  return {label: [f"d-train.tfrecord-00000-of-00001__{label}_{i}"
                  for i in range(size)]
          for label, size in enumerate(sizes)}


def test_every_example_is_in_exactly_one_fold():
  by_class = _classes([13, 7, 1, 20])
  fold_of = folds.assign(by_class, 4, seed=0)
  every = [i for ids in by_class.values() for i in ids]
  assert sorted(fold_of) == sorted(every)
  members = [folds.members(fold_of, k) for k in range(4)]
  assert sum(len(m) for m in members) == len(every)
  assert frozenset().union(*members) == frozenset(every)
  for a in range(4):
    for b in range(a + 1, 4):
      assert not members[a] & members[b]


def test_folds_are_stratified_and_balanced():
  by_class = _classes([13, 7, 1, 20])
  fold_of = folds.assign(by_class, 4, seed=3)
  sizes = collections.Counter(fold_of.values())
  assert max(sizes.values()) - min(sizes.values()) <= 1
  for ids in by_class.values():
    per_fold = collections.Counter(fold_of[i] for i in ids)
    counts = [per_fold.get(k, 0) for k in range(4)]
    # Each class spread as evenly as it can be.
    assert max(counts) - min(counts) <= 1


def test_same_seed_same_folds_other_seed_other_folds():
  by_class = _classes([30, 30])
  assert folds.assign(by_class, 3, seed=5) == folds.assign(by_class, 3, 5)
  assert folds.assign(by_class, 3, seed=5) != folds.assign(by_class, 3, 6)
  # Reading order does not matter.
  shuffled = {k: list(reversed(v)) for k, v in by_class.items()}
  assert folds.assign(shuffled, 3, seed=5) == folds.assign(by_class, 3, 5)


@pytest.mark.parametrize("text", ["", "4", "4/4", "-1/3", "a/b", "0/1"])
def test_bad_fold_names_are_refused(text):
  with pytest.raises(ValueError, match="K/N"):
    folds.parse(text)


def test_fold_names_parse():
  assert folds.parse("2/5") == (2, 5)
