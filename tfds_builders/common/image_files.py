"""Decodes, checks and re-encodes one image file as an upright RGB JPEG.

Everything here works on bytes, so it runs unchanged under TFDS's test
harness and in worker threads: Pillow releases the GIL while it decodes and
encodes, so a thread pool scales with the cores.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
import concurrent.futures
import dataclasses
import io
import itertools
import os
import re
from typing import TypeVar

import numpy as np
from PIL import Image
from PIL import ImageOps

# Written by macOS Finder, Windows Explorer and archivers next to the photos;
# they are never images, so they are skipped before anything is read.
SYSTEM_FILE_NAMES = frozenset({
    ".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", ".directory",
    "icon\r",
})
# Folders holding only archiver metadata (the AppleDouble `._*` copies of a
# zip made on macOS), never photos.
SYSTEM_DIR_NAMES = frozenset({"__macosx", ".git", ".svn", "@eadir"})

# Reasons an input is left out; they are also the keys of the recorded counts.
EMPTY = "empty_files"
UNDECODABLE = "undecodable_files"
TOO_LARGE = "too_large_images"

# The most pixels an image may have to be decoded, by the builder and by
# every tool that reads a user's photo: Pillow's own decompression-bomb
# threshold. A 1 MB PNG can declare 20000x20000 pixels (1.2 GB as RGB); the
# size is read from the header, before any pixel is decoded.
MAX_PIXELS = 2 * 89_478_485

_ORIENTATION_TAG = 0x0112
_WHITE = (255, 255, 255)

_T = TypeVar("_T")
_R = TypeVar("_R")


def is_system_file(name: str) -> bool:
  """Whether a file name is an OS or archiver artifact rather than data."""
  return name.lower() in SYSTEM_FILE_NAMES or name.startswith("._")


class ImageTooLarge(ValueError):
  """An image whose header declares more than `MAX_PIXELS` pixels."""


def check_size(data: bytes) -> None:
  """Refuses an image too large to decode, reading only its header.

  Args:
    data: An encoded image (any format Pillow identifies; other bytes pass,
      for the decoder to refuse).

  Raises:
    ImageTooLarge: The image has more than `MAX_PIXELS` pixels.
  """
  try:
    with Image.open(io.BytesIO(data)) as image:
      width, height = image.size  # Parsed from the header; nothing decoded.
  except Image.DecompressionBombError as e:
    raise _too_large(e) from None
  except (Image.UnidentifiedImageError, OSError, SyntaxError, ValueError):
    return
  _check_pixels(width, height)


def _check_pixels(width: int, height: int) -> None:
  if width * height > MAX_PIXELS:
    raise ImageTooLarge(f"{width}x{height} = {width * height:,} pixels is "
                        f"over the limit of {MAX_PIXELS:,} (a decompression "
                        "bomb?); shrink the image first.")


def _too_large(error: Image.DecompressionBombError) -> ImageTooLarge:
  """Our message for Pillow's own refusal, which happens at `Image.open`."""
  found = re.search(r"\((\d+) pixels\)", str(error))
  pixels = f"{int(found.group(1)):,} pixels" if found else "the image"
  return ImageTooLarge(f"{pixels} is over the limit of {MAX_PIXELS:,} (a "
                       "decompression bomb?); shrink the image first.")


class SkippedImage(Exception):
  """An input that is not a usable image; `reason` is a count key."""

  def __init__(self, reason: str, detail: str):
    super().__init__(f"{reason}: {detail}")
    self.reason = reason
    self.detail = detail


@dataclasses.dataclass(frozen=True)
class CheckedImage:
  """A decoded, checked image ready to store.

  Attributes:
    jpeg: RGB JPEG bytes, upright (EXIF orientation already applied).
    width: Width of the stored image.
    height: Height of the stored image.
    notes: What was done to it, as count keys (`converted_from_CMYK`,
      `exif_transposed`, `resized`, `reencoded` or `reused_bytes`).
  """
  jpeg: bytes
  width: int
  height: int
  notes: tuple[str, ...]


