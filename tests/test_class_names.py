"""Class names of a `folder` tree: a label that is a near miss of a class
folder, two folders differing in case, and names TFDS cannot store are
refused before anything is built, naming the folder or the file and line."""

from __future__ import annotations


from etils import epath
import pytest

from tests import helpers
from tfds_builders.cats_dogs import class_names
from tfds_builders.cats_dogs import folder_source


_JPEG = helpers.tiny_jpeg()


def _cats_dogs(tmp_path, label_csv: str) -> epath.Path:
  return helpers.write_tree(epath.Path(tmp_path), {
      "train/cats/cats_0.jpg": _JPEG, "train/cats/cats_1.jpg": _JPEG,
      "train/dogs/dogs_0.jpg": _JPEG, "train/dogs/dogs_1.jpg": _JPEG,
      "train/label.csv": label_csv})


def _labels(source: folder_source.SplitSource) -> dict[str, int]:
  return {e.key: e.label for e in source.entries}


# --- A label that is not a class folder's name -------------------------------


@pytest.mark.parametrize("row, line, message", [
    ("cats/cats_0.jpg,Cats", 1,
     "label 'Cats' is neither a class index 0..1 nor one of the classes "
     "['cats', 'dogs']. 'Cats' differs only in case from 'cats'."),
    ("dogs/dogs_0.jpg,dgos", 2,
     "label 'dgos' is neither a class index 0..1 nor one of the classes "
     "['cats', 'dogs']. Closest: 'dogs'."),
    ("dogs/dogs_1.jpg,DOG", 2, "Closest: 'dogs'."),
    ("cats/cats_1.jpg,kitten", 2, "label 'kitten' is neither a class index"),
])
def test_a_label_naming_no_class_folder_fails_naming_file_and_line(
    tmp_path, row, line, message):
  rows = "cats/cats_1.jpg,cats\n" + row + "\n" if line == 2 else row + "\n"
  root = _cats_dogs(tmp_path, rows)
  with pytest.raises(folder_source.LabelCsvError) as e:
    folder_source.scan(root, "folder")
  assert str(e.value).startswith(f"{root}/train/label.csv:{line}: label ")
  assert message in str(e.value)
  assert "needs a class folder of that name" in str(e.value)


def test_labels_naming_class_folders_or_indices_are_taken(tmp_path):
  root = _cats_dogs(tmp_path, "cats/cats_0.jpg,dogs\ndogs/dogs_0.jpg,0\n")
  names, sources = folder_source.scan(root, "folder")
  assert names == ["cats", "dogs"]
  assert _labels(sources["train"]) == {
      "train/cats/cats_0.jpg": 1, "train/cats/cats_1.jpg": 0,
      "train/dogs/dogs_0.jpg": 0, "train/dogs/dogs_1.jpg": 1}


def test_a_class_folder_of_any_split_even_empty_is_a_class(tmp_path):
  root = _cats_dogs(tmp_path, "cats/cats_0.jpg,Cats\ndogs/dogs_0.jpg,bird\n")
  (root / "test/Cats").mkdir(parents=True)  # Another split: a real class.
  (root / "test/Cats/x.jpg").write_bytes(_JPEG)
  (root / "train/bird").mkdir()  # An empty folder makes the class too.
  with pytest.raises(class_names.ClassNameError, match="differ only in case"):
    folder_source.scan(root, "folder")  # But Cats and cats are look-alikes.
  (root / "test/Cats/x.jpg").unlink()
  (root / "test/Cats").rmdir()
  (root / "test/cat").mkdir()
  (root / "test/cat/x.jpg").write_bytes(_JPEG)
  (root / "train/label.csv").write_text(
      "cats/cats_0.jpg,cat\ndogs/dogs_0.jpg,bird\n")
  names, sources = folder_source.scan(root, "folder")
  assert names == ["bird", "cat", "cats", "dogs"]
  assert _labels(sources["train"])["train/cats/cats_0.jpg"] == 1
  assert _labels(sources["train"])["train/dogs/dogs_0.jpg"] == 0


def test_loose_files_may_name_a_class_of_their_own_unless_a_near_miss(
    tmp_path):
  root = _cats_dogs(tmp_path, "loose.jpg,fox\n")
  (root / "train/loose.jpg").write_bytes(_JPEG)
  names, _ = folder_source.scan(root, "folder")
  assert names == ["cats", "dogs", "fox"]
  (root / "train/label.csv").write_text("loose.jpg,Dogs\n")
  with pytest.raises(folder_source.LabelCsvError,
                     match=r"label\.csv:1: label 'Dogs' is neither"):
    folder_source.scan(root, "folder")


