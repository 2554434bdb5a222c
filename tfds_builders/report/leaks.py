"""Duplicates of a dataset: exact copies and near copies, within and across splits.

A near-duplicate pair needs two things: perceptual hashes at most
`MAX_HASH_DISTANCE` bits apart (one image possibly shifted by a pixel), which
finds the candidates without comparing all pairs, and thumbnails whose
correlation at their best alignment reaches `MIN_SIMILARITY`, which tells a
re-saved copy from a different photo that merely looks alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np


from tfds_builders.report import duplicates
from tfds_builders.report import hashing
from tfds_builders.report import reading

# Chosen by measurement on generated images of both datasets
# (`python -m tfds_builders.report.calibrate` prints these numbers).
MAX_HASH_DISTANCE = 5
MIN_SIMILARITY = 0.85
SIMILARITY_SHIFT = 1


def thresholds() -> dict:
  """The thresholds in force, with what they mean, for `report.json`."""
  from tfds_builders.report import calibrate  # pylint: disable=g-import-not-at-top
  return {
      "exact": "equal decoded pixels (128-bit digest of pixels and shape)",
      "hash": (f"pHash-style, {hashing.HASH_BITS} bits: the 8x8 lowest "
               "DCT frequencies but the constant one, of a "
               f"{hashing.THUMB_SIDE}x{hashing.THUMB_SIDE} grayscale "
               "thumbnail, each above its median over the dataset; every "
               f"image also hashed shifted by {hashing.MAX_SHIFT} pixel each "
               "way"),
      "max_hash_distance": MAX_HASH_DISTANCE,
      "similarity": ("correlation of the thumbnails' fine detail (each "
                     "minus its 3x3 blur), at their best shift of up to "
                     f"{SIMILARITY_SHIFT} pixel"),
      "min_similarity": MIN_SIMILARITY,
      "measured": calibrate.MEASURED,
  }


@dataclasses.dataclass
class Duplicates:
  """What `find` found, as indices into `fingerprints`.

  Attributes:
    fingerprints: Every example read.
    exact: Groups of two or more examples with equal pixels.
    near_pairs: int64 [m, 2] near-duplicate pairs that are not exact
      copies of each other, closest first.
    hash_distances: int64 [m].
    similarities: float32 [m].
  """
  fingerprints: hashing.Fingerprints
  exact: list[np.ndarray]
  near_pairs: np.ndarray
  hash_distances: np.ndarray
  similarities: np.ndarray

  def cross_split(self) -> np.ndarray:
    """Boolean [m]: which near pairs join two different splits."""
    split = self.fingerprints.split
    return split[self.near_pairs[:, 0]] != split[self.near_pairs[:, 1]]


def find(fingerprints: hashing.Fingerprints, *,
         max_hash_distance: int = MAX_HASH_DISTANCE,
         min_similarity: float = MIN_SIMILARITY) -> Duplicates:
  """Exact groups and near pairs among `fingerprints`.

  The same example read twice (overlapping split slices share `tfds_id`s)
  is not its own duplicate.

  Args:
    fingerprints: From `reading.fingerprints`.
    max_hash_distance: Candidate pairs' largest hash distance.
    min_similarity: Smallest thumbnail correlation of a near pair.

  Returns:
    The `Duplicates`.
  """
  keys = fingerprints.key
  # One entry per distinct example, so an example read by two overlapping
  # splits is not reported as its own copy.
  exact = [group for group in duplicates.exact_groups(fingerprints.digest)
           if len(set(keys[group])) > 1]
  pairs, distances = duplicates.candidate_pairs(
      hashing.perceptual_hashes(fingerprints.low), max_hash_distance)
  distinct = ((keys[pairs[:, 0]] != keys[pairs[:, 1]]) &
              np.any(fingerprints.digest[pairs[:, 0]] !=
                     fingerprints.digest[pairs[:, 1]], axis=1))
  pairs, distances = pairs[distinct], distances[distinct]
  similar = duplicates.similarity(fingerprints.thumb, pairs,
                                  max_shift=SIMILARITY_SHIFT)
  keep = similar >= min_similarity
  pairs, distances, similar = pairs[keep], distances[keep], similar[keep]
  order = np.lexsort((pairs[:, 1], pairs[:, 0], -similar))
  return Duplicates(fingerprints, exact, pairs[order], distances[order],
                    similar[order])


def duplicate_keys(found: Duplicates, split: str,
                   other_splits: Sequence[str]) -> set[str]:
  """Keys of `split` with an exact or near copy in any of `other_splits`."""
  fp = found.fingerprints
  others = np.isin(fp.split, list(other_splits))
  mine = fp.split == split
  result = set()
  for group in found.exact:
    if others[group].any():
      result.update(fp.key[group[mine[group]]].tolist())
  for a, b in found.near_pairs.tolist():
    if mine[a] and others[b]:
      result.add(fp.key[a])
    if mine[b] and others[a]:
      result.add(fp.key[b])
  # An example read by both (overlapping slices) stays: it is no copy.
  return result - set(fp.key[others].tolist())


def cross_split_duplicate_keys(name: str, *, data_dir: str | None = None,
                               train_split: str = "train",
                               other_splits: Sequence[str] = ("test",)
                               ) -> set[str]:
  """The training examples that duplicate an example of another split.

  Duplicates are exact (equal pixels) or near (see the module docstring).
  Feed the result to `tfds_builders.common.example_ids.drop_keys` (or to a pipeline's
  `exclude_ids=`) to train without them.

  Args:
    name: A prepared TFDS dataset, e.g. `sign_language_mnist`.
    data_dir: Its TFDS data directory.
    train_split: The split to clean, any TFDS split string.
    other_splits: The held-out splits (validation, test) it must not copy.

  Returns:
    `tfds_id`s of `train_split` examples, as read with
    `tfds.ReadConfig(add_tfds_id=True)`.

  Raises:
    ValueError: unknown dataset or split.
    FileNotFoundError: the dataset is not built in `data_dir`.
  """
  builder = reading.prepared_builder(name, data_dir)
  other_splits = [s for s in other_splits if s]
  if not other_splits:
    return set()
  splits = reading.check_splits(builder, [train_split, *other_splits])
  return duplicate_keys(find(reading.fingerprints(builder, splits)),
                        train_split, other_splits)


def _member(fp: hashing.Fingerprints, index: int,
            file_names: dict[str, str]) -> dict:
  member = {"split": str(fp.split[index]), "key": str(fp.key[index])}
  if fp.key[index] in file_names:
    member["file_name"] = file_names[fp.key[index]]
  return member


def as_json(found: Duplicates, file_names: dict[str, str] | None = None
            ) -> dict:
  """The report.json entries for the duplicates.

  Returns:
    `exact_duplicates` (groups of `{"split", "key"}`), `near_duplicates`
    (pairs across splits: `{"a", "b", "distance", "similarity"}`) and
    `near_duplicates_within_splits` (the same within one split).
  """
  fp, names = found.fingerprints, file_names or {}
  pairs = [{"a": _member(fp, a, names), "b": _member(fp, b, names),
            "distance": int(d), "similarity": round(float(s), 4)}
           for (a, b), d, s in zip(found.near_pairs.tolist(),
                                   found.hash_distances, found.similarities)]
  cross = found.cross_split().tolist()
  return {
      "exact_duplicates": [[_member(fp, i, names) for i in group.tolist()]
                           for group in found.exact],
      "near_duplicates": [p for p, c in zip(pairs, cross) if c],
      "near_duplicates_within_splits": [p for p, c in zip(pairs, cross)
                                        if not c],
  }



