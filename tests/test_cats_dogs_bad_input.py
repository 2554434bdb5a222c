"""cats_dogs trees a careful user could hand over: what is kept, counted or
refused, and that every refusal names its file and line."""

from __future__ import annotations

import io
import logging
import os
import struct

from etils import epath
import numpy as np
from PIL import Image
import pytest

from tests import helpers
from tfds_builders.cats_dogs import folder_source
from tfds_builders.common import image_files
from tfds_builders.cats_dogs import tree_walk


def _jpeg(seed: int = 0) -> bytes:
  pixels = np.random.default_rng(seed).integers(0, 255, (8, 8, 3), np.uint8)
  out = io.BytesIO()
  Image.fromarray(pixels).save(out, format="JPEG")
  return out.getvalue()


_JPEG = _jpeg()


def _labels(source: folder_source.SplitSource) -> dict[str, int]:
  return {e.key: e.label for e in source.entries}


# --- label.csv text: byte-order mark, encoding, line ends, huge fields ------


def test_byte_order_mark_is_not_part_of_the_first_path(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/cat_0000.jpg": _JPEG, "train/dogs/d.jpg": _JPEG,
      "train/label.csv": b"\xef\xbb\xbfcats/cat_0000.jpg,1\n"})
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/cat_0000.jpg": 1,
                                       "train/dogs/d.jpg": 1}
  assert folder_source.MISSING not in sources["train"].counts


def test_byte_order_mark_before_a_loose_file_keeps_it(tmp_path):
  # Labelled only by label.csv: a kept mark would drop the file unnoticed.
  root = helpers.write_tree(epath.Path(tmp_path), {
      "valid/loose.jpg": _JPEG, "valid/owl/a.jpg": _JPEG,
      "valid/label.csv": b"\xef\xbb\xbfloose.jpg,fox\r\n"})
  names, sources = folder_source.scan(root, "folder")
  assert names == ["fox", "owl"]
  assert _labels(sources["validation"]) == {"valid/loose.jpg": 0,
                                            "valid/owl/a.jpg": 1}
  assert not sources["validation"].counts


@pytest.mark.parametrize("content, line", [
    ("cats/a.jpg,0\ncats/chat \xe9t\xe9.jpg,1\n".encode("cp1252"), 2),
    (b"cats/a.jpg,0\r\r\n\r\ncats/\xff.jpg,1\r\n", 4),
])
def test_label_csv_that_is_not_utf8_names_file_and_line(tmp_path, content,
                                                        line):
  root = helpers.write_tree(epath.Path(tmp_path), {"train/cats/a.jpg": _JPEG,
                                                   "train/label.csv": content})
  with pytest.raises(folder_source.LabelCsvError,
                     match=rf"train/label\.csv:{line}: byte 0x.. at column "
                           r"\d+ is not UTF-8"):
    folder_source.scan(root, "cats_dogs")


def test_huge_field_names_file_and_its_line(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/a.jpg": _JPEG,
      "train/label.csv": "cats/a.jpg,0\n\ncats/" + "x" * 200_000 + ".jpg,1\n"})
  with pytest.raises(folder_source.LabelCsvError,
                     match=r"train/label\.csv:3: a field is longer than the "
                           "csv module's limit of 131,072 characters"):
    folder_source.scan(root, "cats_dogs")


def test_cr_only_line_ends_are_line_breaks(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/a.jpg": _JPEG, "train/cats/b.jpg": _JPEG,
      "train/label.csv": b"file,label\rcats/a.jpg,1\rcats/b.jpg,dog\r"})
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 1,
                                       "train/cats/b.jpg": 1}
  # And a bad row is reported on its own line, not on line 1.
  (root / "train/label.csv").write_bytes(b"cats/a.jpg,1\rcats/b.jpg,7\r")
  with pytest.raises(folder_source.LabelCsvError, match=r"label\.csv:2: "):
    folder_source.scan(root, "cats_dogs")


# --- label.csv rows: duplicates and paths -----------------------------------


@pytest.mark.parametrize("rows", [
    "cats/a.jpg,0\ncats/b.jpg,0\ncats/a.jpg,1\n",
    # The same file spelled from the split folder and from the root.
    "cats/a.jpg,cat\ncats/b.jpg,0\ntrain/cats/./a.jpg,dog\n",
])
def test_conflicting_duplicate_rows_fail_naming_both_lines(tmp_path, rows):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/a.jpg": _JPEG, "train/cats/b.jpg": _JPEG,
      "train/label.csv": rows})
  with pytest.raises(folder_source.LabelCsvError,
                     match=r"label\.csv:3: .* labelled 'dog' here but 'cat' "
                           r"at .*label\.csv:1 \(both name train/cats/a\.jpg"):
    folder_source.scan(root, "cats_dogs")


def test_agreeing_duplicate_rows_are_counted(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/a.jpg": _JPEG,
      "train/label.csv": "cats/a.jpg,1\ntrain/cats/a.jpg,dog\n"})
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 1}
  assert sources["train"].counts == {folder_source.DUPLICATE_ROWS: 1,
                                     folder_source.OVERRIDDEN: 1}


@pytest.mark.parametrize("row", ["../test/cats/x.jpg", "../train/../test/cats/x.jpg"])
def test_dotdot_paths_that_stay_inside_the_root_are_accepted(tmp_path, row):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/a.jpg": _JPEG, "test/cats/x.jpg": _JPEG,
      "train/label.csv": f"cats/a.jpg,0\n{row},1\n"})
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 0,
                                       "test/cats/x.jpg": 1}


# --- Symlinks ----------------------------------------------------------------


