"""Every image the cats_dogs builder reads, as `image_files` converts it.

Each odd input (transparency, CMYK, 16-bit gray, palettes, EXIF rotation,
broken and oversized files) is checked through `image_files.to_rgb_jpeg`,
what the builder calls on every file: one small, fast test each.
"""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image
import pytest

from tests import helpers
from tfds_builders.common import image_files


def _decode(jpeg: bytes) -> np.ndarray:
  image = Image.open(io.BytesIO(jpeg))
  assert image.format == "JPEG" and image.mode == "RGB"
  return np.asarray(image).astype(int)


def _encoded(image: Image.Image, fmt: str, **kwargs) -> bytes:
  out = io.BytesIO()
  image.save(out, format=fmt, **kwargs)
  return out.getvalue()


def _halves(height=32, width=48) -> np.ndarray:
  """Red top-left quarter on blue: shows any rotation or flip."""
  pixels = np.zeros((height, width, 3), np.uint8)
  pixels[...] = (0, 0, 255)
  pixels[: height // 2, : width // 2] = (255, 0, 0)
  return pixels


# --- Image contents -------------------------------------------------------


def test_rgba_png_is_composited_on_white():
  rgba = np.zeros((16, 16, 4), np.uint8)
  rgba[..., :3] = (0, 128, 0)
  rgba[:, 8:, 3] = 255  # Right half opaque green, left half transparent.
  out = image_files.to_rgb_jpeg(_encoded(Image.fromarray(rgba, "RGBA"),
                                          "PNG"))
  pixels = _decode(out.jpeg)
  assert np.abs(pixels[:, :6] - 255).max() < 8
  assert np.abs(pixels[:, 10:] - (0, 128, 0)).max() < 12
  assert "converted_from_RGBA" in out.notes


def test_cmyk_jpeg_keeps_its_colours():
  red = Image.new("RGB", (16, 16), (220, 20, 20)).convert("CMYK")
  out = image_files.to_rgb_jpeg(_encoded(red, "JPEG", quality=95))
  assert np.abs(_decode(out.jpeg) - (220, 20, 20)).max() < 16
  assert "converted_from_CMYK" in out.notes


@pytest.mark.parametrize("mode,value,expected", [
    ("L", 100, 100),
    ("I;16", 65535, 255),
    ("I;16", 32896, 128),  # 128 * 257: the 16-bit value of 8-bit 128.
])
def test_grayscale_becomes_equal_rgb_channels(mode, value, expected):
  if mode == "L":
    image = Image.new("L", (16, 16), value)
    data = _encoded(image, "JPEG", quality=95)
  else:
    image = Image.fromarray(np.full((16, 16), value, np.uint16))
    assert image.mode.startswith("I")
    data = _encoded(image, "PNG")
  pixels = _decode(image_files.to_rgb_jpeg(data).jpeg)
  assert np.abs(pixels - expected).max() <= 2
  assert np.abs(pixels[..., 0] - pixels[..., 2]).max() <= 1


def test_palette_png_keeps_its_colours():
  image = Image.fromarray(_halves()).quantize(4)
  pixels = _decode(image_files.to_rgb_jpeg(_encoded(image, "PNG")).jpeg)
  assert np.abs(pixels[2, 2] - (255, 0, 0)).max() < 24
  assert np.abs(pixels[-3, -3] - (0, 0, 255)).max() < 24


@pytest.mark.parametrize("orientation,transpose", [
    (3, Image.Transpose.ROTATE_180),
    (6, Image.Transpose.ROTATE_90),   # Shown after a clockwise quarter turn.
    (8, Image.Transpose.ROTATE_270),  # Shown after a counter-clockwise one.
])
def test_exif_orientation_is_applied(orientation, transpose):
  upright = _halves()
  exif = Image.Exif()
  exif[0x0112] = orientation
  stored = Image.fromarray(upright).transpose(transpose)
  out = image_files.to_rgb_jpeg(_encoded(stored, "JPEG", quality=95,
                                          exif=exif))
  pixels = _decode(out.jpeg)
  assert pixels.shape == upright.shape
  assert np.abs(pixels[4, 4] - (255, 0, 0)).max() < 24  # Red stays top-left.
  assert np.abs(pixels[-5, -5] - (0, 0, 255)).max() < 24
  assert "exif_transposed" in out.notes
  # No orientation tag survives, so EXIF-aware readers do not turn it again.
  assert 0x0112 not in Image.open(io.BytesIO(out.jpeg)).getexif()


def test_upright_baseline_rgb_jpeg_keeps_its_bytes():
  data = _encoded(Image.fromarray(_halves()), "JPEG", quality=90)
  out = image_files.to_rgb_jpeg(data)
  assert out.jpeg == data and out.notes == ("reused_bytes",)


def test_progressive_jpeg_is_reencoded_as_baseline():
  data = _encoded(Image.fromarray(_halves()), "JPEG", progressive=True)
  out = image_files.to_rgb_jpeg(data)
  assert out.jpeg != data and "reencoded" in out.notes
  assert not Image.open(io.BytesIO(out.jpeg)).info.get("progressive")


def test_max_side_caps_the_longer_side_and_keeps_aspect():
  data = _encoded(Image.fromarray(_halves(60, 200)), "JPEG", quality=95)
  out = image_files.to_rgb_jpeg(data, max_side=50)
  assert (out.width, out.height) == (50, 15)
  assert _decode(out.jpeg).shape == (15, 50, 3)
  assert image_files.to_rgb_jpeg(data, max_side=500).jpeg == data


# --- Files that are skipped -----------------------------------------------


def test_zero_byte_file_is_skipped_as_empty():
  with pytest.raises(image_files.SkippedImage) as e:
    image_files.to_rgb_jpeg(b"")
  assert e.value.reason == image_files.EMPTY


def test_truncated_jpeg_is_skipped_as_undecodable():
  data = _encoded(Image.fromarray(_halves(64, 64)), "JPEG", quality=95)
  with pytest.raises(image_files.SkippedImage) as e:
    image_files.to_rgb_jpeg(data[: len(data) // 2])
  assert e.value.reason == image_files.UNDECODABLE


def test_text_file_named_jpg_is_skipped_as_undecodable():
  with pytest.raises(image_files.SkippedImage) as e:
    image_files.to_rgb_jpeg(b"just some notes\n")
  assert e.value.reason == image_files.UNDECODABLE


@pytest.mark.parametrize("name,expected", [
    (".DS_Store", True), ("Thumbs.db", True), ("desktop.ini", True),
    ("._cat.1.jpg", True), ("cat.1.jpg", False), (".cat.jpg", False),
])
def test_system_files_are_recognised(name, expected):
  assert image_files.is_system_file(name) == expected


def test_ordered_map_keeps_input_order_across_threads():
  items = list(range(200))
  out = image_files.ordered_map(lambda i: i * i, items, workers=4, window=3)
  assert list(out) == [i * i for i in items]


# --- Decompression bombs: one limit, read from the header --------------------


def _huge_bmp(width: int, height: int) -> bytes:
  out = io.BytesIO()
  Image.new("RGB", (1, 1)).save(out, format="BMP")
  data = bytearray(out.getvalue())
  data[18:26] = struct.pack("<ii", width, height)
  return bytes(data)


@pytest.mark.parametrize("data", [helpers.huge_png(20000, 20000),
                                  _huge_bmp(15000, 12000)])
def test_images_over_the_pixel_limit_are_refused_from_the_header(data):
  with pytest.raises(image_files.ImageTooLarge, match="over the limit of "
                     f"{image_files.MAX_PIXELS:,}"):
    image_files.check_size(data)
  with pytest.raises(image_files.SkippedImage) as e:
    image_files.to_rgb_jpeg(data)
  assert e.value.reason == image_files.TOO_LARGE
  image_files.check_size(  # A photo passes.
      _encoded(Image.fromarray(_halves()), "JPEG"))
