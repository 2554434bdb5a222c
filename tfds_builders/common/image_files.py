"""Decodes and checks one image file: an upright RGB JPEG, or its pixels.

The dataset builder stores the JPEG; the tools that classify a user's file
feed the same pixels to a model. Everything here works on bytes, so it runs
unchanged under TFDS's test harness and in worker threads: Pillow releases
the GIL while it decodes and encodes, so a thread pool scales with the
cores.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
import concurrent.futures
import contextlib
import dataclasses
import io
import itertools
import os
import re
from typing import TypeVar

from etils import epath
import numpy as np
from PIL import Image
from PIL import ImageOps

from tfds_builders.common import image_modes

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
UNREADABLE = "unreadable_files"
UNDECODABLE = "undecodable_files"
TOO_LARGE = "too_large_images"
UNCONVERTIBLE = "unconvertible_images"
UNENCODABLE = "unencodable_images"
# The detail of an `UNDECODABLE` file whose format nothing recognises.
UNIDENTIFIED = "not an image format Pillow reads"

# The most pixels an image may have to be decoded, by the builder and by
# every tool that reads a user's photo: Pillow's own decompression-bomb
# threshold. A 1 MB PNG can declare 20000x20000 pixels (1.2 GB as RGB); the
# size is read from the header, before any pixel is decoded.
MAX_PIXELS = 2 * 89_478_485

# Failures of the process rather than of one file: once memory runs out, the
# files that follow would fail too, so the build stops. KeyboardInterrupt,
# SystemExit and GeneratorExit are not `Exception`s and pass through anyway.
_NEVER_SKIPPED = (MemoryError,)
# Characters of an exception's message kept in a skip reason.
_MAX_DETAIL = 300

_ORIENTATION_TAG = 0x0112

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
    data: An encoded image (any format Pillow identifies; other bytes, and
      headers Pillow fails on, pass, for the decoder to refuse).

  Raises:
    ImageTooLarge: The image has more than `MAX_PIXELS` pixels.
  """
  try:
    with Image.open(io.BytesIO(data)) as image:
      width, height = image.size  # Parsed from the header; nothing decoded.
  except Image.DecompressionBombError as e:
    raise _too_large(e) from None
  except _NEVER_SKIPPED:
    raise
  except Exception:  # pylint: disable=broad-exception-caught
    return  # Pillow fails on corrupt headers in many ways; see `_guard`.
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


@contextlib.contextmanager
def _guard(reason: str) -> Iterator[None]:
  """Turns any failure inside the block into `SkippedImage(reason)`.

  Pillow's format plugins fail on corrupt files in many ways besides
  OSError: IndexError (QOI), NotImplementedError (DDS), TypeError (IM),
  AttributeError (SPIDER), RuntimeError (AVIF), at open, decode, conversion
  or save. Each is about one file, which is skipped; see `_NEVER_SKIPPED`
  for what still stops the build.
  """
  try:
    yield
  except (SkippedImage, *_NEVER_SKIPPED):
    raise
  except Exception as e:  # pylint: disable=broad-exception-caught
    raise SkippedImage(reason, _describe(e)) from None


def _describe(error: BaseException) -> str:
  """`Type: message` on one line, cut to a readable length."""
  text = " ".join(f"{type(error).__name__}: {error}".split())
  return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "..."


def read_file(path: epath.PathLike) -> bytes:
  """The bytes of a listed image file.

  Raises:
    SkippedImage: `UNREADABLE`: the file went away since it was listed, is
      not readable by this user, or the disk failed to read it.
  """
  try:
    return epath.Path(path).read_bytes()
  except OSError as e:
    raise SkippedImage(UNREADABLE, _describe(e)) from None


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


@dataclasses.dataclass(frozen=True)
class _Decoded:
  """A fully decoded image and what its header said."""
  image: Image.Image
  original_size: tuple[int, int]
  target_size: tuple[int, int]
  orientation: object  # The EXIF tag's value; 1 (or absent) is upright.


