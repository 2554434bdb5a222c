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
from matplotlib.figure import Figure
import numpy as np

from tfds_builders.common import figures
from tfds_builders.common import files
from trainers.training import history as history_lib

# Diverging: weights below and above zero in opposite hues, zero white.
FILTER_CMAP = "RdBu_r"

def _legend_outside(ax, fontsize: float = 8) -> None:
  """The legend to the right of the axes, where it covers no data."""
  ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
            fontsize=fontsize)


def _figure_curves(history: Sequence[Mapping[str, Any]],
                   best_metric: str = "accuracy") -> Figure:
  """The figure of `plot_curves`, not yet saved."""
  if not history:
    raise ValueError("No epochs in the history; nothing to plot.")
  epochs = [h["epoch"] for h in history]
  best = history_lib.best(history, best_metric)
  if best is not None and best.get("val_accuracy") is None:
    best = None  # Nothing was validated: no epoch to mark.
  fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
  for ax, metric in zip(axes, ("loss", "accuracy")):
    ax.plot(epochs, [h[f"train_{metric}"] for h in history], "o-",
            label="train")
    val = [h.get(f"val_{metric}") for h in history]
    if any(v is not None for v in val):
      ax.plot(epochs, [np.nan if v is None else v for v in val], "s-",
              label="validation")
    if best is not None:
      ax.axvline(best["epoch"], color="tab:green", linestyle="--",
                 linewidth=1, label=f"best epoch {best['epoch']}")
      if metric == "accuracy":
        ax.plot([best["epoch"]], [best["val_accuracy"]], "*",
                color="tab:green", markersize=14,
                label=f"val accuracy {best['val_accuracy']:.3f}")
    ax.set_xlabel("epoch")
    figures.integer_ticks(ax.xaxis)  # Epochs are whole: no 1.5.
    ax.set_title(metric)
    ax.grid(alpha=0.3)
    _legend_outside(ax)
  figures.grow_to_fit(fig, axes[0], 3.0, 2.5)
  return fig


def plot_curves(history: Sequence[Mapping[str, Any]],
                path: str | pathlib.Path,
                best_metric: str = "accuracy") -> pathlib.Path:
  """Loss and accuracy per epoch, train vs validation, best epoch marked.

  The best epoch (the first with the best validation `best_metric`, the one
  whose weights a run keeps) gets a dashed vertical line on both panels and
  a star on the validation accuracy.

  Args:
    history: `metrics.json`'s "history" records.
    path: Output PNG.
    best_metric: The run's `--best_metric`.

  Returns:
    The PNG path.
  """
  return _save(_figure_curves(history, best_metric), path)


def _figure_series(series: Mapping[str, Sequence[tuple[float, float | None]]],
                   *, xlabel: str, ylabel: str) -> Figure:
  """The figure of `plot_series`, not yet saved."""
  fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
  xs_all = []
  for name, points in series.items():
    xs = [x for x, _ in points]
    ys = [np.nan if y is None else y for _, y in points]
    ax.plot(xs, ys, "o-", markersize=3, label=name)
    xs_all.extend(xs)
  if all(float(x).is_integer() for x in xs_all):
    figures.integer_ticks(ax.xaxis)  # Epochs or steps: no 1.5.
  ax.set_xlabel(xlabel)
  ax.set_ylabel(ylabel)
  ax.grid(alpha=0.3)
  if series:
    _legend_outside(ax)
  figures.grow_to_fit(fig, ax, 5.0, 3.0)
  return fig


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
  return _save(_figure_series(series, xlabel=xlabel, ylabel=ylabel), path)


def filter_colors(filters: np.ndarray) -> tuple[np.ndarray, float]:
  """Conv kernels as RGB images on one scale centred at zero.

  Args:
    filters: [count, kh, kw] (one input channel) or [count, kh, kw, 3].

  Returns:
    `(rgb, limit)`: [count, kh, kw, 3] floats in [0, 1] and the weight
    magnitude at the ends of the scale. One input channel uses the diverging
    `RdBu_r` map (0 white, +limit red, -limit blue); RGB kernels map 0 to
    mid-grey and +-limit to full or no intensity, per colour channel. The
    same weight gets the same colour in every filter.
  """
  filters = np.asarray(filters, np.float32)
  limit = float(np.abs(filters).max()) or 1.0
  if filters.ndim == 4:
    return np.clip(0.5 + filters / (2 * limit), 0.0, 1.0), limit
  norm = matplotlib.colors.Normalize(-limit, limit)
  return matplotlib.colormaps[FILTER_CMAP](norm(filters))[..., :3], limit