def to_rgb_jpeg(data: bytes, *, max_side: int | None = None,
                quality: int = 95, reuse_bytes: bool = True) -> CheckedImage:
  """Turns the bytes of any image Pillow reads into an upright RGB JPEG.

  The image is always fully decoded, so truncated or corrupt files are caught
  here rather than when a model reads them. The original bytes are kept when
  they already are what would be written (a baseline RGB JPEG, upright, not
  larger than `max_side`): re-encoding would cost time and quality for
  nothing.

  Transparency (RGBA, LA, palette with a transparent colour) is composited on
  white, the usual background of product and pet photos, instead of dropping
  the alpha channel, which would expose whatever colour the transparent
  pixels happen to hold.

  Args:
    data: The file's bytes.
    max_side: If set, images whose longer side exceeds it are shrunk
      (aspect preserved) so that the longer side equals it.
    quality: JPEG quality of re-encoded images.
    reuse_bytes: Keep the original bytes when nothing needs changing; False
      re-encodes every image (uniform quality, and the worst-case cost).

  Returns:
    The checked image.

  Raises:
    SkippedImage: The bytes are empty, not a decodable image, or an image
      of more than `MAX_PIXELS` pixels.
  """
  if not data:
    raise SkippedImage(EMPTY, "zero-byte file")
  try:
    image = Image.open(io.BytesIO(data))
    original_size = image.size
    _check_pixels(*original_size)
    target = _target_size(original_size, max_side)
    if image.format == "JPEG" and target != original_size:
      # DCT-domain downscaling is only asked for when the image is to be
      # shrunk anyway; it never goes below the requested size.
      image.draft(image.mode, target)
    image.load()
  except Image.UnidentifiedImageError:
    raise SkippedImage(UNDECODABLE, "not an image format Pillow reads") from None
  except ImageTooLarge as e:
    raise SkippedImage(TOO_LARGE, str(e)) from None
  except Image.DecompressionBombError as e:
    raise SkippedImage(TOO_LARGE, str(_too_large(e))) from None
  except (OSError, SyntaxError, ValueError) as e:
    # Pillow reports truncated data and unknown formats as OSError, some
    # corrupt headers as SyntaxError/ValueError.
    raise SkippedImage(UNDECODABLE, f"{type(e).__name__}: {e}") from None

  notes = []
  orientation = image.getexif().get(_ORIENTATION_TAG, 1)
  if (reuse_bytes and image.format == "JPEG" and image.mode == "RGB"
      and orientation == 1
      and target == original_size and not image.info.get("progressive")
      and not image.info.get("progression")):
    return CheckedImage(data, image.width, image.height, ("reused_bytes",))

  if orientation != 1:
    transposed = ImageOps.exif_transpose(image)
    if transposed is not image:
      notes.append("exif_transposed")
      image = transposed
  if image.mode != "RGB":
    notes.append(f"converted_from_{image.mode}")
    image = _to_rgb(image)
  if target != original_size:
    notes.append("resized")
    # The draft above may already have shrunk it part of the way (or all).
    final = _target_size(image.size, max_side)
    if final != image.size:
      image = image.resize(final, Image.Resampling.BICUBIC)
  out = io.BytesIO()
  # No EXIF is carried over: the pixels are already upright, and a stale
  # orientation tag would make EXIF-aware readers rotate them again.
  image.save(out, format="JPEG", quality=quality)
  notes.append("reencoded")
  return CheckedImage(out.getvalue(), image.width, image.height, tuple(notes))


def _target_size(size: tuple[int, int],
                 max_side: int | None) -> tuple[int, int]:
  """The size after capping the longer side at `max_side`."""
  width, height = size
  if not max_side or max(width, height) <= max_side:
    return size
  scale = max_side / max(width, height)
  return (max(1, round(width * scale)), max(1, round(height * scale)))


def _to_rgb(image: Image.Image) -> Image.Image:
  """Converts any Pillow mode to RGB (alpha composited on white)."""
  mode = image.mode
  if mode == "P":
    # A palette may carry a transparent index; go through RGBA to honour it.
    image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    mode = image.mode
  if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, _WHITE + (255,))
    return Image.alpha_composite(background, rgba).convert("RGB")
  if mode.startswith("I") or mode == "F":
    return _high_depth_gray_to_rgb(image)
  # L, 1, CMYK (Adobe-inverted CMYK is undone by Pillow's JPEG reader),
  # YCbCr, LAB, HSV.
  return image.convert("RGB")


def _high_depth_gray_to_rgb(image: Image.Image) -> Image.Image:
  """Maps 16-bit, 32-bit or float grayscale to 8 bits by its value range.

  Pillow's own `convert("L")` clips such images at 255 instead of scaling
  them, which turns most 16-bit photos white.
  """
  values = np.asarray(image, dtype=np.float64)
  if image.mode == "F":
    top = 1.0 if values.max(initial=0.0) <= 1.0 else 255.0
  else:
    # 16-bit data (the PNG and TIFF case) unless every value fits in 8 bits.
    top = 65535.0 if values.max(initial=0.0) > 255 else 255.0
  gray = np.clip(np.rint(values * (255.0 / top)), 0, 255).astype(np.uint8)
  return Image.fromarray(gray, mode="L").convert("RGB")


def default_workers() -> int:
  """The number of cores this process may use."""
  try:
    return max(1, len(os.sched_getaffinity(0)))
  except AttributeError:  # Not available on macOS and Windows.
    return max(1, os.cpu_count() or 1)


def ordered_map(fn: Callable[[_T], _R], items: Iterable[_T], *,
                workers: int, window: int | None = None) -> Iterator[_R]:
  """Applies `fn` in a thread pool, yielding results in input order.

  At most `window` calls are in flight, so memory stays bounded on a large
  folder however slowly the results are consumed.

  Args:
    fn: Called once per item, from worker threads.
    items: The inputs.
    workers: Thread count; 1 runs everything in the calling thread.
    window: Calls submitted ahead of the one being yielded (default
      4 * workers).

  Yields:
    `fn(item)` for each item, in order.
  """
  if workers <= 1:
    yield from map(fn, items)
    return
  window = window or 4 * workers
  items = iter(items)
  with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
    pending = collections.deque(
        pool.submit(fn, item) for item in itertools.islice(items, window))
    while pending:
      result = pending.popleft().result()
      for item in itertools.islice(items, 1):
        pending.append(pool.submit(fn, item))
      yield result
