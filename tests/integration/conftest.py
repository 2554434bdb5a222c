"""Fixtures only the full tier needs: datasets built for a few tests."""

from __future__ import annotations

import pytest

from tests import helpers
from tfds_builders.cats_dogs import make_sample


@pytest.fixture(scope="session")
def cats_dogs_data_dir(tmp_path_factory) -> str:
  """A TFDS data_dir holding a small prepared `cats_dogs`."""
  root = tmp_path_factory.mktemp("cats_dogs")
  make_sample.make_sample(str(root / "photos"), per_class=12,
                          test_per_class=4, size=48, seed=0)
  helpers.build_dataset("cats_dogs", root / "photos", root / "tfds")
  return str(root / "tfds")
