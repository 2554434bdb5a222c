"""Tests for predicting letters from image files through the export."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
from PIL import Image
import pytest

from trainers.run_dir import export
from trainers.analysis import inference

ROOT = pathlib.Path(__file__).resolve().parents[1]
LETTERS = list("ABCDEFGHIKLMNOPQRSTUVWXY")


@pytest.fixture(scope="module")
def hand(asl_data_dir):
  """A 28x28 uint8 test image, as the dataset stores it."""
  import asl_pipeline  # pylint: disable=g-import-not-at-top
  images, _ = next(iter(asl_pipeline.eval_dataset(
      "sign_language_mnist", batch_size=1, data_dir=asl_data_dir)))
  return np.round(images.numpy()[0, :, :, 0] * 255).astype(np.uint8)


def write(image: np.ndarray, path: pathlib.Path) -> str:
  Image.fromarray(image).save(path)
  return str(path)


def probabilities(result) -> dict[str, float]:
  return {p["label"]: p["probability"] for p in result["predictions"]}


def test_prediction_matches_the_model_on_course_preprocessing(
    trained_asl_workdir, hand, tmp_path):
  loaded, names = export.load_export(trained_asl_workdir / "export")
  model = keras.models.load_model(trained_asl_workdir / "model.keras")
  expected = model(hand[None, :, :, None].astype(np.float32) / 255.0)[0]
  result = inference.predict_file(
      loaded, names, write(hand, tmp_path / "h.png"), top_k=24)
  got = probabilities(result)
  np.testing.assert_allclose([got[l] for l in LETTERS], expected, atol=1e-5)
  ranked = [p["probability"] for p in result["predictions"]]
  assert ranked == sorted(ranked, reverse=True)


@pytest.mark.parametrize("suffix", ["png", "jpg"])
def test_color_and_grayscale_files_of_any_size_agree(trained_asl_workdir,
                                                     hand, tmp_path, suffix):
  loaded, names = export.load_export(trained_asl_workdir / "export")
  gray = write(hand, tmp_path / f"gray.{suffix}")
  color = write(np.repeat(hand[:, :, None], 3, axis=2),
                tmp_path / f"color.{suffix}")
  big = write(np.kron(hand, np.ones((9, 7), np.uint8)),  # 252x196, stretched.
              tmp_path / f"big.{suffix}")
  results = [inference.predict_file(loaded, names, p, top_k=3)
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
  loaded, names = export.load_export(trained_asl_workdir / "export")
  text = tmp_path / "notes.txt"
  text.write_text("not an image")
  result = inference.predict_file(loaded, names, str(text))
  assert "not a PNG, JPEG" in result["error"] and "predictions" not in result
  missing = inference.predict_file(loaded, names, str(tmp_path / "no.png"))
  assert "no such file" in missing["error"]


@pytest.mark.slow
def test_cli_answers_good_files_and_fails_on_bad_ones(trained_asl_workdir, hand,
                                                      tmp_path):
  good = [write(hand, tmp_path / "a.png"),
          write(np.dstack([hand, hand // 2, hand]), tmp_path / "b.jpg")]
  bad = tmp_path / "c.png"
  bad.write_bytes(b"\x89PNG but truncated")
  result = subprocess.run(
      [sys.executable, "-m", "trainers.predict",
       f"--model={trained_asl_workdir}",
       "--top_k=2", "--json", *good, str(bad)],
      cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
      capture_output=True, text=True, timeout=300, check=False)
  assert result.returncode == 1, result.stderr[-2000:]
  answers = json.loads(result.stdout)
  assert [a["path"] for a in answers] == good + [str(bad)]
  assert all(len(a["predictions"]) == 2 for a in answers[:2])
  assert "error" in answers[2]
  assert f"{bad}: error:" in result.stderr


@pytest.mark.slow
def test_sample_images_writes_dataset_images_named_by_label(
    asl_data_dir, hand, tmp_path):
  result = subprocess.run(
      [sys.executable, "-m", "trainers.sample_images",
       f"--data_dir={asl_data_dir}", f"--out={tmp_path}", "--count=2"],
      cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
      capture_output=True, text=True, timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-2000:]
  files = sorted(tmp_path.glob("*.png"))
  assert len(files) == 2
  assert files[0].stem.split("_")[1] in LETTERS
  np.testing.assert_array_equal(np.asarray(Image.open(files[0])), hand)
