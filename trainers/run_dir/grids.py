"""A grid of example images, each with a caption: mistakes, label issues.

Captions name an example (its file or CSV line) and what the model made of
it, so they are measured and wrapped to the width of their image rather
than left to run into the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
import math
import pathlib

import matplotlib

matplotlib.use("Agg")
# pylint: disable=g-import-not-at-top,wrong-import-position
from matplotlib import pyplot as plt
import numpy as np

from tfds_builders.common import figures
from tfds_builders.common import files

# Inches per image: large enough for a 28x28 letter to read, small enough
# for 16 of them on a screen.
_CELL = 1.7
_CAPTION_FONT = 7.0


def _shown(image: np.ndarray) -> tuple[np.ndarray, str | None]:
  """An image as imshow takes it, and its colour map."""
  image = np.asarray(image)
  if image.dtype != np.uint8:
    # Pipelines give floats in [0, 1].
    image = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
  if image.ndim == 3 and image.shape[-1] < 3:
    return image[..., 0], "gray"
  return (image[..., :3] if image.ndim == 3 else image,
          "gray" if image.ndim == 2 else None)


def plot_image_grid(images: Sequence[np.ndarray], captions: Sequence[str],
                    path: str | pathlib.Path, title: str,
                    columns: int = 4) -> pathlib.Path:
  """Images in rows of `columns`, each above its wrapped caption.

  Args:
    images: [H, W, C] arrays, uint8 or floats in [0, 1]; C 1 to 4.
    captions: One per image; may hold newlines.
    path: Output PNG, written whole (`files.atomic_path`).
    title: The figure's title.
    columns: Images per row (fewer when there are fewer images).

  Returns:
    The PNG path.
  """
  fig = figure_image_grid(images, captions, title, columns)
  path = pathlib.Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  try:
    with files.atomic_path(path) as tmp:
      fig.savefig(tmp, dpi=110, format="png")
  finally:
    plt.close(fig)
  return path


def figure_image_grid(images: Sequence[np.ndarray], captions: Sequence[str],
                      title: str, columns: int = 4):
  """The figure `plot_image_grid` writes (see there), left open."""
  if len(images) != len(captions):
    raise ValueError(f"{len(images)} images for {len(captions)} captions.")
  count = max(1, len(images))
  columns = max(1, min(columns, count))
  rows = math.ceil(count / columns)
  room = _CELL * 0.95
  wrapped = [figures.wrap(c, room, _CAPTION_FONT) for c in captions]
  caption_lines = max([w.count("\n") + 1 for w in wrapped] or [1])
  cell_height = _CELL + figures.line_height(_CAPTION_FONT) * caption_lines
  fig, axes = plt.subplots(rows, columns, squeeze=False, layout="constrained",
                           figsize=(columns * _CELL, rows * cell_height + 0.5))
  for ax in axes.ravel():
    ax.axis("off")
  for ax, image, caption in zip(axes.ravel(), images, wrapped):
    shown, cmap = _shown(image)
    ax.imshow(shown, cmap=cmap, vmin=0, vmax=255)
    ax.set_title(caption, fontsize=_CAPTION_FONT, loc="center")
  if not images:
    axes[0, 0].text(0.5, 0.5, "none", ha="center", va="center")
  fig.suptitle(figures.wrap(title, columns * _CELL, 10), fontsize=10)
  figures.grow_to_fit(fig)
  return fig
