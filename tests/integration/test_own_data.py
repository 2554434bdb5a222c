"""A new user's own data, from the command line: any classes, any splits."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image
import pytest

from tests import helpers
from tfds_builders.sign_language_mnist import make_sample as asl_sample

_CLASSES = ("fresh apples", "fresh banana", "fresh oranges",
            "rotten apples", "rotten banana", "rotten oranges")


def _six_class_tree(root):
  """RGBA PNGs with spaces in the names; train/ and valid/, no test/."""
  rng = np.random.default_rng(0)
  for split, count in (("train", 12), ("valid", 4)):
    for k, name in enumerate(_CLASSES):
      for i in range(count):
        pixels = rng.integers(0, 60, (32, 32, 4), dtype=np.uint8)
        pixels[..., k % 3] += 150
        pixels[:5 * (k + 1), :6, :3] = 255  # A mark that tells the class.
        pixels[..., 3] = 255 if k < 3 else 160
        folder = root / split / name
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels, "RGBA").save(folder / f"photo {i}.png")


def _tfds_build(*args: str) -> subprocess.CompletedProcess:
  tfds = os.path.join(os.path.dirname(sys.executable), "tfds")
  return subprocess.run([tfds, "build", *args, "--imports=tfds_builders"],
                        capture_output=True, text=True, timeout=300,
                        env=helpers.command_env())


def test_a_six_class_folder_trains_evaluates_and_predicts(tmp_path, capsys):
  photos, data_dir = tmp_path / "my photos", tmp_path / "tfds"
  _six_class_tree(photos)
  build = _tfds_build("cats_dogs", "--config=folder",
                      f"--manual_dir={photos}", f"--data_dir={data_dir}")
  assert build.returncode == 0, build.stderr[-2000:]
  run = tmp_path / "run"
  # The trainer as a user starts it; the commands after it run in this
  # process (the same flags and main, a TensorFlow start-up less each).
  train = helpers.run_module(
      "trainers.cats_dogs", "--flagfile=photo_folder", "--image_size=32",
      "--epochs=2", "--precise_bn_batches=2", f"--data_dir={data_dir}",
      f"--workdir={run}")
  assert train.returncode == 0, train.stderr[-2000:]
  assert ("validation 24 (validation); no test (the dataset has no test "
          "split)") in train.stdout
  metrics = json.loads((run / "metrics.json").read_text())
  assert "test" not in metrics and len(metrics["history"]) == 2

  assert helpers.execute("trainers.evaluate", f"--workdir={run}") == 0
  evaluate = capsys.readouterr()
  assert "No test split: evaluating the run's validation examples." in (
      evaluate.out), evaluate.err[-2000:]
  scores = json.loads((run / "scores_validation.json").read_text())
  assert set(_CLASSES) <= set(scores["classes"])

  photo = photos / "valid" / "rotten banana" / "photo 0.png"
  visualize = helpers.execute("trainers.visualize", f"--workdir={run}",
                              f"--image={photo}",
                              f"--out={tmp_path / 'pictures'}")
  assert visualize == 0, capsys.readouterr().err[-2000:]
  capsys.readouterr()
  assert helpers.execute("trainers.predict", f"--workdir={run}", "--json",
                         str(photo)) == 0, capsys.readouterr().err[-2000:]
  (answer,) = json.loads(capsys.readouterr().out)
  assert answer["predictions"][0]["label"] in _CLASSES


@pytest.mark.usefixtures("no_export")  # It reads no SavedModel.
def test_a_forced_label_scheme_trains_by_its_config_name(tmp_path, capsys):
  csv_dir, data_dir = tmp_path / "csv", tmp_path / "tfds"
  asl_sample.make_sample(str(csv_dir), train_rows=160, test_rows=32)
  build = _tfds_build(
      "sign_language_mnist",
      '--config={"name": "kaggle", "label_scheme": "kaggle"}',
      f"--manual_dir={csv_dir}", f"--data_dir={data_dir}")
  assert build.returncode == 0, build.stderr[-2000:]
  # The trainer's command line, in this process.
  status = helpers.execute(
      "trainers.asl", "--dataset=sign_language_mnist/kaggle", "--epochs=1",
      "--steps_per_epoch=2", "--batch_size=16", "--precise_bn_batches=2",
      f"--data_dir={data_dir}", f"--workdir={tmp_path / 'run'}")
  train = capsys.readouterr()
  assert status == 0, train.err[-2000:]
  assert "Data: sign_language_mnist/kaggle: train" in train.out
