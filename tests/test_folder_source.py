"""How the cats_dogs builder lists and labels a tree: `folder_source.scan`.

The folder layouts people have, label.csv files in every encoding and line
ending, duplicates, paths and links that leave the tree, hidden and system
files: what is kept, counted or refused, every refusal naming its file and
line. Whole builds: tests/integration/test_cats_dogs_builder.py.
"""

from __future__ import annotations

import logging
import os

from etils import epath
import pytest

from tests import helpers
from tfds_builders.cats_dogs import folder_source
from tfds_builders.cats_dogs import tree_walk


_JPEG = helpers.tiny_jpeg()


def _labels(source: folder_source.SplitSource) -> dict[str, int]:
  return {e.key: e.label for e in source.entries}


# --- Trees and label.csv ----------------------------------------------------


def test_system_files_are_counted_not_listed(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/a.jpg": _JPEG, "train/cats/.DS_Store": b"\0",
      "train/dogs/._b.jpg": b"\0", "train/Thumbs.db": b"\0",
      "train/__MACOSX/cats/._a.jpg": b"\0"})
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 0}
  assert sources["train"].counts == {folder_source.SYSTEM_FILES: 3}


def test_unicode_and_spaces_in_names_via_folder_and_csv(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/chat été 1.jpg": _JPEG, "train/other/hund 犬.jpg": _JPEG,
      "train/label.csv": "other/hund 犬.jpg,1\n"})
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/chat été 1.jpg": 0,
                                       "train/other/hund 犬.jpg": 1}


@pytest.mark.parametrize("header", ["", "file,label\n", "id,label\n",
                                    "\ufeffpath,class\n"])
def test_label_csv_with_and_without_header(tmp_path, header):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "test/x/a.jpg": _JPEG, "test/x/b.jpg": _JPEG,
      # One path from the split folder, one from the root; names or indices.
      "test/label.csv": header + "x/a.jpg,1\ntest/x/b.jpg,cat\n"})
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["test"]) == {"test/x/a.jpg": 1, "test/x/b.jpg": 0}
  assert not sources["test"].counts


def test_label_csv_wins_over_folder_and_is_counted(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/a.jpg": _JPEG, "train/cats/b.jpg": _JPEG,
      "train/label.csv": "cats/a.jpg,1\ncats/b.jpg,0\n"})
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 1,
                                       "train/cats/b.jpg": 0}
  assert sources["train"].counts == {folder_source.OVERRIDDEN: 1}
  assert sources["train"].examples[folder_source.OVERRIDDEN] == [
      "train/cats/a.jpg"]


def test_rows_naming_missing_files_are_counted(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/a.jpg": _JPEG,
      "train/label.csv": "cats/a.jpg,0\ncats/gone.jpg,0\ndogs/gone.jpg,1\n"})
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 0}
  assert sources["train"].counts == {folder_source.MISSING: 2}


@pytest.mark.parametrize("row", ["../a.jpg", "cats/../../../a.jpg",
                                 "ABSOLUTE_OUTSIDE"])
def test_paths_escaping_the_root_fail_naming_file_and_line(tmp_path, row):
  outside = epath.Path(tmp_path) / "a.jpg"
  outside.write_bytes(_JPEG)
  root = epath.Path(tmp_path) / "data"
  row = str(outside) if row == "ABSOLUTE_OUTSIDE" else row
  helpers.write_tree(root, {
      "train/cats/a.jpg": _JPEG,
      "train/label.csv": f"file,label\ncats/a.jpg,0\n{row},1\n"})
  with pytest.raises(folder_source.LabelCsvError,
                     match=r"train/label\.csv:3: .*outside the dataset root"):
    folder_source.scan(root, "cats_dogs")


def test_absolute_path_inside_the_root_is_accepted(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {"train/cats/a.jpg": _JPEG})
  (root / "train/label.csv").write_text(f"{root / 'train/cats/a.jpg'},dog\n")
  _, sources = folder_source.scan(root, "cats_dogs")
  assert _labels(sources["train"]) == {"train/cats/a.jpg": 1}


def test_unknown_label_fails_naming_file_and_line(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/a.jpg": _JPEG, "train/label.csv": "cats/a.jpg,2\n"})
  with pytest.raises(folder_source.LabelCsvError, match=r"label\.csv:1: "):
    folder_source.scan(root, "cats_dogs")


def test_folder_layout_classes_from_folders_and_csv_names(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/owl/a.jpg": _JPEG, "train/bat/b.jpg": _JPEG,
      "valid/loose.jpg": _JPEG, "valid/bat/c.jpg": _JPEG,
      "valid/label.csv": "loose.jpg,fox\n"})
  names, sources = folder_source.scan(root, "folder")
  assert names == ["bat", "fox", "owl"]
  assert sorted(sources) == ["train", "validation"]
  assert _labels(sources["train"]) == {"train/bat/b.jpg": 0,
                                       "train/owl/a.jpg": 2}
  assert _labels(sources["validation"]) == {"valid/bat/c.jpg": 0,
                                            "valid/loose.jpg": 1}


