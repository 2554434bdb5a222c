"""The cats_dogs TFDS builder over a generated tree with broken files in it."""

from __future__ import annotations

import hashlib
import shutil
import tempfile

from etils import epath
import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

from tests import helpers
from tfds_builders.cats_dogs import cats_dogs_dataset_builder
from tfds_builders.cats_dogs import folder_source
from tfds_builders.cats_dogs import make_sample

PER_CLASS, TEST_PER_CLASS, SIZE = 3, 1, 32
# 3 cats + 3 dogs + the 8 odd but decodable images (RGBA, CMYK, gray, 16-bit
# gray, palette, EXIF-rotated, unicode name, misfiled dog) in train.
TRAIN_EXAMPLES = 2 * PER_CLASS + 8
TEST_EXAMPLES = 2 * TEST_PER_CLASS

EXPECTED_COUNTS = {
    "train": {
        "converted_from_CMYK": 1, "converted_from_I;16": 1,
        "converted_from_L": 1, "converted_from_P": 1,
        "converted_from_RGBA": 1, "empty_files": 1,
        "examples": TRAIN_EXAMPLES, "exif_transposed": 1,
        "label_overridden": 1, "missing_files": 1, "reencoded": 6,
        "reused_bytes": TRAIN_EXAMPLES - 6, "system_files": 3,
        "undecodable_files": 2,
    },
    "test": {"examples": TEST_EXAMPLES, "reused_bytes": TEST_EXAMPLES,
             "system_files": 1},
}


def _write_sample(out_dir) -> None:
  kept = make_sample.make_sample(str(out_dir), per_class=PER_CLASS,
                                 test_per_class=TEST_PER_CLASS, size=SIZE,
                                 seed=1)
  assert kept == {"train": TRAIN_EXAMPLES, "test": TEST_EXAMPLES}


class CatsDogsBuilderTest(tfds.testing.DatasetBuilderTestCase):
  """TFDS's own builder checks, for both configs, over the sample tree."""

  DATASET_CLASS = cats_dogs_dataset_builder.Builder
  SPLITS = {"train": TRAIN_EXAMPLES, "test": TEST_EXAMPLES}
  SKIP_CHECKSUMS = True

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls._tmp = tempfile.mkdtemp()
    _write_sample(cls._tmp)
    cls.EXAMPLE_DIR = cls._tmp

  @classmethod
  def tearDownClass(cls):
    super().tearDownClass()
    shutil.rmtree(cls._tmp, ignore_errors=True)


def _build(manual_dir, data_dir, config=None):
  return helpers.build_dataset("cats_dogs", manual_dir, data_dir, config)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
  """(manual_dir, builder) of the sample tree built with the default config."""
  root = tmp_path_factory.mktemp("cats_dogs")
  _write_sample(root / "src")
  return root / "src", _build(root / "src", root / "tfds")


def _examples(builder, split):
  return {ex["file_name"].decode(): ex for ex in
          tfds.as_numpy(builder.as_dataset(split=split))}


def test_metadata_records_exact_counts(built):
  _, builder = built
  # Read back from disk: what a later `tfds.load` sees, not the live object.
  reloaded = tfds.builder_from_directory(str(builder.data_dir))
  assert reloaded.info.metadata["counts"] == EXPECTED_COUNTS
  assert reloaded.info.metadata["class_names"] == ["cat", "dog"]
  skipped = reloaded.info.metadata["skipped_examples"]["train"]
  assert sorted(skipped["undecodable_files"]) == [
      "train/cats/notes.jpg", "train/dogs/truncated.jpg"]
  assert skipped["empty_files"] == ["train/cats/empty.jpg"]


def test_keys_are_relative_paths_and_images_upright_rgb(built):
  _, builder = built
  train = _examples(builder, "train")
  assert "train/cats/chat été 1.jpg" in train
  assert not any(name.startswith("/") for name in train)
  for name, ex in train.items():
    assert ex["image"].ndim == 3 and ex["image"].shape[-1] == 3, name
  # Stored sideways with EXIF orientation 6; upright it is wider than tall.
  assert train["train/dogs/rotated_dog.jpg"]["image"].shape == (
      SIZE * 3 // 4, SIZE, 3)
  # The transparent band of the RGBA cat is white.
  band = train["train/cats/transparent_cat.png"]["image"][:3]
  assert band.min() > 230


def test_label_csv_and_folders_give_the_labels(built):
  _, builder = built
  train = _examples(builder, "train")
  assert train["train/cats/misfiled_dog.jpg"]["label"] == 1  # label.csv.
  assert train["train/cats/transparent_cat.png"]["label"] == 0  # Folder.
  assert train["train/dogs/cmyk_dog.jpg"]["label"] == 1
  for split in ("train", "test"):
    for name, ex in _examples(builder, split).items():
      if "misfiled" not in name:
        assert ex["label"] == ("/dogs/" in name), name


def test_rebuild_writes_identical_files(built, tmp_path):
  manual_dir, builder = built
  again = _build(manual_dir, tmp_path)

  def digests(data_dir):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in epath.Path(data_dir).iterdir() if "tfrecord" in p.name}

  first, second = digests(builder.data_dir), digests(again.data_dir)
  assert first and first == second