def test_symlink_loop_is_listed_once_and_counted(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {"train/cats/a.jpg": _JPEG,
                                                   "train/dogs/b.jpg": _JPEG})
  os.symlink("..", root / "train/cats/up")
  os.symlink("../../..", root / "train/dogs/top")
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 0,
                                       "train/dogs/b.jpg": 1}
  assert sources["train"].counts == {tree_walk.LINKS_TO_LISTED: 1,
                                     tree_walk.LINKS_OUTSIDE_ROOT: 1}


def test_links_inside_the_tree_are_followed_once(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {"train/cats/a.jpg": _JPEG,
                                                   "more/cats/c.jpg": _jpeg(1)})
  os.symlink("../more/cats", root / "train/dogs")  # A linked class folder.
  os.symlink("a.jpg", root / "train/cats/again.jpg")  # The same file twice.
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 0,
                                       "train/dogs/c.jpg": 1}
  assert sources["train"].counts == {tree_walk.LINKS_TO_LISTED: 1}


def test_links_out_of_the_root_are_skipped_and_counted(tmp_path):
  outside = helpers.write_tree(epath.Path(tmp_path) / "elsewhere",
                  {"x.jpg": _JPEG, "folder/y.jpg": _JPEG})
  root = helpers.write_tree(epath.Path(tmp_path) / "data", {
      "train/cats/a.jpg": _JPEG,
      "train/label.csv": "cats/linked.jpg,1\ncats/a.jpg,0\n"})
  os.symlink(outside / "x.jpg", root / "train/cats/linked.jpg")
  os.symlink(outside / "folder", root / "train/dogs")
  os.symlink("/etc/passwd", root / "train/cats/passwd.jpg")
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 0}
  # Two found listing the folders, and the label.csv row naming a link.
  assert sources["train"].counts == {tree_walk.LINKS_OUTSIDE_ROOT: 4}
  assert sorted(sources["train"].examples[tree_walk.LINKS_OUTSIDE_ROOT]) == [
      "train/cats/linked.jpg", "train/cats/linked.jpg",
      "train/cats/passwd.jpg", "train/dogs"]


def test_a_split_folder_linked_from_elsewhere_is_read(tmp_path):
  real = helpers.write_tree(epath.Path(tmp_path) / "big_disk",
               {"cats/a.jpg": _JPEG, "dogs/b.jpg": _JPEG})
  root = epath.Path(tmp_path) / "data"
  root.mkdir()
  os.symlink(real, root / "train")
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 0,
                                       "train/dogs/b.jpg": 1}


# --- Names and odd files -----------------------------------------------------


def test_hidden_files_and_folders_are_skipped_and_counted(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/a.jpg": _JPEG, "train/cats/.a.jpg": _JPEG,
      "train/cats/.thumbs/a.jpg": _JPEG, "train/dogs/.cache/x/b.jpg": _JPEG,
      "train/dogs/b.jpg": _JPEG})
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 0,
                                       "train/dogs/b.jpg": 1}
  assert sources["train"].counts == {tree_walk.HIDDEN_FILES: 1,
                                     tree_walk.HIDDEN_FOLDERS: 2}


def test_empty_class_folder_and_single_class_warn(tmp_path, caplog):
  root = helpers.write_tree(epath.Path(tmp_path), {"train/owl/a.jpg": _JPEG,
                                                   "train/bat/b.jpg": _JPEG})
  (root / "train/emu").mkdir()
  with caplog.at_level(logging.WARNING):
    names, _ = folder_source.scan(root, "folder")
  assert names == ["bat", "emu", "owl"]
  assert "no labelled file for class(es) ['emu']" in caplog.text
  caplog.clear()
  root = helpers.write_tree(epath.Path(tmp_path) / "cats_only",
                            {"train/cats/a.jpg": _JPEG})
  with caplog.at_level(logging.WARNING):
    folder_source.scan(root, "cats_dogs")
  assert "every labelled file is of class 'cat'" in caplog.text


def test_names_that_are_not_utf8_are_escaped_class_names(tmp_path):
  # The build stores the file names escaped the same way (see
  # tests/integration/test_cats_dogs_builder.py).
  root = helpers.write_tree(epath.Path(tmp_path), {
      name: _JPEG for name in (b"train/cats/caf\xe9.jpg", b"train/dogs/d.jpg",
                               b"train/ch\xe2t/e.jpg", b"train/bat/f.jpg")})
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/caf\\xe9.jpg": 0,
                                       "train/dogs/d.jpg": 1}
  assert sources["train"].counts[folder_source.ESCAPED_NAMES] == 2
  # In the folder layout the folder's name becomes a class name, escaped.
  names, sources = folder_source.scan(root, "folder")
  assert names == ["bat", "cats", "ch\\xe2t", "dogs"]
  assert _labels(sources["train"])["train/ch\\xe2t/e.jpg"] == 2


# --- Decompression bombs: one limit, read from the header --------------------


def _huge_bmp(width: int, height: int) -> bytes:
  out = io.BytesIO()
  Image.new("RGB", (1, 1)).save(out, format="BMP")
  data = bytearray(out.getvalue())
  data[18:26] = struct.pack("<ii", width, height)
  return bytes(data)


@pytest.mark.parametrize("data", [helpers.huge_png(20000, 20000),
                                  _huge_bmp(15000, 12000)])
def test_images_over_the_pixel_limit_are_refused_from_the_header(data):
  with pytest.raises(image_files.ImageTooLarge, match="over the limit of "
                     f"{image_files.MAX_PIXELS:,}"):
    image_files.check_size(data)
  with pytest.raises(image_files.SkippedImage) as e:
    image_files.to_rgb_jpeg(data)
  assert e.value.reason == image_files.TOO_LARGE
  image_files.check_size(_JPEG)  # A photo passes.
