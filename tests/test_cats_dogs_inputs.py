"""The cats_dogs builder's handling of each odd input, file by file.

Images are checked through `image_files.to_rgb_jpeg` (what the builder calls
on every file) and trees through `folder_source.scan` (how it lists and
labels them), so each case is one small, fast test.
"""

from __future__ import annotations

import io

from etils import epath
import numpy as np
from PIL import Image
import pytest

from tests import helpers
from tfds_builders.cats_dogs import folder_source
from tfds_builders.common import image_files


def _decode(jpeg: bytes) -> np.ndarray:
  image = Image.open(io.BytesIO(jpeg))
  assert image.format == "JPEG" and image.mode == "RGB"
  return np.asarray(image).astype(int)


def _encoded(image: Image.Image, fmt: str, **kwargs) -> bytes:
  out = io.BytesIO()
  image.save(out, format=fmt, **kwargs)
  return out.getvalue()


def _halves(height=32, width=48) -> np.ndarray:
  """Red top-left quarter on blue: shows any rotation or flip."""
  pixels = np.zeros((height, width, 3), np.uint8)
  pixels[...] = (0, 0, 255)
  pixels[: height // 2, : width // 2] = (255, 0, 0)
  return pixels


# --- Image contents -------------------------------------------------------


def test_rgba_png_is_composited_on_white():
  rgba = np.zeros((16, 16, 4), np.uint8)
  rgba[..., :3] = (0, 128, 0)
  rgba[:, 8:, 3] = 255  # Right half opaque green, left half transparent.
  out = image_files.to_rgb_jpeg(_encoded(Image.fromarray(rgba, "RGBA"),
                                          "PNG"))
  pixels = _decode(out.jpeg)
  assert np.abs(pixels[:, :6] - 255).max() < 8
  assert np.abs(pixels[:, 10:] - (0, 128, 0)).max() < 12
  assert "converted_from_RGBA" in out.notes


def test_cmyk_jpeg_keeps_its_colours():
  red = Image.new("RGB", (16, 16), (220, 20, 20)).convert("CMYK")
  out = image_files.to_rgb_jpeg(_encoded(red, "JPEG", quality=95))
  assert np.abs(_decode(out.jpeg) - (220, 20, 20)).max() < 16
  assert "converted_from_CMYK" in out.notes


@pytest.mark.parametrize("mode,value,expected", [
    ("L", 100, 100),
    ("I;16", 65535, 255),
    ("I;16", 32896, 128),  # 128 * 257: the 16-bit value of 8-bit 128.
])
def test_grayscale_becomes_equal_rgb_channels(mode, value, expected):
  if mode == "L":
    image = Image.new("L", (16, 16), value)
    data = _encoded(image, "JPEG", quality=95)
  else:
    image = Image.fromarray(np.full((16, 16), value, np.uint16))
    assert image.mode.startswith("I")
    data = _encoded(image, "PNG")
  pixels = _decode(image_files.to_rgb_jpeg(data).jpeg)
  assert np.abs(pixels - expected).max() <= 2
  assert np.abs(pixels[..., 0] - pixels[..., 2]).max() <= 1


def test_palette_png_keeps_its_colours():
  image = Image.fromarray(_halves()).quantize(4)
  pixels = _decode(image_files.to_rgb_jpeg(_encoded(image, "PNG")).jpeg)
  assert np.abs(pixels[2, 2] - (255, 0, 0)).max() < 24
  assert np.abs(pixels[-3, -3] - (0, 0, 255)).max() < 24


@pytest.mark.parametrize("orientation,transpose", [
    (3, Image.Transpose.ROTATE_180),
    (6, Image.Transpose.ROTATE_90),   # Shown after a clockwise quarter turn.
    (8, Image.Transpose.ROTATE_270),  # Shown after a counter-clockwise one.
])
def test_exif_orientation_is_applied(orientation, transpose):
  upright = _halves()
  exif = Image.Exif()
  exif[0x0112] = orientation
  stored = Image.fromarray(upright).transpose(transpose)
  out = image_files.to_rgb_jpeg(_encoded(stored, "JPEG", quality=95,
                                          exif=exif))
  pixels = _decode(out.jpeg)
  assert pixels.shape == upright.shape
  assert np.abs(pixels[4, 4] - (255, 0, 0)).max() < 24  # Red stays top-left.
  assert np.abs(pixels[-5, -5] - (0, 0, 255)).max() < 24
  assert "exif_transposed" in out.notes
  # No orientation tag survives, so EXIF-aware readers do not turn it again.
  assert 0x0112 not in Image.open(io.BytesIO(out.jpeg)).getexif()


def test_upright_baseline_rgb_jpeg_keeps_its_bytes():
  data = _encoded(Image.fromarray(_halves()), "JPEG", quality=90)
  out = image_files.to_rgb_jpeg(data)
  assert out.jpeg == data and out.notes == ("reused_bytes",)


def test_progressive_jpeg_is_reencoded_as_baseline():
  data = _encoded(Image.fromarray(_halves()), "JPEG", progressive=True)
  out = image_files.to_rgb_jpeg(data)
  assert out.jpeg != data and "reencoded" in out.notes
  assert not Image.open(io.BytesIO(out.jpeg)).info.get("progressive")


def test_max_side_caps_the_longer_side_and_keeps_aspect():
  data = _encoded(Image.fromarray(_halves(60, 200)), "JPEG", quality=95)
  out = image_files.to_rgb_jpeg(data, max_side=50)
  assert (out.width, out.height) == (50, 15)
  assert _decode(out.jpeg).shape == (15, 50, 3)
  assert image_files.to_rgb_jpeg(data, max_side=500).jpeg == data


# --- Files that are skipped -----------------------------------------------


def test_zero_byte_file_is_skipped_as_empty():
  with pytest.raises(image_files.SkippedImage) as e:
    image_files.to_rgb_jpeg(b"")
  assert e.value.reason == image_files.EMPTY


def test_truncated_jpeg_is_skipped_as_undecodable():
  data = _encoded(Image.fromarray(_halves(64, 64)), "JPEG", quality=95)
  with pytest.raises(image_files.SkippedImage) as e:
    image_files.to_rgb_jpeg(data[: len(data) // 2])
  assert e.value.reason == image_files.UNDECODABLE


def test_text_file_named_jpg_is_skipped_as_undecodable():
  with pytest.raises(image_files.SkippedImage) as e:
    image_files.to_rgb_jpeg(b"just some notes\n")
  assert e.value.reason == image_files.UNDECODABLE


@pytest.mark.parametrize("name,expected", [
    (".DS_Store", True), ("Thumbs.db", True), ("desktop.ini", True),
    ("._cat.1.jpg", True), ("cat.1.jpg", False), (".cat.jpg", False),
])
def test_system_files_are_recognised(name, expected):
  assert image_files.is_system_file(name) == expected


def test_ordered_map_keeps_input_order_across_threads():
  items = list(range(200))
  out = image_files.ordered_map(lambda i: i * i, items, workers=4, window=3)
  assert list(out) == [i * i for i in items]


# --- Trees and label.csv ----------------------------------------------------


_JPEG = _encoded(Image.fromarray(_halves(8, 8)), "JPEG")


def _labels(source: folder_source.SplitSource) -> dict[str, int]:
  return {e.key: e.label for e in source.entries}


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
