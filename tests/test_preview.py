"""The preview draws a titled grid of training images."""

from __future__ import annotations

import numpy as np
from PIL import Image

from asl_pipeline import preview
from tests import helpers


def test_grid_shows_a_training_batch_titled_with_letters(
    asl_data_dir, tmp_path, monkeypatch):
  drawn = {}
  monkeypatch.setattr(preview, "save_grid",
                      lambda images, titles, out, suptitle="": drawn.update(
                          images=images, titles=titles))
  preview.preview("sign_language_mnist", str(tmp_path / "g.png"),
                  data_dir=asl_data_dir, seed=0, augment=True)
  assert drawn["images"].shape == (32, 28, 28, 1)
  assert all(t in helpers.LETTERS and len(t) == 1 for t in drawn["titles"])
  augmented, letters = drawn["images"], drawn["titles"]
  preview.preview("sign_language_mnist", str(tmp_path / "g.png"),
                  data_dir=asl_data_dir, seed=0, augment=False)
  # Same seed, same images and letters; only the augmentation differs.
  assert drawn["titles"] == letters
  assert not np.allclose(drawn["images"], augmented)


def test_save_grid_writes_a_4x8_image(tmp_path):
  out = tmp_path / "grid.png"
  images = np.linspace(0, 1, 32 * 28 * 28).reshape(32, 28, 28, 1)
  preview.save_grid(images, list(helpers.LETTERS) + list("ABCDEFGH"), str(out))
  with Image.open(out) as grid:
    width, height = grid.size
  # Eight columns by four rows of tiles.
  assert width > height > 0 and 1.5 < width / height < 2.5
