"""`predict` and `visualize` read a file as the builder does: the pixels the
builder stores are the pixels the model is given, and a file Pillow fails on
gets an error line of its own."""

from __future__ import annotations

import io
import json
import os
import pathlib
import subprocess
import sys

from etils import epath
import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import tfds_builders  # pylint: disable=unused-import
from trainers.analysis import inference
from trainers.analysis import introspection
from trainers.run_dir import export
from trainers.run_dir import workdir as workdir_lib

ROOT = pathlib.Path(__file__).resolve().parents[1]
_H, _W = 24, 32


def _gradient() -> np.ndarray:
  """Smooth RGB, so that JPEG storage changes it by a level or two only."""
  y, x = np.mgrid[0:_H, 0:_W]
  return np.stack([x * 255 // (_W - 1), y * 255 // (_H - 1),
                   np.full_like(x, 90)], axis=-1).astype(np.uint8)


def _save(image: Image.Image, fmt: str, **kwargs) -> bytes:
  out = io.BytesIO()
  image.save(out, format=fmt, **kwargs)
  return out.getvalue()


def _files() -> dict[str, bytes]:
  """One file of each kind whose decoding once differed between the two."""
  rgb = _gradient()
  rgba = np.dstack([rgb, np.tile(np.linspace(0, 255, _W, dtype=np.uint8),
                                 (_H, 1))])
  exif = Image.Exif()
  exif[0x0112] = 6  # Shown after a clockwise quarter turn.
  deep = np.tile(np.linspace(0, 2**31 - 1, _W), (_H, 1)).astype(np.int32)
  return {
      "alpha.png": _save(Image.fromarray(rgba), "PNG"),
      "transparent.png": _save(Image.fromarray(
          np.dstack([rgb // 3, np.zeros((_H, _W), np.uint8)])), "PNG"),
      "palette.png": _save(Image.fromarray(rgb).quantize(16), "PNG"),
      "palette_transparent.gif": _save(
          Image.fromarray(rgb).quantize(16), "GIF", transparency=0),
      "gray16.png": _save(Image.fromarray(
          (rgb[..., 0].astype(np.uint16) * 257)), "PNG"),
      "int32.tif": _save(Image.fromarray(deep), "TIFF"),
      "cmyk.jpg": _save(Image.fromarray(rgb).convert("CMYK"), "JPEG",
                        quality=95),
      "rotated.jpg": _save(Image.fromarray(rgb).transpose(
          Image.Transpose.ROTATE_90), "JPEG", quality=95, exif=exif),
      "plain.jpg": _save(Image.fromarray(rgb), "JPEG", quality=95),
  }


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
  """The files, and the JPEG bytes a built dataset stores for each."""
  src = epath.Path(tmp_path_factory.mktemp("same_pixels")) / "src"
  for name, data in _files().items():
    for split_class in ("train/cats", "train/dogs"):
      (src / split_class).mkdir(parents=True, exist_ok=True)
      (src / split_class / name).write_bytes(data)
  builder = tfds.builder("cats_dogs", data_dir=str(src.parent / "tfds"))
  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
      manual_dir=str(src)))
  jpegs = {ex["file_name"].decode(): ex["image"] for ex in tfds.as_numpy(
      builder.as_dataset(split="train",
                         decoders={"image": tfds.decode.SkipDecoding()}))}
  return src, jpegs


def _pixels(jpeg: bytes) -> np.ndarray:
  return np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))