def to_rgb_jpeg(data: bytes, *, max_side: int | None = None,
                quality: int = 95, reuse_bytes: bool = True) -> CheckedImage:
  """Turns the bytes of any image Pillow reads into an upright RGB JPEG.

  The image is always fully decoded, so truncated or corrupt files are caught
  here rather than when a model reads them. The original bytes are kept when
  they already are what would be written (a baseline RGB JPEG, upright, not
  larger than `max_side`): re-encoding would cost time and quality for
  nothing. The pixels are those of `to_pixels` (gray copied to all three
  channels), shrunk when `max_side` asks.

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
    SkippedImage: The bytes are empty, not a decodable image, an image of
      more than `MAX_PIXELS` pixels, or one Pillow fails to convert or
      encode (the reason says which).
  """
  decoded = _decode(data, max_side)
  image = decoded.image
  if (reuse_bytes and image.format == "JPEG" and image.mode == "RGB"
      and decoded.orientation == 1
      and decoded.target_size == decoded.original_size
      and not image.info.get("progressive")
      and not image.info.get("progression")):
    return CheckedImage(data, image.width, image.height, ("reused_bytes",))

  notes = []
  image = _upright(decoded, notes)
  with _guard(UNCONVERTIBLE):
    if decoded.target_size != decoded.original_size:
      notes.append("resized")
      # The draft in `_decode` may already have shrunk it part of the way.
      final = _target_size(image.size, max_side)
      if final != image.size:
        image = image.resize(final, Image.Resampling.BICUBIC)
  with _guard(UNENCODABLE):
    out = io.BytesIO()
    # No EXIF is carried over: the pixels are already upright, and a stale
    # orientation tag would make EXIF-aware readers rotate them again.
    image.convert("RGB").save(out, format="JPEG", quality=quality)
  notes.append("reencoded")
  return CheckedImage(out.getvalue(), image.width, image.height, tuple(notes))


def to_pixels(data: bytes) -> np.ndarray:
  """The pixels `to_rgb_jpeg` stores for `data`, before JPEG compression.

  One conversion for the dataset builder and the tools that classify a
  user's file: EXIF orientation applied, transparency composited on white,
  high-depth images scaled by their range, any other mode made RGB.

  Args:
    data: The file's bytes.

  Returns:
    uint8 [height, width, 3], or [height, width, 1] for an image without
    colour (the builder stores that gray in all three channels).

  Raises:
    SkippedImage: As `to_rgb_jpeg`.
  """
  image = _upright(_decode(data, None), [])
  with _guard(UNCONVERTIBLE):
    pixels = np.asarray(image, dtype=np.uint8)
  return pixels if pixels.ndim == 3 else pixels[..., np.newaxis]


def _decode(data: bytes, max_side: int | None) -> _Decoded:
  """Opens and fully decodes an image, its size checked from the header.

  Raises:
    SkippedImage: `EMPTY`, `TOO_LARGE` or `UNDECODABLE`.
  """
  if not data:
    raise SkippedImage(EMPTY, "zero-byte file")
  with _guard(UNDECODABLE):
    try:
      image = Image.open(io.BytesIO(data))
      original_size = image.size
      _check_pixels(*original_size)
    except Image.UnidentifiedImageError:
      raise SkippedImage(UNDECODABLE, UNIDENTIFIED) from None
    except ImageTooLarge as e:
      raise SkippedImage(TOO_LARGE, str(e)) from None
    except Image.DecompressionBombError as e:
      raise SkippedImage(TOO_LARGE, str(_too_large(e))) from None
    target = _target_size(original_size, max_side)
    if image.format == "JPEG" and target != original_size:
      # DCT-domain downscaling is only asked for when the image is to be
      # shrunk anyway; it never goes below the requested size.
      image.draft(image.mode, target)
    image.load()
    orientation = image.getexif().get(_ORIENTATION_TAG, 1)
  return _Decoded(image, original_size, target, orientation)


def _upright(decoded: _Decoded, notes: list[str]) -> Image.Image:
  """The decoded image upright, as RGB or L; what was done goes to `notes`.

  Raises:
    SkippedImage: `UNCONVERTIBLE`.
  """
  image = decoded.image
  with _guard(UNCONVERTIBLE):
    if decoded.orientation != 1:
      transposed = ImageOps.exif_transpose(image)
      if transposed is not image:
        notes.append("exif_transposed")
        image = transposed
    if image.mode != "RGB":
      notes.append(f"converted_from_{image.mode}")
      image = image_modes.to_rgb_or_gray(image)
  return image


def _target_size(size: tuple[int, int],
                 max_side: int | None) -> tuple[int, int]:
  """The size after capping the longer side at `max_side`."""
  width, height = size
  if not max_side or max(width, height) <= max_side:
    return size
  scale = max_side / max(width, height)
  return (max(1, round(width * scale)), max(1, round(height * scale)))


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
