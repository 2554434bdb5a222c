"""PNG figures: training curves, conv filters, feature maps, confusion matrix.

Matplotlib runs on the Agg backend so that figures are written without a
display (servers, CI, containers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import math
import pathlib
from typing import Any

import matplotlib

matplotlib.use("Agg")
# pylint: disable=g-import-not-at-top,wrong-import-position
from matplotlib import pyplot as plt
import numpy as np


def plot_curves(history: Sequence[Mapping[str, Any]],
                path: str | pathlib.Path) -> pathlib.Path:
  """Loss and accuracy per epoch, train vs validation, side by side.

  Args:
    history: `metrics.json`'s "history" records.
    path: Output PNG.

  Returns:
    The PNG path.
  """
  if not history:
    raise ValueError("No epochs in the history; nothing to plot.")
  epochs = [h["epoch"] for h in history]
  fig, axes = plt.subplots(1, 2, figsize=(10, 4))
  for ax, metric in zip(axes, ("loss", "accuracy")):
    ax.plot(epochs, [h[f"train_{metric}"] for h in history], "o-",
            label="train")
    val = [h.get(f"val_{metric}") for h in history]
    if any(v is not None for v in val):
      ax.plot(epochs, [np.nan if v is None else v for v in val], "s-",
              label="validation")
    ax.set_xlabel("epoch")
    ax.set_title(metric)
    ax.grid(alpha=0.3)
    ax.legend()
  return _save(fig, path)


def plot_series(series: Mapping[str, Sequence[tuple[float, float | None]]],
                path: str | pathlib.Path, *, xlabel: str,
                ylabel: str) -> pathlib.Path:
  """Several named (x, y) lines on one axis, e.g. one run each.

  Args:
    series: Line name -> points; a None y leaves a gap.
    path: Output PNG.
    xlabel: X axis label.
    ylabel: Y axis label.

  Returns:
    The PNG path.
  """
  fig, ax = plt.subplots(figsize=(7, 4.5))
  for name, points in series.items():
    xs = [x for x, _ in points]
    ys = [np.nan if y is None else y for _, y in points]
    ax.plot(xs, ys, "o-", markersize=3, label=name)
  ax.set_xlabel(xlabel)
  ax.set_ylabel(ylabel)
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  return _save(fig, path)


def plot_grid(panels: np.ndarray, titles: Sequence[str] | None,
              suptitle: str, path: str | pathlib.Path,
              cmap: str = "viridis") -> pathlib.Path:
  """One small image per panel, on a near-square grid.

  Args:
    panels: [count, height, width] arrays, each scaled on its own.
    titles: One title per panel, or None.
    suptitle: Figure title.
    path: Output PNG.
    cmap: Matplotlib colormap.

  Returns:
    The PNG path.
  """
  count = len(panels)
  cols = math.ceil(math.sqrt(count))
  rows = math.ceil(count / cols)
  fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.3 * rows + 0.6),
                           squeeze=False)
  for i, ax in enumerate(axes.flat):
    ax.axis("off")
    if i < count:
      ax.imshow(panels[i], cmap=cmap, interpolation="nearest")
      if titles is not None:
        ax.set_title(titles[i], fontsize=6)
  fig.suptitle(suptitle)
  return _save(fig, path)


def plot_confusion(matrix: np.ndarray, class_names: Sequence[str],
                   path: str | pathlib.Path, title: str) -> pathlib.Path:
  """A confusion matrix: rows are true classes, columns predictions.

  Args:
    matrix: [classes, classes] counts.
    class_names: Axis labels.
    path: Output PNG.
    title: Figure title.

  Returns:
    The PNG path.
  """
  n = len(class_names)
  fig, ax = plt.subplots(figsize=(0.35 * n + 2, 0.35 * n + 1.5))
  image = ax.imshow(matrix, cmap="Blues")
  ax.set_xticks(range(n), class_names, fontsize=7)
  ax.set_yticks(range(n), class_names, fontsize=7)
  ax.set_xlabel("predicted")
  ax.set_ylabel("true")
  ax.set_title(title)
  threshold = matrix.max() / 2 if matrix.size else 0
  for (i, j), count in np.ndenumerate(matrix):
    if count:
      ax.text(j, i, str(int(count)), ha="center", va="center", fontsize=5,
              color="white" if count > threshold else "black")
  fig.colorbar(image, ax=ax, fraction=0.046)
  return _save(fig, path)


def _save(fig, path) -> pathlib.Path:
  path = pathlib.Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path
