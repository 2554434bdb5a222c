"""One odd file never stops a build: whatever Pillow raises on one file,
the file is skipped and counted under a reason, and only failures of the
process itself (out of memory, an interrupt) propagate."""

from __future__ import annotations

import io
import os
import random

from etils import epath
import numpy as np
from PIL import Image
import pytest

from tests import odd_images
from tfds_builders.cats_dogs import folder_source
from tfds_builders.cats_dogs import tree_walk
from tfds_builders.common import image_files
from tfds_builders.common import image_modes

_PIXELS = np.random.default_rng(0).integers(0, 255, (12, 16, 3), np.uint8)
# Modes a seed image is written in, each format taking those it can.
_MODES = ("RGB", "RGBA", "L", "P", "I;16", "F")


def _encoded(fmt: str, mode: str = "RGB") -> bytes:
  if mode == "I;16":
    image = Image.fromarray(_PIXELS[..., 0].astype(np.uint16) * 257)
  else:
    image = Image.fromarray(_PIXELS).convert(mode)
  out = io.BytesIO()
  image.save(out, format=fmt)
  return out.getvalue()


def _seeds() -> dict[tuple[str, str], bytes]:
  """Every format Pillow both writes and reads, in each mode it takes."""
  Image.init()
  seeds = {}
  for fmt in sorted(set(Image.SAVE) & set(Image.OPEN)):
    for mode in _MODES:
      try:
        data = _encoded(fmt, mode)
        Image.open(io.BytesIO(data)).load()
      except Exception:  # pylint: disable=broad-exception-caught
        continue  # A mode the format does not take, or a stub plugin.
      seeds[(fmt, mode)] = data
  return seeds


def _mutate(data: bytes, rng: random.Random) -> bytes:
  """The kinds of damage files get: flipped bytes, a cut, inserted bytes."""
  data = bytearray(data)
  kind = rng.randrange(4)
  if kind == 0:  # Scattered bit rot.
    for _ in range(rng.randint(1, 4)):
      data[rng.randrange(len(data))] = rng.randrange(256)
  elif kind == 1:  # A download cut short.
    del data[rng.randrange(1, len(data)):]
  elif kind == 2:  # A header field set to an extreme.
    data[rng.randrange(min(len(data), 128))] = rng.choice([0, 1, 0x7F, 0xFF])
  else:  # Bytes inserted.
    at = rng.randrange(len(data))
    data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
  return bytes(data)


@pytest.mark.parametrize("name", sorted(odd_images.CORRUPT))
def test_corrupt_files_of_any_format_are_skipped_as_undecodable(name):
  make, error = odd_images.CORRUPT[name]
  for convert in (image_files.to_rgb_jpeg, image_files.to_pixels):
    with pytest.raises(image_files.SkippedImage) as e:
      convert(make())
    assert e.value.reason == image_files.UNDECODABLE
    assert e.value.detail.startswith(error)


def test_a_failure_while_encoding_is_skipped_and_named(monkeypatch):
  def broken_save(*args, **kwargs):
    raise OSError("broken data stream when writing image file")
  data = _encoded("PNG")
  monkeypatch.setattr(Image.Image, "save", broken_save)
  with pytest.raises(image_files.SkippedImage) as e:
    image_files.to_rgb_jpeg(data)
  assert e.value.reason == image_files.UNENCODABLE
  assert "broken data stream" in e.value.detail


@pytest.mark.parametrize("error", [IndexError, NotImplementedError,
                                   TypeError, RuntimeError])
def test_a_failure_while_converting_is_skipped(monkeypatch, error):
  def broken(image):
    raise error("odd mode")
  monkeypatch.setattr(image_modes, "to_rgb_or_gray", broken)
  for convert in (image_files.to_rgb_jpeg, image_files.to_pixels):
    with pytest.raises(image_files.SkippedImage) as e:
      convert(_encoded("PNG", "RGBA"))
    assert e.value.reason == image_files.UNCONVERTIBLE
    assert e.value.detail == f"{error.__name__}: odd mode"


@pytest.mark.parametrize("error", [MemoryError, KeyboardInterrupt,
                                   SystemExit])
