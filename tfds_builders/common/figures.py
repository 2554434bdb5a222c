"""Figures whose text stays readable at any class count and name length.

Matplotlib places text where it is told, overlapping or past the edge of
the figure. The helpers here measure text before placing it: category tick
labels turn upright when they would run into each other, long titles wrap
to the room they have, counts get whole-number ticks, and a figure grows
until its axes have the size asked for and every text lies inside it.
Matplotlib runs on the Agg backend: figures are written without a display.
"""

from __future__ import annotations

from collections.abc import Sequence
import functools
import re

import matplotlib

matplotlib.use("Agg")
# pylint: disable=g-import-not-at-top,wrong-import-position
from matplotlib import ticker
from matplotlib.backends import backend_agg
from matplotlib.font_manager import FontProperties

# Matplotlib's default line spacing, as a multiple of the font size.
LINE_SPACING = 1.2
# Tick labels smaller than this are hard to read on a screen.
SMALLEST_FONT = 5.0
_POINTS_PER_INCH = 72.0
# Where a long name may break: after a space or a separator.
_BREAKS = re.compile(r"[^\s/_\-.:,]*[\s/_\-.:,]*")


@functools.lru_cache(maxsize=1)
def _renderer() -> backend_agg.RendererAgg:
  # At 72 dpi one pixel is one point.
  return backend_agg.RendererAgg(16, 16, _POINTS_PER_INCH)


def text_width(text: str, fontsize: float) -> float:
  """The width in inches of `text` (its widest line) at `fontsize` points."""
  prop = FontProperties(size=fontsize)
  widths = [_renderer().get_text_width_height_descent(line, prop,
                                                      ismath=False)[0]
            for line in str(text).split("\n")]
  return max(widths) / _POINTS_PER_INCH


def line_height(fontsize: float) -> float:
  """The height in inches of one line of text at `fontsize` points."""
  return fontsize * LINE_SPACING / _POINTS_PER_INCH


def fontsize_for(spacing: float, largest: float = 9.0) -> float:
  """The font size at which lines `spacing` inches apart never touch."""
  return max(SMALLEST_FONT,
             min(largest, spacing * _POINTS_PER_INCH / (LINE_SPACING + 0.2)))


def wrap(text: str, width: float, fontsize: float) -> str:
  """`text` broken into lines of at most `width` inches at `fontsize`.

  Lines break after spaces and separators (`/ _ - . : ,`) where they can,
  so file names and keys break between their parts; a part longer than a
  line is cut where the line is full.

  Args:
    text: One line (newlines already in it are kept).
    width: The room, in inches.
    fontsize: In points.

  Returns:
    The wrapped text.
  """
  lines = []
  for paragraph in str(text).split("\n"):
    line = ""
    for part in _BREAKS.findall(paragraph):
      while part:
        if text_width(line + part, fontsize) <= width:
          line, part = line + part, ""
        elif line:
          lines.append(line.rstrip())
          line = ""
        else:  # A part wider than a whole line: cut it where it is full.
          cut = 1
          while (cut < len(part) and
                 text_width(part[:cut + 1], fontsize) <= width):
            cut += 1
          lines.append(part[:cut])
          part = part[cut:]
    lines.append(line.rstrip())
  return "\n".join(lines)


def category_ticks(axis, names: Sequence[str], spacing: float,
                   fontsize: float) -> None:
  """One tick per name, turned upright on an x axis if they would touch.

  Args:
    axis: `ax.xaxis` or `ax.yaxis`, with one category per unit from 0.
    names: The categories' names.
    spacing: Inches between neighbouring ticks: at least
      `line_height(fontsize)` so that upright labels never overlap.
    fontsize: In points.
  """
  widths = [text_width(name, fontsize) for name in names]
  upright = (axis.axis_name == "x" and widths and
             max(widths) > 0.9 * spacing)
  axis.set_ticks(range(len(names)), [str(n) for n in names],
                 fontsize=fontsize, rotation=90 if upright else 0)


def integer_ticks(axis) -> None:
  """Ticks at whole numbers only (epochs, counts): no 1.5 or 0.25."""
  # Steps of 1, 2 or 5 times a power of ten: 0, 20, 40, not 0, 15, 30.
  axis.set_major_locator(ticker.MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def grow_to_fit(fig, ax=None, width: float = 0.0, height: float = 0.0,
                rounds: int = 4) -> None:
  """Enlarges `fig` until `ax` has the size asked for and no text is cut.

  The figure's layout engine (constrained layout) then places titles,
  labels, legends and colour bars around the axes; where they need more
  room than the figure has, the figure grows instead of the axes
  shrinking or the text running past the edge.

  Args:
    fig: A figure with a layout engine.
    ax: The axes whose size matters, or None.
    width: The least width of `ax`, in inches.
    height: The least height of `ax`, in inches.
    rounds: Layouts to try; each grows the figure by what was missing.
  """
  for _ in range(rounds):
    fig.draw_without_rendering()
    fig_width, fig_height = fig.get_size_inches()
    short_w = short_h = 0.0
    if ax is not None:
      box = ax.get_position()
      short_w = max(0.0, width - box.width * fig_width)
      short_h = max(0.0, height - box.height * fig_height)
    tight = fig.get_tightbbox()  # In inches.
    over_w = max(0.0, -tight.x0) + max(0.0, tight.x1 - fig_width)
    over_h = max(0.0, -tight.y0) + max(0.0, tight.y1 - fig_height)
    if max(short_w, short_h, over_w, over_h) < 0.01:
      return
    fig.set_size_inches(fig_width + short_w + over_w + 0.05,
                        fig_height + short_h + over_h + 0.05)