def test_labels_of_another_unicode_form_name_the_same_class(tmp_path):
  decomposed = "e\u0301te\u0301"  # As macOS writes the folder `été`.
  root = helpers.write_tree(epath.Path(tmp_path), {
      f"train/{decomposed}/a.jpg": _JPEG, "train/hiver/b.jpg": _JPEG,
      "train/label.csv": "hiver/b.jpg,\u00e9t\u00e9\n"})
  names, sources = folder_source.scan(root, "folder")
  assert names == [decomposed, "hiver"]
  assert _labels(sources["train"])["train/hiver/b.jpg"] == names.index(
      decomposed)


def test_class_folders_differing_only_in_case_fail_naming_both(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/Cats/a.jpg": _JPEG, "train/dogs/b.jpg": _JPEG,
      "test/cats/c.jpg": _JPEG, "test/dogs/d.jpg": _JPEG})
  with pytest.raises(class_names.ClassNameError) as e:
    folder_source.scan(root, "folder")
  assert str(e.value) == (
      f"class folder '{root}/train/Cats' and class folder '{root}/test/cats':"
      " class names 'Cats' and 'cats' differ only in case or Unicode form, so"
      " they would be two classes; rename one to the other.")


def test_superscript_digit_label_is_an_error_not_a_crash(tmp_path):
  root = _cats_dogs(tmp_path, "cats/cats_0.jpg,\u00b2\n")
  for layout in ("folder", "cats_dogs"):
    with pytest.raises(folder_source.LabelCsvError, match=r"label\.csv:1: "):
      folder_source.scan(root, layout)


def test_cats_dogs_layout_suggests_the_closest_label(tmp_path):
  root = _cats_dogs(tmp_path, "dogs/dogs_0.jpg,dgos\n")
  with pytest.raises(folder_source.LabelCsvError) as e:
    folder_source.scan(root, "cats_dogs")
  assert ("label 'dgos' is neither a class index 0..1 nor one of the classes "
          "['cat', 'dog']") in str(e.value)
  assert "Closest: 'dog'." in str(e.value)


# --- Names TFDS's label file cannot give back --------------------------------


_UNSTORABLE = {
    "line\nbreak": "U+000A", "carriage\rreturn": "U+000D",
    "line\u2028separator": "U+2028", "next\x85line": "U+0085",
    "vertical\x0btab": "U+000B", "form\x0cfeed": "U+000C",
    "para\u2029graph": "U+2029", "group\x1dseparator": "U+001D",
}


@pytest.mark.parametrize("name", sorted(_UNSTORABLE))
def test_a_class_folder_with_a_line_break_fails_naming_it(tmp_path, name):
  root = helpers.write_tree(epath.Path(tmp_path), {
      f"train/{name}/a.jpg": _JPEG, "train/zeta/b.jpg": _JPEG})
  with pytest.raises(class_names.ClassNameError) as e:
    folder_source.scan(root, "folder")
  assert str(e.value).startswith(
      f"class folder {str(root / 'train' / name)!r}: the class name {name!r} "
      f"holds a line break ({_UNSTORABLE[name]}).")
  assert "\n" not in str(e.value) and "\u2028" not in str(e.value)


@pytest.mark.parametrize("name", [" cats", "dogs\t", "\u00a0birds"])
def test_a_class_folder_with_outer_white_space_fails(tmp_path, name):
  root = helpers.write_tree(epath.Path(tmp_path), {
      f"train/{name}/a.jpg": _JPEG, "train/zeta/b.jpg": _JPEG})
  with pytest.raises(class_names.ClassNameError,
                     match="starts or ends with white space"):
    folder_source.scan(root, "folder")


def test_a_label_with_a_line_break_fails_naming_file_and_line(tmp_path):
  root = helpers.write_tree(epath.Path(tmp_path), {
      "train/a.jpg": _JPEG, "train/b.jpg": _JPEG,
      "train/label.csv": 'a.jpg,fox\nb.jpg,"line\nbreak"\n'})
  with pytest.raises(folder_source.LabelCsvError,
                     match=r"label\.csv:2: the class name 'line\\nbreak' "
                           r"holds a line break \(U\+000A\)"):
    folder_source.scan(root, "folder")
