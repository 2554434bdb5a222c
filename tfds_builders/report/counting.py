"""Counts of a dataset: examples per split and class, imbalance, image sizes."""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tfds_builders.report import hashing

# A split is called imbalanced when its largest class has more than this
# many times the examples of its smallest (or a class has none).
IMBALANCE_RATIO = 1.5
_TOP_SIZES = 5


def split_counts(fingerprints: hashing.Fingerprints,
                 splits: Sequence[str]) -> dict[str, int]:
  """Split -> number of examples, in the order of `splits`."""
  return {split: int(np.sum(fingerprints.split == split))
          for split in splits}


def class_counts(fingerprints: hashing.Fingerprints, splits: Sequence[str],
                 class_names: Sequence[str]) -> dict[str, dict[str, int]]:
  """Split -> class name -> examples, every class listed (zeros included)."""
  result = {}
  for split in splits:
    labels = fingerprints.label[fingerprints.split == split]
    counts = np.bincount(labels, minlength=len(class_names))
    result[split] = {name: int(count)
                     for name, count in zip(class_names, counts)}
  return result


def imbalance(counts: Mapping[str, Mapping[str, int]]
              ) -> dict[str, dict[str, Any]]:
  """What is out of balance in each split.

  Args:
    counts: `class_counts`' result.

  Returns:
    Split -> `{"largest": [class, n], "smallest": [class, n], "ratio",
    "missing": [classes with no example], "imbalanced": bool}`.
  """
  result = {}
  for split, per_class in counts.items():
    present = {name: n for name, n in per_class.items() if n}
    missing = [name for name, n in per_class.items() if not n]
    if not present:
      result[split] = {"largest": None, "smallest": None, "ratio": None,
                       "missing": missing, "imbalanced": bool(missing)}
      continue
    largest = max(present, key=present.get)
    smallest = min(present, key=present.get)
    ratio = present[largest] / present[smallest]
    result[split] = {
        "largest": [largest, present[largest]],
        "smallest": [smallest, present[smallest]],
        "ratio": round(ratio, 3), "missing": missing,
        "imbalanced": bool(missing) or ratio > IMBALANCE_RATIO}
  return result


def size_distribution(fingerprints: hashing.Fingerprints,
                      splits: Sequence[str]) -> dict[str, dict[str, Any]]:
  """Split -> stored image sizes: smallest, median, largest, most common.

  Sizes are `[height, width]`; `most_common` lists up to five
  `["HxW", count]`.
  """
  result = {}
  for split in splits:
    chosen = fingerprints.split == split
    heights, widths = fingerprints.height[chosen], fingerprints.width[chosen]
    if not len(heights):
      continue
    areas = heights.astype(np.int64) * widths
    order = np.argsort(areas, kind="stable")
    pick = lambda i: [int(heights[order[i]]), int(widths[order[i]])]
    sizes = collections.Counter(
        f"{h}x{w}" for h, w in zip(heights.tolist(), widths.tolist()))
    result[split] = {
        "smallest": pick(0), "median": pick(len(order) // 2),
        "largest": pick(-1), "distinct": len(sizes),
        "most_common": [[size, n] for size, n in
                        sizes.most_common(_TOP_SIZES)]}
  return result
