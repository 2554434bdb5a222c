"""Fixtures only the full tier needs: datasets built for a few tests."""

from __future__ import annotations

import numpy as np
import pytest

from tests import helpers
from tfds_builders.cats_dogs import make_sample
from tfds_builders.report import calibrate
from tfds_builders.sign_language_mnist import make_sample as asl_sample



@pytest.fixture
def no_export(monkeypatch):
  """This test's runs write no SavedModel; see `helpers.skip_export`."""
  helpers.skip_export(monkeypatch)


@pytest.fixture(scope="session")
def cats_dogs_data_dir(tmp_path_factory) -> str:
  """A TFDS data_dir holding a small prepared `cats_dogs`."""
  root = tmp_path_factory.mktemp("cats_dogs")
  make_sample.make_sample(str(root / "photos"), per_class=12,
                          test_per_class=4, size=48, seed=0)
  helpers.build_dataset("cats_dogs", root / "photos", root / "tfds")
  return str(root / "tfds")


_BASE_TRAIN, _BASE_TEST = 150, 40
# Copies planted into the data: (name, source row in train, where, make).
_PLANTS = [
    ("exact_within", 0, "train", lambda im: im),
    ("shift_within", 1, "train", lambda im: calibrate.shift(im, 0, -1)),
    ("jpeg_within", 2, "train", lambda im: calibrate.reencode(im, 90)),
    ("exact_across", 3, "test", lambda im: im),
    ("shift_across", 4, "test", lambda im: calibrate.shift(im, -1, 1)),
    ("brighter_across", 5, "test", lambda im: calibrate.brighter(im, add=20)),
    ("scaled_across", 6, "test", lambda im: calibrate.brighter(im, scale=1.1)),
    ("jpeg_across", 7, "test", lambda im: calibrate.reencode(im, 90)),
]


@pytest.fixture(scope="session")
def planted(tmp_path_factory):
  """A built sign_language_mnist with known copies; its source images."""
  root = tmp_path_factory.mktemp("planted")
  rng = np.random.default_rng(7)
  # Look-alikes: every image is another drawing of one of a few letters.
  labels = {"train": rng.integers(0, 3, _BASE_TRAIN),
            "test": rng.integers(0, 3, _BASE_TEST)}
  images = {split: asl_sample.render(labels[split], rng)[..., None]
            for split in labels}
  images = {k: list(v) for k, v in images.items()}
  labels = {k: list(v) for k, v in labels.items()}
  sources = {}
  for name, row, split, make in _PLANTS:
    images[split].append(make(images["train"][row]))
    labels[split].append(labels["train"][row])
    sources[name] = (row, split, len(images[split]) - 1)
  csv_dir = root / "csv"
  csv_dir.mkdir()
  for split, file in (("train", "sign_mnist_train.csv"),
                      ("test", "sign_mnist_test.csv")):
    asl_sample.write_csv(str(csv_dir / file), np.stack(images[split]),
                         asl_sample.raw_labels(np.array(labels[split]),
                                               "kaggle"), header=True)
  helpers.build_dataset("sign_language_mnist", csv_dir, root / "tfds")
  return {"data_dir": str(root / "tfds"), "images": images,
          "sources": sources}
