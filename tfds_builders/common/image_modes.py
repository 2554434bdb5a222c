"""Brings an image of any Pillow mode to 8-bit RGB or grayscale.

One conversion for every reader of a user's photo, the dataset builder and
the tools that classify a file, so that one file gives the same pixels to
both.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

_WHITE = (255, 255, 255)
# Modes that carry transparency (besides a palette's transparent colour).
_GRAY_WITH_ALPHA = frozenset({"LA", "La"})
_COLOUR_WITH_ALPHA = frozenset({"RGBA", "RGBa", "PA"})
# Candidate full-scale values of high-depth data, smallest first: floats in
# [0, 1], 8-bit, 16-bit and 32-bit (signed) integers.
_FLOAT_SCALES = (1.0, 255.0, 65535.0, 2.0**31 - 1)
_INT_SCALES = _FLOAT_SCALES[1:]


def is_gray(mode: str) -> bool:
  """Whether `to_rgb_or_gray` gives an `L` image for this mode."""
  return (mode in ("1", "L") or mode in _GRAY_WITH_ALPHA or
          mode.startswith("I") or mode == "F")


def to_rgb_or_gray(image: Image.Image) -> Image.Image:
  """The image as `RGB`, or `L` when it has no colour.

  Transparency (RGBA, LA, palette with a transparent colour) is composited
  on white, the usual background of product and pet photos, instead of
  dropping the alpha channel, which would expose whatever colour the
  transparent pixels happen to hold. High-depth grayscale is scaled by its
  value range (see `_high_depth_to_gray`).

  Args:
    image: A decoded image of any mode.

  Returns:
    An `RGB` or `L` image of the same size.
  """
  mode = image.mode
  if mode in ("RGB", "L"):
    return image
  if mode == "P":
    # A palette may carry a transparent index; go through RGBA to honour it.
    image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    mode = image.mode
  if mode in _COLOUR_WITH_ALPHA or mode in _GRAY_WITH_ALPHA:
    on_white = _on_white(image)
    # Equal channels give back the exact gray under Pillow's luma weights.
    return on_white.convert("L") if mode in _GRAY_WITH_ALPHA else on_white
  if mode.startswith("I") or mode == "F":
    return _high_depth_to_gray(image)
  if mode == "1":
    return image.convert("L")
  # CMYK (Adobe-inverted CMYK is undone by Pillow's JPEG reader), YCbCr,
  # LAB, HSV, RGBX.
  return image.convert("RGB")


def _on_white(image: Image.Image) -> Image.Image:
  """An image with alpha, composited on an opaque white background (RGB)."""
  rgba = image.convert("RGBA")
  background = Image.new("RGBA", rgba.size, _WHITE + (255,))
  return Image.alpha_composite(background, rgba).convert("RGB")


def _high_depth_to_gray(image: Image.Image) -> Image.Image:
  """Maps 16-bit, 32-bit or float grayscale to 8 bits by its value range.

  Pillow's own `convert("L")` clips such images at 255 instead of scaling
  them, which turns most 16-bit photos white. The full-scale value is the
  smallest of 1 (floats only), 255, 65535 and 2**31 - 1 that holds every
  value: a 16-bit scan scales by 65535, a 32-bit one by 2**31 - 1.
  Negative values, NaN and infinities are black.

  Args:
    image: An `I`, `I;16*` or `F` image.

  Returns:
    An `L` image.
  """
  values = np.nan_to_num(np.asarray(image, dtype=np.float64),
                         nan=0.0, posinf=0.0, neginf=0.0)
  peak = values.max(initial=0.0)
  scales = _FLOAT_SCALES if image.mode == "F" else _INT_SCALES
  top = next((scale for scale in scales if peak <= scale), peak)
  gray = np.clip(np.rint(values * (255.0 / top)), 0, 255).astype(np.uint8)
  return Image.fromarray(gray)  # 2-D uint8: an `L` image.
