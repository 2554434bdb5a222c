"""The report's PNG figures: class balance, samples, near duplicates.

Each is written whole (`tfds_builders.common.files`), so a report directory
never holds a half-written file. Their text is measured and placed with
`tfds_builders.common.figures`, so names of any length stay readable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import pathlib

import matplotlib

matplotlib.use("Agg")  # Files only: no display needed.
# pylint: disable=g-import-not-at-top,wrong-import-position
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
import numpy as np

from tfds_builders.common import figures
from tfds_builders.common import files

BALANCE_PNG = "class_balance.png"
SAMPLES_PNG = "samples.png"
PAIRS_PNG = "near_duplicates.png"
# Widest a class name may run beside its row of samples before it wraps.
_NAME_WIDTH = 1.8
# Image panels of the samples and pairs figures, in inches.
_SAMPLE_SIDE = 1.0
_PAIR_SIDE = 2.4


def _save(fig, path: pathlib.Path) -> pathlib.Path:
  try:
    with files.atomic_path(path) as tmp:
      fig.savefig(tmp, format="png", dpi=100)
  finally:
    plt.close(fig)
  return path


def _show(ax, image: np.ndarray, title: str, fontsize: float = 7) -> None:
  gray = image.shape[-1] == 1
  ax.imshow(image[..., 0] if gray else image, cmap="gray" if gray else None,
            vmin=0, vmax=255)
  ax.set_title(title, fontsize=fontsize)
  ax.axis("off")


def _figure_balance(counts: Mapping[str, Mapping[str, int]]) -> Figure:
  """The figure of `plot_balance`, not yet saved."""
  splits = list(counts)
  names = list(next(iter(counts.values())))
  n = max(len(names), 1)
  # Room per class: enough for its bars, never less than a line of text.
  group = max(figures.line_height(figures.SMALLEST_FONT) * 1.6,
              min(0.25 * len(splits) + 0.1, 10.0 / n))
  width = max(4.0, n * group)
  spacing = width / n
  fontsize = figures.fontsize_for(spacing)
  # Room for upright names below the bars, so that one layout usually fits.
  labels = max([figures.text_width(name, fontsize) for name in names],
               default=0.0)
  fig, ax = plt.subplots(figsize=(width + 2.5, 3.5 + labels),
                         layout="constrained")
  bar = 0.8 / len(splits)
  x = np.arange(len(names))
  for i, split in enumerate(splits):
    ax.bar(x + (i - (len(splits) - 1) / 2) * bar,
           [counts[split][name] for name in names], bar, label=split)
  ax.set_xlim(-0.5, n - 0.5)
  figures.category_ticks(ax.xaxis, names, spacing, fontsize)
  figures.integer_ticks(ax.yaxis)  # Counts of examples are whole.
  ax.set_ylabel("examples")
  ax.set_title("Examples per class and split")
  # Beside the axes, where it covers no bar.
  ax.legend(title="split", loc="upper left", bbox_to_anchor=(1.01, 1.0),
            borderaxespad=0.0)
  ax.grid(axis="y", alpha=0.3)
  figures.grow_to_fit(fig, ax, width, 2.5)
  return fig


def plot_balance(counts: Mapping[str, Mapping[str, int]],
                 path: pathlib.Path) -> pathlib.Path:
  """Bars of examples per class, one colour per split."""
  return _save(_figure_balance(counts), path)


def _figure_samples(samples: Mapping[str, Sequence[np.ndarray]],
                    title: str) -> Figure:
  """The figure of `plot_samples`, not yet saved."""
  rows = [(name, images) for name, images in samples.items() if images]
  cols = max(len(images) for _, images in rows)
  fig, axes = plt.subplots(
      len(rows), cols, squeeze=False, layout="constrained",
      figsize=(_SAMPLE_SIDE * cols + _NAME_WIDTH + 0.5,
               (_SAMPLE_SIDE + 0.1) * len(rows) + 0.6))
  for (name, images), row in zip(rows, axes):
    for ax in row:
      ax.axis("off")
    for ax, image in zip(row, images):
      _show(ax, image, "")
    # The name as the row's label: the layout makes room for it.
    row[0].axis("on")
    row[0].set_xticks([])
    row[0].set_yticks([])
    row[0].spines[:].set_visible(False)
    row[0].set_ylabel(figures.wrap(name, _NAME_WIDTH, 9), rotation=0,
                      ha="right", va="center", fontsize=9)
  fig.suptitle(figures.wrap(title, _SAMPLE_SIDE * cols + _NAME_WIDTH, 8),
               fontsize=8)
  figures.grow_to_fit(fig, axes[0, 0], _SAMPLE_SIDE, _SAMPLE_SIDE)
  return fig


def plot_samples(samples: Mapping[str, Sequence[np.ndarray]],
                 path: pathlib.Path, title: str) -> pathlib.Path:
  """A grid: one row per class, a few of its images."""
  return _save(_figure_samples(samples, title), path)


def _figure_pairs(pairs: Sequence[tuple[np.ndarray, str, np.ndarray, str,
                                        str]]) -> Figure:
  """The figure of `plot_pairs`, not yet saved."""
  fig = plt.figure(figsize=(2 * _PAIR_SIDE + 0.6,
                            (_PAIR_SIDE + 1.0) * len(pairs) + 0.5),
                   layout="constrained")
  rows = fig.subfigures(len(pairs), 1, squeeze=False)[:, 0]
  for (image_a, label_a, image_b, label_b, caption), row in zip(pairs, rows):
    left, right = row.subplots(1, 2)
    # Keys and file names are long: wrapped to their image's width.
    _show(left, image_a, figures.wrap(label_a, _PAIR_SIDE, 7))
    _show(right, image_b, figures.wrap(label_b, _PAIR_SIDE, 7))
    row.supxlabel(figures.wrap(caption, 2 * _PAIR_SIDE, 7), fontsize=7)
  fig.suptitle("Closest near duplicates across splits", fontsize=10)
  figures.grow_to_fit(fig)
  return fig


def plot_pairs(pairs: Sequence[tuple[np.ndarray, str, np.ndarray, str, str]],
               path: pathlib.Path) -> pathlib.Path:
  """Near-duplicate pairs, one row each: image a, image b, with their keys.

  Args:
    pairs: `(image_a, label_a, image_b, label_b, caption)` per pair.
    path: Output PNG.
  """
  return _save(_figure_pairs(pairs), path)
