"""The pixels a built dataset stores for a file are those `predict` gives
the model; the `predict` command answers every file after a bad one."""

from __future__ import annotations

import io
import json

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

from tests import helpers
from tests import odd_images
from trainers.analysis import inference


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
  """The source folder, and the JPEG bytes the dataset stores per file."""
  root = tmp_path_factory.mktemp("same_pixels")
  files = odd_images.same_pixel_files()
  helpers.write_tree(root / "src", {
      f"train/{folder}/{name}": data for name, data in files.items()
      for folder in ("cats", "dogs")})
  builder = helpers.build_dataset("cats_dogs", root / "src", root / "tfds")
  jpegs = {ex["file_name"].decode(): ex["image"] for ex in tfds.as_numpy(
      builder.as_dataset(split="train",
                         decoders={"image": tfds.decode.SkipDecoding()}))}
  return root / "src", jpegs


@pytest.mark.parametrize("name", sorted(odd_images.same_pixel_files()))
def test_predict_reads_the_pixels_the_builder_stores(stored, name):
  src, jpegs = stored
  path = src / "train/cats" / name
  jpeg = jpegs[f"train/cats/{name}"]
  read = inference.read_image(path).numpy()
  assert read.shape[-1] in (1, 3)  # Never alpha.
  rgb = np.repeat(read, 3, axis=-1) if read.shape[-1] == 1 else read
  if jpeg == path.read_bytes():  # An upright RGB JPEG, stored as it came.
    np.testing.assert_array_equal(rgb, np.asarray(Image.open(io.BytesIO(jpeg))))
  else:  # The builder stored these very pixels, JPEG-compressed.
    assert jpeg == odd_images.encoded(rgb, "JPEG", quality=95)
  # As the dataset decodes them: a level or two apart (JPEG; TF's faster
  # inverse DCT).
  kept = tfds.features.Image(encoding_format="jpeg").decode_example(
      jpeg).numpy()
  assert np.abs(kept.astype(int) - rgb).mean() < 8


def test_predict_command_answers_ok_file_after_bad_one(trained_asl_workdir,
                                                       tmp_path):
  bad, ok = tmp_path / "bad_dds.jpg", tmp_path / "ok.jpg"
  bad.write_bytes(odd_images.corrupt_dds())
  ok.write_bytes(odd_images.same_pixel_files()["plain.jpg"])
  result = helpers.run_module("trainers.predict",
                              f"--workdir={trained_asl_workdir}", "--json",
                              str(bad), str(ok))
  assert result.returncode == 1, result.stderr[-2000:]
  assert "Traceback" not in result.stderr
  answers = json.loads(result.stdout)
  assert [a["path"] for a in answers] == [str(bad), str(ok)]
  assert "error" in answers[0] and len(answers[1]["predictions"]) == 1
