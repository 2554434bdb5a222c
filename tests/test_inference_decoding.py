"""`predict` and `visualize` decode a file as the builder does: the same
pixels, and a file Pillow fails on gets an error of its own."""

from __future__ import annotations


import numpy as np
from PIL import Image
import pytest

from tests import odd_images
from tfds_builders.common import image_files
from trainers.analysis import backends
from trainers.analysis import inference
from trainers.analysis import introspection
from trainers.run_dir import workdir as workdir_lib


def _rgb(image: np.ndarray) -> np.ndarray:
  """What a model of RGB input is given: gray copied to three channels."""
  return np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image


@pytest.mark.parametrize("name", sorted(odd_images.same_pixel_files()))
def test_read_image_gives_the_pixels_the_builder_stores(tmp_path, name):
  data = odd_images.same_pixel_files()[name]
  path = tmp_path / name
  path.write_bytes(data)
  read = inference.read_image(path).numpy()
  assert read.dtype == np.uint8 and read.shape[-1] in (1, 3)  # No alpha.
  rgb = _rgb(read)
  stored = image_files.to_rgb_jpeg(data).jpeg
  if stored == data:  # An upright RGB JPEG, stored as it came.
    np.testing.assert_array_equal(rgb, np.asarray(Image.open(path)))
  else:  # The builder stored these very pixels, JPEG-compressed.
    assert stored == odd_images.encoded(rgb, "JPEG", quality=95)


@pytest.mark.parametrize("name, upright", [
    ("transparent.png", lambda rgb: np.full_like(rgb, 255)),
    ("rotated.jpg", lambda rgb: rgb),
    ("int32.tif", None),
])
def test_read_image_converts_as_the_builder_does(tmp_path, name, upright):
  path = tmp_path / name
  path.write_bytes(odd_images.same_pixel_files()[name])
  read = _rgb(inference.read_image(path).numpy()).astype(int)
  if upright is None:  # int32 up to 2**31 - 1: a ramp, not all white.
    expected = np.rint(np.linspace(0, 255, odd_images.WIDTH))
    assert np.abs(read[0, :, 0] - expected).max() <= 1
  else:
    expected = upright(odd_images.gradient()).astype(int)
    assert read.shape == expected.shape
    assert np.abs(read - expected).mean() < 3


@pytest.mark.parametrize("name", sorted(odd_images.CORRUPT))
def test_a_file_pillow_fails_on_is_an_image_read_error(tmp_path, name):
  make, error = odd_images.CORRUPT[name]
  path = tmp_path / name
  path.write_bytes(make())
  with pytest.raises(inference.ImageReadError) as e:
    inference.read_image(path)
  assert str(e.value).startswith(
      f"{path}: not a PNG, JPEG or other image Pillow reads: {error}")


def test_an_empty_file_is_an_image_read_error(tmp_path):
  path = tmp_path / "empty.jpg"
  path.write_bytes(b"")
  with pytest.raises(inference.ImageReadError) as e:
    inference.read_image(path)
  assert str(e.value) == f"{path}: empty file"


def test_predict_answers_the_files_after_a_bad_one(trained_asl_workdir,
                                                   tmp_path):
  backend = backends.load(trained_asl_workdir)
  bad, ok = tmp_path / "bad_dds.jpg", tmp_path / "ok.jpg"
  bad.write_bytes(odd_images.corrupt_dds())
  ok.write_bytes(odd_images.same_pixel_files()["plain.jpg"])
  results = [inference.predict_file(backend, str(p)) for p in (bad, ok)]
  assert results[0] == {
      "path": str(bad), "error": "not a PNG, JPEG or other image Pillow "
      "reads: NotImplementedError: Unknown pixel format flags 0"}
  assert len(results[1]["predictions"]) == 1


def test_visualize_refuses_a_bad_file_by_name(trained_asl_workdir, tmp_path):
  model = workdir_lib.load_model(trained_asl_workdir)
  bad = tmp_path / "bad_dds.jpg"
  bad.write_bytes(odd_images.corrupt_dds())
  with pytest.raises(inference.ImageReadError, match=f"^{bad}: not a PNG"):
    introspection.load_image(bad, model)