def test_max_side_config_shrinks_every_image(built, tmp_path):
  manual_dir, _ = built
  config = cats_dogs_dataset_builder.capped_config(20)
  builder = _build(manual_dir, tmp_path, config=config)
  shapes = [ex["image"].shape for ex in _examples(builder, "train").values()]
  assert max(max(s[:2]) for s in shapes) == 20
  assert builder.info.metadata["counts"]["train"]["resized"] == TRAIN_EXAMPLES


def test_folder_config_reads_any_class_names_and_valid_split(tmp_path):
  src = tmp_path / "src" / "photos"  # One level down, as a zip extracts.
  rng = np.random.default_rng(0)
  from PIL import Image  # pylint: disable=g-import-not-at-top
  for name in ("train/owl/a.jpg", "train/bat/b.jpg", "train/bat/c.jpg",
               "valid/owl/d.jpg", "valid/loose.jpg"):
    (src / name).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 255, (8, 8, 3), np.uint8)).save(src / name)
  (src / "valid" / "label.csv").write_text("path,label\nloose.jpg,fox\n")
  builder = _build(tmp_path / "src", tmp_path / "tfds",
                   config=cats_dogs_dataset_builder.FOLDER)
  reloaded = tfds.builder_from_directory(str(builder.data_dir))
  assert reloaded.info.features["label"].names == ["bat", "fox", "owl"]
  labels = {split: {k: int(ex["label"]) for k, ex in
                    _examples(reloaded, split).items()}
            for split in ("train", "validation")}
  assert labels == {
      "train": {"train/bat/b.jpg": 0, "train/bat/c.jpg": 0,
                "train/owl/a.jpg": 2},
      "validation": {"valid/loose.jpg": 1, "valid/owl/d.jpg": 2}}


@pytest.mark.parametrize("files", [
    # Microsoft's PetImages download, with its zero-byte Cat/666.jpg.
    {"PetImages/Cat/0.jpg": 0, "PetImages/Cat/666.jpg": None,
     "PetImages/Dog/0.jpg": 1, "PetImages/Dog/1.jpg": 1},
    # Kaggle's dogs-vs-cats train.zip and test1.zip, extracted.
    {"train/cat.0.jpg": 0, "train/cat.1.jpg": 0, "train/dog.0.jpg": 1,
     "test1/1.jpg": None},
])
def test_downloads_build_as_they_come(tmp_path, files):
  rng = np.random.default_rng(0)
  from PIL import Image  # pylint: disable=g-import-not-at-top
  for name, label in files.items():
    path = tmp_path / "src" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith("666.jpg"):
      path.write_bytes(b"")
    else:
      Image.fromarray(rng.integers(0, 255, (8, 8, 3), np.uint8)).save(path)
  builder = _build(tmp_path / "src", tmp_path / "tfds")
  reloaded = tfds.builder_from_directory(str(builder.data_dir))
  assert list(reloaded.info.splits) == ["train"]
  labels = {k: int(ex["label"]) for k, ex in
            _examples(reloaded, "train").items()}
  # Keys are relative to the tree's root (PetImages/ for Microsoft's).
  assert labels == {name.removeprefix("PetImages/"): label
                    for name, label in files.items() if label is not None}


def test_path_escaping_root_fails_the_build(built, tmp_path):
  manual_dir, _ = built
  src = tmp_path / "src"
  shutil.copytree(manual_dir, src)
  with open(src / "test" / "label.csv", "a", encoding="utf-8") as f:
    f.write("../../etc/passwd,0\n")
  with pytest.raises(folder_source.LabelCsvError,
                     match=r"test/label\.csv:\d+: path '\.\./\.\./etc/passwd' "
                           r"points outside the dataset root"):
    _build(src, tmp_path / "tfds")
  assert not list((tmp_path / "tfds").glob("cats_dogs/*/*/*.tfrecord*"))


def test_names_that_are_not_utf8_are_stored_escaped(tmp_path):
  jpeg = (tmp_path / "a.jpg")
  Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(jpeg)
  helpers.write_tree(tmp_path / "src", {
      name: jpeg.read_bytes() for name in (
          b"train/cats/caf\xe9.jpg", b"train/dogs/d.jpg",
          b"train/ch\xe2t/e.jpg", b"train/bat/f.jpg")})
  builder = _build(tmp_path / "src", tmp_path / "tfds")
  names = {ex["file_name"].decode(): int(ex["label"]) for ex in
           tfds.as_numpy(builder.as_dataset(split="train"))}
  assert names == {"train/cats/caf\\xe9.jpg": 0, "train/dogs/d.jpg": 1}
  counts = builder.info.metadata["counts"]["train"]
  assert counts[folder_source.ESCAPED_NAMES] == 2
