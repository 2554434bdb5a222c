"""The report's PNG figures: class balance, samples, near duplicates.

Each is written whole (`tfds_builders.common.files`), so a report directory
never holds a half-written file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import pathlib

import matplotlib

matplotlib.use("Agg")  # Files only: no display needed.
# pylint: disable=g-import-not-at-top,wrong-import-position
from matplotlib import pyplot as plt
import numpy as np

from tfds_builders.common import files

BALANCE_PNG = "class_balance.png"
SAMPLES_PNG = "samples.png"
PAIRS_PNG = "near_duplicates.png"


def _save(fig, path: pathlib.Path) -> pathlib.Path:
  try:
    with files.atomic_path(path) as tmp:
      fig.savefig(tmp, format="png", dpi=100)
  finally:
    plt.close(fig)
  return path


def _show(ax, image: np.ndarray, title: str) -> None:
  gray = image.shape[-1] == 1
  ax.imshow(image[..., 0] if gray else image, cmap="gray" if gray else None,
            vmin=0, vmax=255)
  ax.set_title(title, fontsize=7)
  ax.axis("off")


def plot_balance(counts: Mapping[str, Mapping[str, int]],
                 path: pathlib.Path) -> pathlib.Path:
  """Bars of examples per class, one colour per split."""
  splits = list(counts)
  names = list(next(iter(counts.values())))
  fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(names) * len(splits)),
                                  3.5))
  width = 0.8 / len(splits)
  x = np.arange(len(names))
  for i, split in enumerate(splits):
    ax.bar(x + (i - (len(splits) - 1) / 2) * width,
           [counts[split][name] for name in names], width, label=split)
  ax.set_xticks(x, names)
  ax.set_ylabel("examples")
  ax.set_title("Examples per class and split")
  ax.legend()
  ax.grid(axis="y", alpha=0.3)
  fig.tight_layout()
  return _save(fig, path)


def plot_samples(samples: Mapping[str, Sequence[np.ndarray]],
                 path: pathlib.Path, title: str) -> pathlib.Path:
  """A grid: one row per class, a few of its images."""
  rows = [(name, images) for name, images in samples.items() if images]
  cols = max(len(images) for _, images in rows)
  height = 1.1 * len(rows) + 0.8
  fig, axes = plt.subplots(len(rows), cols, squeeze=False,
                           figsize=(1.1 * cols + 0.6, height))
  for (name, images), row in zip(rows, axes):
    for ax in row:
      ax.axis("off")
    for ax, image in zip(row, images):
      _show(ax, image, "")
    row[0].text(-0.1, 0.5, name, transform=row[0].transAxes, ha="right",
                va="center", fontsize=9)
  fig.suptitle(title, fontsize=8)
  # Room above the first row for the title.
  fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / height))
  return _save(fig, path)


def plot_pairs(pairs: Sequence[tuple[np.ndarray, str, np.ndarray, str, str]],
               path: pathlib.Path) -> pathlib.Path:
  """Near-duplicate pairs, one row each: image a, image b, with their keys.

  Args:
    pairs: `(image_a, label_a, image_b, label_b, caption)` per pair.
    path: Output PNG.
  """
  fig, axes = plt.subplots(len(pairs), 2, squeeze=False,
                           figsize=(6, 2.6 * len(pairs)))
  for (image_a, label_a, image_b, label_b, caption), row in zip(pairs, axes):
    _show(row[0], image_a, label_a)
    _show(row[1], image_b, label_b)
    row[0].text(1.05, -0.08, caption, transform=row[0].transAxes,
                ha="center", va="top", fontsize=7)
  fig.suptitle("Closest near duplicates across splits", fontsize=10)
  fig.tight_layout()
  return _save(fig, path)
