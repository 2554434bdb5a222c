"""`tfds build` of trees with a look-alike label, a class name TFDS cannot
store, or a `label.csv` linked from outside ROOT."""

from __future__ import annotations

import os

import pytest

import asl_pipeline as ap
from tests import helpers
from tests import odd_images
from tfds_builders.cats_dogs import class_names
from tfds_builders.cats_dogs import folder_source
from tfds_builders.cats_dogs import tree_walk

_JPEG = odd_images.encoded(odd_images.gradient(), "JPEG")


def _no_records(data_dir) -> bool:
  return not list(data_dir.glob("cats_dogs/*/*/*.tfrecord*"))


def test_a_look_alike_label_fails_before_writing_anything(tmp_path):
  helpers.write_tree(tmp_path / "src", {
      "train/cats/cats_0.jpg": _JPEG, "train/dogs/dogs_0.jpg": _JPEG,
      "train/label.csv": "cats/cats_0.jpg,Cats\ndogs/dogs_0.jpg,dgos\n"})
  with pytest.raises(folder_source.LabelCsvError,
                     match=r"label\.csv:1: label 'Cats' is neither"):
    helpers.build_dataset("cats_dogs", tmp_path / "src", tmp_path / "tfds",
                          config="folder")
  assert _no_records(tmp_path / "tfds")


def test_a_class_name_with_a_line_break_fails_before_writing(tmp_path):
  helpers.write_tree(tmp_path / "src", {
      "train/line\nbreak/a.jpg": _JPEG, "train/zeta/b.jpg": _JPEG})
  with pytest.raises(class_names.ClassNameError,
                     match=r"class folder '.*/train/line\\nbreak': the class "
                           r"name 'line\\nbreak' holds a line break"):
    helpers.build_dataset("cats_dogs", tmp_path / "src", tmp_path / "tfds",
                          config="folder")
  assert _no_records(tmp_path / "tfds")


def test_stored_class_names_come_back_as_built(tmp_path):
  names = ["caf\u00e9", "hund \u72ac", "z\u00fcrich-2"]
  helpers.write_tree(tmp_path / "src", {
      f"train/{name}/{i}.jpg": _JPEG for i, name in enumerate(names)})
  helpers.build_dataset("cats_dogs", tmp_path / "src", tmp_path / "tfds",
                        config="folder")
  info = ap.info("cats_dogs/folder", data_dir=str(tmp_path / "tfds"))
  assert list(info.class_names) == sorted(names)


def test_label_csv_linked_from_outside_is_not_read(tmp_path):
  outside = tmp_path / "outside"
  helpers.write_tree(outside, {
      "secret.csv": "cats/a.jpg,1\ndogs/b.jpg,0\n",
      "passwd": "root:x:0:0:root:/root:/bin/bash\n"})
  helpers.write_tree(tmp_path / "src", {
      f"{split}/{folder}/{name}.jpg": _JPEG
      for split in ("train", "test") for folder, name in (("cats", "a"),
                                                          ("dogs", "b"))})
  os.symlink(outside / "secret.csv", tmp_path / "src/train/label.csv")
  os.symlink(outside / "passwd", tmp_path / "src/test/label.csv")
  builder = helpers.build_dataset("cats_dogs", tmp_path / "src",
                                  tmp_path / "tfds")
  counts = builder.info.metadata["counts"]
  assert "label_overridden" not in counts["train"]
  assert counts["train"][tree_walk.LINKS_OUTSIDE_ROOT] == 1
  assert counts["test"][tree_walk.LINKS_OUTSIDE_ROOT] == 1