def plot_filters(filters: np.ndarray, path: str | pathlib.Path,
                 title: str) -> pathlib.Path:
  """Conv kernels drawn large, on one diverging scale centred at zero.

  Args:
    filters: As `filter_colors` takes them.
    path: Output PNG.
    title: Figure title.

  Returns:
    The PNG path.
  """
  rgb, limit = filter_colors(filters)
  count = len(rgb)
  cols = min(count, 10)
  rows = math.ceil(count / cols)
  fig, axes = plt.subplots(rows, cols, figsize=(1.1 * cols + 1.2,
                                                1.1 * rows + 0.8),
                           squeeze=False, layout="constrained")
  for i, ax in enumerate(axes.flat):
    ax.axis("off")
    if i < count:
      ax.imshow(rgb[i], interpolation="nearest")
      ax.set_title(str(i), fontsize=7)
  if np.asarray(filters).ndim == 3:
    mappable = matplotlib.cm.ScalarMappable(
        matplotlib.colors.Normalize(-limit, limit), FILTER_CMAP)
    fig.colorbar(mappable, ax=axes, fraction=0.03, label="weight")
    fig.suptitle(f"{title} (red +, blue -, white 0)")
  else:
    fig.suptitle(f"{title} (grey 0, one scale: +-{limit:.2g})")
  return _save(fig, path)


def describe_maps(maps: np.ndarray) -> list[str]:
  """A title per feature map: its index and range, or "dead" if all zero.

  Args:
    maps: [channels, h, w] activations for one image.

  Returns:
    One title per map.
  """
  titles = []
  for i, fmap in enumerate(np.asarray(maps)):
    low, high = float(fmap.min()), float(fmap.max())
    if low == high == 0.0:
      titles.append(f"{i}: dead")
    elif low < 0.0:
      titles.append(f"{i}: {low:.2g}..{high:.2g}")
    else:
      titles.append(f"{i}: max {high:.2g}")
  return titles


def plot_feature_maps(maps: np.ndarray, path: str | pathlib.Path,
                      title: str) -> pathlib.Path:
  """Feature maps, each on its own scale; all-zero maps marked as dead.

  Each live map is stretched from its minimum (dark) to its maximum
  (bright), and its title says that range; a map that is zero everywhere
  (a ReLU that never fired on this image) is drawn as a grey "dead" panel
  rather than a black square.

  Args:
    maps: [channels, h, w] activations for one image.
    path: Output PNG.
    title: Figure title.

  Returns:
    The PNG path.
  """
  titles = describe_maps(maps)
  count = len(maps)
  dead = sum(t.endswith(": dead") for t in titles)
  cols = math.ceil(math.sqrt(count))
  rows = math.ceil(count / cols)
  fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.3 * rows + 0.8),
                           squeeze=False)
  for i, ax in enumerate(axes.flat):
    ax.axis("off")
    if i >= count:
      continue
    if titles[i].endswith(": dead"):
      ax.imshow(np.full(maps[i].shape, 0.85), cmap="gray", vmin=0, vmax=1)
      ax.text(0.5, 0.5, "dead", transform=ax.transAxes, ha="center",
              va="center", fontsize=7, color="0.3")
    else:
      ax.imshow(maps[i], cmap="viridis", interpolation="nearest")
    ax.set_title(titles[i], fontsize=5)
  fig.suptitle(f"{title}\neach map on its own scale (dark = its min, yellow "
               f"= its max); {dead} of {count} dead (all zero)", fontsize=9)
  return _save(fig, path)


def _confusion_cell(num_classes: int) -> float:
  """Side of a confusion-matrix cell, in inches.

  Large for a few classes; for many, never so small that a class's tick
  label cannot be read.
  """
  cell = min(0.55, 7.0 / max(num_classes, 1))
  return max(cell, figures.line_height(figures.SMALLEST_FONT) * 1.6,
             2.5 / max(num_classes, 1))