def test_failures_of_the_process_are_not_skipped(monkeypatch, error):
  def out_of_memory(*args, **kwargs):
    raise error()
  monkeypatch.setattr(Image, "open", out_of_memory)
  with pytest.raises(error):
    image_files.to_rgb_jpeg(_encoded("PNG"))
  with pytest.raises(error):
    image_files.check_size(_encoded("PNG"))
  monkeypatch.undo()
  monkeypatch.setattr(image_modes, "to_rgb_or_gray", out_of_memory)
  with pytest.raises(error):
    image_files.to_pixels(_encoded("PNG", "L"))


def test_check_size_leaves_corrupt_headers_to_the_decoder():
  for make, _ in odd_images.CORRUPT.values():
    image_files.check_size(make())


def test_fuzzed_images_of_every_format_are_stored_or_skipped(monkeypatch):
  # Headers mutated to declare a large size are refused before decoding,
  # as a bomb would be, which keeps this test to seconds.
  monkeypatch.setattr(image_files, "MAX_PIXELS", 1 << 18)
  seeds = _seeds()
  assert {"BMP", "DDS", "GIF", "IM", "JPEG", "PNG", "QOI", "TIFF",
          "WEBP"} <= {fmt for fmt, _ in seeds}
  rng = random.Random(1234)
  reasons = set()
  for (fmt, mode), data in sorted(seeds.items()):
    for _ in range(4):
      mutated = _mutate(data, rng)
      for convert in (image_files.to_rgb_jpeg, image_files.to_pixels):
        try:
          convert(mutated)
        except image_files.SkippedImage as e:
          reasons.add(e.reason)
        except Exception as e:  # pylint: disable=broad-exception-caught
          pytest.fail(f"{fmt} {mode}: {convert.__name__} raised "
                      f"{type(e).__name__}: {e}")
  assert image_files.UNDECODABLE in reasons


def test_read_file_skips_what_cannot_be_read(tmp_path):
  for path in (tmp_path / "gone.jpg", tmp_path):
    with pytest.raises(image_files.SkippedImage) as e:
      image_files.read_file(path)
    assert e.value.reason == image_files.UNREADABLE


def test_int32_image_is_scaled_by_its_range_not_clipped_white():
  values = np.linspace(0, 2**31 - 1, 16 * 12).reshape(12, 16)
  data = io.BytesIO()
  Image.fromarray(values.astype(np.int32)).save(data, format="TIFF")
  pixels = image_files.to_pixels(data.getvalue())[..., 0].astype(int)
  expected = np.rint(values / (2**31 - 1) * 255)
  assert np.abs(pixels - expected).max() <= 1
  stored = np.asarray(Image.open(io.BytesIO(
      image_files.to_rgb_jpeg(data.getvalue()).jpeg))).astype(int)
  assert stored.mean() < 160  # Not all white.


@pytest.mark.parametrize("values", [[np.nan, 0.5], [np.inf, 1.0],
                                    [-3.0, 70000.0]])
def test_float_images_with_odd_values_convert(values):
  image = Image.fromarray(np.resize(np.float32(values), (4, 4)))
  pixels = np.asarray(image_modes.to_rgb_or_gray(image))
  assert pixels.dtype == np.uint8 and pixels.shape == (4, 4)


# --- Files that are not regular files ---------------------------------------


def test_special_files_are_skipped_not_read(tmp_path):
  # Reading a named pipe would wait forever.
  root = epath.Path(tmp_path)
  (root / "train/cats").mkdir(parents=True)
  (root / "train/dogs").mkdir()
  (root / "train/cats/a.jpg").write_bytes(_encoded("JPEG"))
  (root / "train/dogs/b.jpg").write_bytes(_encoded("JPEG"))
  os.mkfifo(root / "train/cats/pipe.jpg")
  os.symlink("pipe.jpg", root / "train/cats/link_to_pipe.jpg")
  _, sources = folder_source.scan(root, "cats_dogs")
  assert [e.key for e in sources["train"].entries] == ["train/cats/a.jpg",
                                                       "train/dogs/b.jpg"]
  assert sources["train"].counts == {tree_walk.SPECIAL_FILES: 2}
