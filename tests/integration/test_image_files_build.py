"""A build goes on past every file Pillow fails on, and names each."""

from __future__ import annotations

import logging

from tests import helpers
from tests import odd_images
from tfds_builders.common import image_files


def test_build_skips_counts_and_names_each_odd_file(tmp_path, caplog):
  files = {f"train/cats/{name}": make()
           for name, (make, _) in odd_images.CORRUPT.items()}
  files["train/cats/ok.jpg"] = odd_images.encoded(odd_images.gradient(),
                                                  "JPEG")
  files["train/dogs/ok.png"] = odd_images.same_pixel_files()["alpha.png"]
  helpers.write_tree(tmp_path / "src", files)
  with caplog.at_level(logging.WARNING):
    builder = helpers.build_dataset("cats_dogs", tmp_path / "src",
                                    tmp_path / "tfds")
  counts = builder.info.metadata["counts"]["train"]
  assert counts["examples"] == 2
  assert counts[image_files.UNDECODABLE] == len(odd_images.CORRUPT)
  assert sorted(builder.info.metadata["skipped_examples"]["train"][
      image_files.UNDECODABLE]) == sorted(
          f"train/cats/{name}" for name in odd_images.CORRUPT)
  for name, (_, error) in odd_images.CORRUPT.items():
    assert (f"skipping train/cats/{name} (undecodable_files: {error}"
            in caplog.text)