def _write_counts(ax, matrix: np.ndarray, cell: float, top: int) -> None:
  """Each nonzero count in its cell, as large as the cell allows.

  With too many classes for a legible count per cell, the colours (and
  the colour bar) tell the counts alone.
  """
  digits = str(top)
  width_at_10 = figures.text_width(digits, 10.0)
  fontsize = min(12.0, 10.0 * 0.8 * cell / width_at_10,
                 0.6 * cell * 72 / figures.LINE_SPACING)
  if fontsize < figures.SMALLEST_FONT:
    return
  threshold = top / 2
  for (i, j), count in np.ndenumerate(matrix):
    if count:
      ax.text(j, i, str(int(count)), ha="center", va="center",
              fontsize=fontsize,
              color="white" if count > threshold else "black")


def _figure_confusion(matrix: np.ndarray, class_names: Sequence[str],
                      title: str) -> Figure:
  """The figure of `plot_confusion`, not yet saved."""
  matrix = np.asarray(matrix)
  n = len(class_names)
  cell = _confusion_cell(n)
  side = n * cell
  fontsize = figures.fontsize_for(cell)
  labels = max([figures.text_width(name, fontsize) for name in class_names],
               default=0.0)
  # Room for the labels, axis titles and colour bar, so that one layout
  # usually fits.
  fig, ax = plt.subplots(figsize=(side + labels + 2.2, side + labels + 1.3),
                         layout="constrained")
  # Whole counts from 0: the colour bar ticks at whole numbers only.
  top = max(1, int(matrix.max()) if matrix.size else 1)
  image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=top, aspect="auto")
  figures.category_ticks(ax.xaxis, class_names, cell, fontsize)
  figures.category_ticks(ax.yaxis, class_names, cell, fontsize)
  ax.set_xlabel("predicted")
  ax.set_ylabel("true")
  ax.set_title(figures.wrap(title, max(side, 3.0), 11), fontsize=11)
  _write_counts(ax, matrix, cell, top)
  bar = fig.colorbar(image, ax=ax, fraction=0.046, label="examples")
  figures.integer_ticks(bar.ax.yaxis)
  figures.grow_to_fit(fig, ax, side, side)
  return fig


def plot_confusion(matrix: np.ndarray, class_names: Sequence[str],
                   path: str | pathlib.Path, title: str) -> pathlib.Path:
  """A confusion matrix: rows are true classes, columns predictions.

  Cells, counts and tick labels are sized from the number of classes;
  names that would run into each other stand upright.

  Args:
    matrix: [classes, classes] counts.
    class_names: Axis labels.
    path: Output PNG.
    title: Figure title.

  Returns:
    The PNG path.
  """
  return _save(_figure_confusion(matrix, class_names, title), path)


def plot_grad_cam(image: np.ndarray, overlay: np.ndarray,
                  path: str | pathlib.Path, title: str) -> pathlib.Path:
  """An image beside its class activation map overlay.

  Args:
    image: [H, W, C] uint8, C 1 to 4.
    overlay: [H, W, 3] uint8, the map over the image.
    path: Output PNG.
    title: The figure's title (class, probability, layer).

  Returns:
    The PNG path.
  """
  fig, axes = plt.subplots(1, 2, figsize=(7, 3.8), layout="constrained")
  shown = image[..., 0] if image.shape[-1] < 3 else image[..., :3]
  axes[0].imshow(shown, cmap="gray" if shown.ndim == 2 else None, vmin=0,
                 vmax=255)
  axes[0].set_title("image", fontsize=9)
  axes[1].imshow(overlay)
  axes[1].set_title("class activation map (red: most)", fontsize=9)
  for ax in axes:
    ax.axis("off")
  fig.suptitle(title, fontsize=10)
  return _save(fig, path)


def _save(fig, path) -> pathlib.Path:
  """Writes `fig` whole (`files.atomic_path`) and closes it."""
  path = pathlib.Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  if fig.get_layout_engine() is None:
    fig.tight_layout()
  try:
    with files.atomic_path(path) as tmp:
      fig.savefig(tmp, dpi=110, format=path.suffix.lstrip(".") or "png")
  finally:
    plt.close(fig)
  return path
