"""Whether a figure's text can be read, from matplotlib's own text extents.

A figure is drawn once on its Agg canvas while every text that actually
draws (tick labels in view, titles, legend entries, counts) is recorded;
their window extents, with the figure's renderer, are then checked.
"""

from __future__ import annotations

import itertools
from unittest import mock

from matplotlib import text as mtext
import numpy as np

# Extents are in pixels; antialiasing may touch a pixel more.
_TOLERANCE = 1.0


def drawn_texts(fig) -> list[mtext.Text]:
  """The non-empty texts that drawing `fig` draws."""
  drawn = []
  draw = mtext.Text.draw

  def recording_draw(self, renderer):
    draw(self, renderer)
    if self.get_visible() and self.get_text().strip():
      drawn.append(self)

  with mock.patch.object(mtext.Text, "draw", recording_draw):
    fig.canvas.draw()
  return drawn


def _extent(text: mtext.Text, renderer) -> np.ndarray:
  box = text.get_window_extent(renderer)
  return np.array([box.x0, box.y0, box.x1, box.y1])


def _overlapping(boxes: np.ndarray) -> np.ndarray:
  """Index pairs `[k, 2]` of boxes that overlap by more than the tolerance."""
  x0, y0, x1, y1 = (boxes[:, k] for k in range(4))
  wide = np.minimum(x1[:, None], x1[None]) - np.maximum(x0[:, None], x0[None])
  tall = np.minimum(y1[:, None], y1[None]) - np.maximum(y0[:, None], y0[None])
  return np.argwhere(np.triu((wide > _TOLERANCE) & (tall > _TOLERANCE), 1))


def assert_readable(fig) -> list[mtext.Text]:
  """Asserts that no text is cut at the figure's edge or overlaps another.

  Also that every legend lies outside every axes' data area.

  Args:
    fig: A matplotlib figure, not yet closed.

  Returns:
    The texts drawn, for further checks.
  """
  texts = drawn_texts(fig)
  renderer = fig.canvas.get_renderer()
  edge = fig.bbox
  boxes = np.array([_extent(t, renderer) for t in texts]).reshape(-1, 4)
  for text, box in zip(texts, boxes):
    assert (box[0] >= edge.x0 - _TOLERANCE and box[1] >= edge.y0 - _TOLERANCE
            and box[2] <= edge.x1 + _TOLERANCE and
            box[3] <= edge.y1 + _TOLERANCE), (
                f"{text.get_text()!r} at {box} is cut by the figure's edge "
                f"{edge.bounds}")
  clashes = [(texts[i].get_text(), texts[j].get_text())
             for i, j in _overlapping(boxes)]
  assert not clashes, f"{len(clashes)} overlapping texts, e.g. {clashes[:3]}"
  legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()]
  for legend, ax in itertools.product(legends, fig.axes):
    box = legend.get_window_extent(renderer)
    assert not box.overlaps(ax.bbox), (
        f"A legend covers the data of the axes {ax.get_title()!r}")
  return texts


def tick_labels(texts: list[mtext.Text], axis) -> list[str]:
  """The drawn tick labels of `axis`, among `assert_readable`'s texts."""
  drawn = set(map(id, texts))
  labels = axis.get_ticklabels(minor=False) + axis.get_ticklabels(minor=True)
  return [label.get_text() for label in labels if id(label) in drawn]


def are_whole_numbers(labels: list[str]) -> bool:
  """Whether every label is a whole number (matplotlib writes U+2212)."""
  return bool(labels) and all(
      float(label.replace("\N{MINUS SIGN}", "-")).is_integer()
      for label in labels)