@pytest.mark.parametrize("name", sorted(_files()))
def test_predict_reads_the_pixels_the_builder_stores(stored, name):
  src, jpegs = stored
  path = src / "train/cats" / name
  jpeg = jpegs[f"train/cats/{name}"]
  read = inference.read_image(path).numpy()
  assert read.shape[-1] in (1, 3)  # Never alpha.
  # What a model of RGB input is given: gray copied to all three channels.
  rgb = np.repeat(read, 3, axis=-1) if read.shape[-1] == 1 else read
  if jpeg == path.read_bytes():  # An upright RGB JPEG, stored as it came.
    np.testing.assert_array_equal(rgb, _pixels(jpeg))
  else:  # The builder stored these very pixels, JPEG-compressed.
    assert jpeg == _save(Image.fromarray(rgb), "JPEG", quality=95)
  # And as the dataset decodes them: a level or two apart (JPEG, TF's IDCT).
  kept = tfds.features.Image(encoding_format="jpeg").decode_example(
      jpeg).numpy()
  assert np.abs(kept.astype(int) - rgb).mean() < 8


def test_transparent_pixels_are_white_for_the_model(stored):
  src, _ = stored
  read = inference.read_image(src / "train/cats/transparent.png").numpy()
  assert (read == 255).all()


def _corrupt_dds() -> bytes:
  data = bytearray(_save(Image.fromarray(_gradient()), "DDS"))
  data[80] = 0  # Pixel format flags: Pillow raises NotImplementedError.
  return bytes(data)


def _corrupt_qoi() -> bytes:
  data = bytearray(_save(Image.fromarray(_gradient()), "QOI"))
  data[5] = 1  # Pillow raises IndexError.
  return bytes(data)


@pytest.mark.parametrize("name,data,error", [
    ("bad_dds.jpg", _corrupt_dds(), "NotImplementedError: Unknown pixel "
                                    "format flags 0"),
    ("photo.png", _corrupt_qoi(), "IndexError: index out of range"),
    ("scan.im", _save(Image.fromarray(_gradient()).convert("RGBA"),
                      "IM").replace(b": 32*24", b":.32*24"), "TypeError"),
])
def test_a_file_pillow_fails_on_is_an_image_read_error(tmp_path, name, data,
                                                       error):
  path = tmp_path / name
  path.write_bytes(data)
  with pytest.raises(inference.ImageReadError) as e:
    inference.read_image(path)
  assert str(e.value).startswith(
      f"{path}: not a PNG, JPEG or other image Pillow reads: {error}")


def test_predict_answers_the_files_after_a_bad_one(trained_asl_workdir,
                                                   tmp_path):
  loaded, names = export.load_export(trained_asl_workdir / "export")
  bad, ok = tmp_path / "bad_dds.jpg", tmp_path / "ok.jpg"
  bad.write_bytes(_corrupt_dds())
  ok.write_bytes(_files()["plain.jpg"])
  results = [inference.predict_file(loaded, names, str(p)) for p in (bad, ok)]
  assert results[0] == {
      "path": str(bad), "error": "not a PNG, JPEG or other image Pillow "
      "reads: NotImplementedError: Unknown pixel format flags 0"}
  assert len(results[1]["predictions"]) == 1


def test_visualize_refuses_a_bad_file_by_name(trained_asl_workdir, tmp_path):
  model = workdir_lib.load_model(trained_asl_workdir)
  bad = tmp_path / "bad_dds.jpg"
  bad.write_bytes(_corrupt_dds())
  with pytest.raises(inference.ImageReadError, match=f"^{bad}: not a PNG"):
    introspection.load_image(bad, model)


@pytest.mark.slow
def test_predict_command_answers_ok_file_after_bad_one(trained_asl_workdir,
                                                       tmp_path):
  bad, ok = tmp_path / "bad_dds.jpg", tmp_path / "ok.jpg"
  bad.write_bytes(_corrupt_dds())
  ok.write_bytes(_files()["plain.jpg"])
  result = subprocess.run(
      [sys.executable, "-m", "trainers.predict",
       f"--model={trained_asl_workdir}", "--json", str(bad), str(ok)],
      cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
      capture_output=True, text=True, timeout=300, check=False)
  assert result.returncode == 1, result.stderr[-2000:]
  assert "Traceback" not in result.stderr
  answers = json.loads(result.stdout)
  assert [a["path"] for a in answers] == [str(bad), str(ok)]
  assert "error" in answers[0] and len(answers[1]["predictions"]) == 1
