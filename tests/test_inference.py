"""Predicting letters from image files through the export.

Every image argument gets its own answer: predictions, or an error naming
what is wrong with that file.
"""

from __future__ import annotations

import keras
import numpy as np
from PIL import Image
import pytest

from tests import helpers
from tfds_builders.common import image_files
from trainers.analysis import backends
from trainers.analysis import inference

LETTERS = list(helpers.LETTERS)


def probabilities(result) -> dict[str, float]:
  return {p["label"]: p["probability"] for p in result["predictions"]}


def test_prediction_matches_the_model_on_course_preprocessing(
    trained_asl_workdir, hand, tmp_path):
  backend = backends.load(trained_asl_workdir)
  model = keras.models.load_model(trained_asl_workdir / "model.keras")
  expected = model(hand[None, :, :, None].astype(np.float32) / 255.0)[0]
  result = inference.predict_file(
      backend, helpers.save_image(hand, tmp_path / "h.png"), top_k=24)
  got = probabilities(result)
  np.testing.assert_allclose([got[l] for l in LETTERS], expected, atol=1e-5)
  ranked = [p["probability"] for p in result["predictions"]]
  assert ranked == sorted(ranked, reverse=True)


@pytest.mark.parametrize("suffix", ["png", "jpg"])
def test_color_and_grayscale_files_of_any_size_agree(trained_asl_workdir,
                                                     hand, tmp_path, suffix):
  backend = backends.load(trained_asl_workdir)
  gray = helpers.save_image(hand, tmp_path / f"gray.{suffix}")
  color = helpers.save_image(np.repeat(hand[:, :, None], 3, axis=2),
                             tmp_path / f"color.{suffix}")
  big = helpers.save_image(  # 252x196, stretched.
      np.kron(hand, np.ones((9, 7), np.uint8)), tmp_path / f"big.{suffix}")
  results = [inference.predict_file(backend, p, top_k=3)
             for p in (gray, color, big)]
  for result in results:
    assert "error" not in result
    assert len(result["predictions"]) == 3
    assert all(p["label"] in LETTERS for p in result["predictions"])
    assert all(0.0 <= p["probability"] <= 1.0 for p in result["predictions"])
  # Equal gray channels convert to the same grayscale image.
  tolerance = 1e-3 if suffix == "png" else 0.05  # JPEG compresses color.
  gray_p, color_p = probabilities(results[0]), probabilities(results[1])
  for label in set(gray_p) & set(color_p):
    assert abs(gray_p[label] - color_p[label]) < tolerance


def test_a_bad_file_gets_its_own_error(trained_asl_workdir, hand, tmp_path):
  backend = backends.load(trained_asl_workdir)
  text = tmp_path / "notes.txt"
  text.write_text("not an image")
  result = inference.predict_file(backend, str(text))
  assert "not a PNG, JPEG" in result["error"] and "predictions" not in result
  missing = inference.predict_file(backend, str(tmp_path / "no.png"))
  assert "no such file" in missing["error"]


@pytest.fixture(name="photo")
def _photo(tmp_path):
  path = tmp_path / "photo.png"
  Image.new("L", (40, 30), 128).save(path)
  return str(path)


def test_predict_answers_each_argument(trained_asl_workdir, tmp_path, photo):
  backend = backends.load(trained_asl_workdir)
  bomb = tmp_path / "bomb.png"
  bomb.write_bytes(helpers.huge_png(20000, 20000))
  folder = tmp_path / "some_folder"
  folder.mkdir()
  paths = [str(folder), photo, str(bomb), f"{photo}/inside"]
  results = [inference.predict_file(backend, p) for p in paths]
  assert [r["path"] for r in results] == paths
  assert results[0]["error"].startswith("a folder, not an image file")
  assert len(results[1]["predictions"]) == 1
  assert results[2]["error"] == (
      "too large: 400,000,000 pixels is over the limit of "
      f"{image_files.MAX_PIXELS:,} (a decompression bomb?); shrink the image "
      "first.")
  assert "error" in results[3]


def test_predict_file_refuses_a_bomb_before_decoding(trained_asl_workdir,
                                                     tmp_path):
  backend = backends.load(trained_asl_workdir)
  bomb = tmp_path / "bomb.png"
  bomb.write_bytes(helpers.huge_png(15000, 12000))
  result = inference.predict_file(backend, str(bomb))
  assert result["error"].startswith("too large: 180,000,000 pixels")
