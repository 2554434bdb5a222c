"""Image files that once decoded differently, or crashed a decoder.

For the tests of `image_files` and of the tools that read a user's file:
one of each kind whose pixels once differed between the dataset builder and
`predict`, and corrupt files on which Pillow raises something other than
OSError.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

HEIGHT, WIDTH = 24, 32


def gradient() -> np.ndarray:
  """Smooth RGB [HEIGHT, WIDTH, 3], so that JPEG changes it by a level or
  two only."""
  y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
  return np.stack([x * 255 // (WIDTH - 1), y * 255 // (HEIGHT - 1),
                   np.full_like(x, 90)], axis=-1).astype(np.uint8)


def encoded(image: Image.Image | np.ndarray, fmt: str, **kwargs) -> bytes:
  """The bytes of `image` saved as `fmt`."""
  if isinstance(image, np.ndarray):
    image = Image.fromarray(image)
  out = io.BytesIO()
  image.save(out, format=fmt, **kwargs)
  return out.getvalue()


def same_pixel_files() -> dict[str, bytes]:
  """File name -> bytes: one of each kind the two readers once differed on.

  Transparency (alpha, fully transparent, palette with a transparent
  colour), palette, 16-bit gray, int32 with values up to 2**31 - 1, CMYK,
  EXIF rotation, and a plain JPEG the builder stores as it is.
  """
  rgb = gradient()
  alpha = np.tile(np.linspace(0, 255, WIDTH, dtype=np.uint8), (HEIGHT, 1))
  exif = Image.Exif()
  exif[0x0112] = 6  # Shown after a clockwise quarter turn.
  deep = np.tile(np.linspace(0, 2**31 - 1, WIDTH), (HEIGHT, 1))
  return {
      "alpha.png": encoded(np.dstack([rgb, alpha]), "PNG"),
      "transparent.png": encoded(
          np.dstack([rgb // 3, np.zeros((HEIGHT, WIDTH), np.uint8)]), "PNG"),
      "palette.png": encoded(Image.fromarray(rgb).quantize(16), "PNG"),
      "palette_transparent.gif": encoded(
          Image.fromarray(rgb).quantize(16), "GIF", transparency=0),
      "gray16.png": encoded(rgb[..., 0].astype(np.uint16) * 257, "PNG"),
      "int32.tif": encoded(deep.astype(np.int32), "TIFF"),
      "cmyk.jpg": encoded(Image.fromarray(rgb).convert("CMYK"), "JPEG",
                          quality=95),
      "rotated.jpg": encoded(Image.fromarray(rgb).transpose(
          Image.Transpose.ROTATE_90), "JPEG", quality=95, exif=exif),
      "plain.jpg": encoded(rgb, "JPEG", quality=95),
  }


def _with_byte(data: bytes, index: int, value: int) -> bytes:
  data = bytearray(data)
  data[index] = value
  return bytes(data)


def corrupt_dds() -> bytes:
  """Pixel format flags 0: Pillow raises NotImplementedError."""
  return _with_byte(encoded(gradient(), "DDS"), 80, 0)


def corrupt_qoi() -> bytes:
  """Pillow raises IndexError."""
  return _with_byte(encoded(gradient(), "QOI"), 5, 1)


def corrupt_im() -> bytes:
  """A width of 0.32 pixels: Pillow raises TypeError."""
  return encoded(Image.fromarray(gradient()).convert("RGBA"), "IM").replace(
      b": 32*24", b":.32*24")


def corrupt_spider() -> bytes:
  """Pillow raises AttributeError."""
  return _with_byte(encoded(gradient(), "SPIDER"), 107, 0x7F)


def corrupt_blp() -> bytes:
  """Compression 0: Pillow raises BLPFormatError (a NotImplementedError)."""
  return _with_byte(encoded(Image.fromarray(gradient()).convert("P"), "BLP"),
                    4, 0)


# Name -> (bytes, what Pillow raised through the builder).
CORRUPT = {
    "bad_dds.jpg": (corrupt_dds, "NotImplementedError: Unknown pixel format "
                                 "flags 0"),
    "photo.png": (corrupt_qoi, "IndexError: index out of range"),
    "scan.im": (corrupt_im, "TypeError"),
    "stack.spi": (corrupt_spider, "AttributeError"),
    "texture.blp": (corrupt_blp, "BLPFormatError: Unknown BLP compression"),
}