def test_root_may_sit_one_folder_down(tmp_path):
  helpers.write_tree(epath.Path(tmp_path), {
      "cats_and_dogs/train/cats/a.jpg": _JPEG,
      "__MACOSX/train/cats/._a.jpg": b"\0"})
  assert folder_source.find_root(tmp_path) == (
      epath.Path(tmp_path) / "cats_and_dogs")


def test_no_split_folder_names_what_was_expected(tmp_path):
  helpers.write_tree(epath.Path(tmp_path), {"photos/cats/a.jpg": _JPEG})
  with pytest.raises(FileNotFoundError, match="train"):
    folder_source.find_root(tmp_path)


def test_kaggle_train_folder_is_labelled_by_file_name(tmp_path):
  # Kaggle's dogs-vs-cats: train/cat.0.jpg ..., and an unlabelled test1/.
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cat.0.jpg": _JPEG, "train/dog.0.jpg": _JPEG,
      "train/Dog.12.JPG": _JPEG, "train/catalog.jpg": _JPEG,
      "test1/1.jpg": _JPEG, "sampleSubmission.csv": "id,label\n1,0\n"})
  assert folder_source.find_root(root) == root
  _, sources = folder_source.scan(root, "cats_dogs")
  assert list(sources) == ["train"]
  assert _labels(sources["train"]) == {"train/Dog.12.JPG": 1,
                                       "train/cat.0.jpg": 0,
                                       "train/dog.0.jpg": 1}
  assert sources["train"].counts == {folder_source.UNLABELED: 1}


def test_file_names_do_not_label_the_folder_layout(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/owl/a.jpg": _JPEG, "train/bat/b.jpg": _JPEG,
      "train/cat.0.jpg": _JPEG})
  _, sources = folder_source.scan(root, "folder")
  assert sorted(_labels(sources["train"])) == ["train/bat/b.jpg",
                                               "train/owl/a.jpg"]


@pytest.mark.parametrize("layout,names", [("cats_dogs", ["cat", "dog"]),
                                          ("folder", ["Cat", "Dog"])])
def test_class_folders_without_splits_are_one_train_split(tmp_path, layout,
                                                          names):
  # Microsoft's download: PetImages/{Cat,Dog}, licence and readme beside it.
  helpers.write_tree(epath.Path(tmp_path), {
      "PetImages/Cat/0.jpg": _JPEG, "PetImages/Cat/Thumbs.db": b"\0",
      "PetImages/Dog/0.jpg": _JPEG, "readme[1].txt": "Cats and dogs."})
  root = folder_source.find_root(tmp_path)
  assert root == epath.Path(tmp_path) / "PetImages"
  found_names, sources = folder_source.scan(root, layout)
  assert found_names == names
  assert list(sources) == ["train"]
  assert _labels(sources["train"]) == {"Cat/0.jpg": 0, "Dog/0.jpg": 1}
  assert sources["train"].counts == {folder_source.SYSTEM_FILES: 1}


def test_one_class_folder_is_not_a_tree(tmp_path):
  helpers.write_tree(epath.Path(tmp_path), {
      "photos/cats/a.jpg": _JPEG, "photos/notes/a.txt": "not an image"})
  with pytest.raises(FileNotFoundError, match="two class folders"):
    folder_source.find_root(tmp_path)


def test_unlabelled_split_is_left_out(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/a.jpg": _JPEG, "test/1.jpg": _JPEG, "test/2.jpg": _JPEG})
  _, sources = folder_source.scan(root, "cats_dogs")
  assert list(sources) == ["train"]


def test_no_label_anywhere_says_how_to_label(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/1.jpg": _JPEG, "train/pets/2.jpg": _JPEG})
  with pytest.raises(FileNotFoundError,
                     match=r"No labelled image .*cat\.0\.jpg.*label\.csv"):
    folder_source.scan(root, "cats_dogs")


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


@pytest.mark.parametrize("row", ["../test/cats/x.jpg",
                                 "../train/../test/cats/x.jpg"])
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
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/a.jpg": _JPEG, "more/cats/c.jpg": helpers.tiny_jpeg(1)})
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
