"""A `label.csv` is read only from inside the dataset tree: one that links
to a file outside ROOT is skipped and counted like a linked photo, and no
error ever quotes a file from outside."""

from __future__ import annotations

import logging
import os

from etils import epath
import pytest

from tests import helpers
from tfds_builders.cats_dogs import folder_source
from tfds_builders.cats_dogs import tree_walk

_SECRET = "root:x:0:0:root:/root:/bin/bash"


def _tree(root: epath.Path) -> epath.Path:
  for name in ("train/cats/a.jpg", "train/dogs/b.jpg",
               "test/cats/c.jpg", "test/dogs/d.jpg"):
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(helpers.tiny_jpeg())
  return root


def _labels(source: folder_source.SplitSource) -> dict[str, int]:
  return {e.key: e.label for e in source.entries}


@pytest.fixture(name="outside")
def _outside(tmp_path) -> epath.Path:
  """Files beside the dataset root, not in it."""
  outside = epath.Path(tmp_path) / "outside"
  outside.mkdir()
  (outside / "secret.csv").write_text("cats/a.jpg,1\ndogs/b.jpg,0\n")
  (outside / "passwd").write_text(f"{_SECRET}\n")
  return outside


@pytest.mark.parametrize("layout", ["cats_dogs", "folder"])
def test_label_csv_linked_from_outside_is_not_read(tmp_path, outside, layout,
                                                   caplog):
  root = _tree(epath.Path(tmp_path) / "data")
  os.symlink(outside / "secret.csv", root / "train/label.csv")
  os.symlink(outside / "passwd", root / "test/label.csv")
  with caplog.at_level(logging.WARNING):
    _, sources = folder_source.scan(root, layout)
  # The folders label the files; the outside rows would have swapped them.
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 0,
                                       "train/dogs/b.jpg": 1}
  assert _labels(sources["test"]) == {"test/cats/c.jpg": 0,
                                      "test/dogs/d.jpg": 1}
  for split in ("train", "test"):
    assert sources[split].counts == {tree_walk.LINKS_OUTSIDE_ROOT: 1}
    assert sources[split].examples[tree_walk.LINKS_OUTSIDE_ROOT] == [
        f"{split}/label.csv"]
  assert f"{root / 'train/label.csv'} links to a file outside the dataset root"\
      in caplog.text
  assert _SECRET not in caplog.text


def test_label_csv_through_a_chain_of_links_is_not_read(tmp_path, outside):
  root = _tree(epath.Path(tmp_path) / "data")
  os.symlink(outside / "secret.csv", root / "inside_link.csv")
  os.symlink("../inside_link.csv", root / "train/label.csv")
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 0,
                                       "train/dogs/b.jpg": 1}


def test_label_csv_linked_inside_the_tree_is_read(tmp_path):
  root = _tree(epath.Path(tmp_path) / "data")
  (root / "labels").mkdir()
  (root / "labels/train.csv").write_text("cats/a.jpg,1\n")
  os.symlink("../labels/train.csv", root / "train/label.csv")
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"])["train/cats/a.jpg"] == 1


@pytest.mark.parametrize("kind", ["folder", "pipe"])
def test_a_label_csv_that_is_a_folder_or_a_pipe_fails_naming_it(tmp_path,
                                                                kind):
  root = _tree(epath.Path(tmp_path) / "data")
  if kind == "folder":
    (root / "train/label.csv").mkdir()
  else:
    os.mkfifo(root / "train/label.csv")  # Reading it would wait forever.
  with pytest.raises(folder_source.LabelCsvError,
                     match=r"train/label\.csv: not a regular file"):
    folder_source.scan(root, "cats_dogs")


def test_a_row_naming_a_pipe_is_counted_not_read(tmp_path):
  root = _tree(epath.Path(tmp_path) / "data")
  os.mkfifo(root / "train/pipe.jpg")
  (root / "train/label.csv").write_text("pipe.jpg,cats\ncats/a.jpg,cats\n")
  _, sources = folder_source.scan(root, "folder")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 0,
                                       "train/dogs/b.jpg": 1}
  # Once by the listing, once for the row.
  assert sources["train"].counts == {tree_walk.SPECIAL_FILES: 2}
