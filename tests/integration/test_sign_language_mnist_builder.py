"""Tests of the Sign Language MNIST TFDS builder on generated CSVs."""

from __future__ import annotations

import logging
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import pandas as pd
import pytest
import tensorflow_datasets as tfds

from tests import helpers
from tfds_builders.sign_language_mnist import csv_source
from tfds_builders.sign_language_mnist import make_sample
from tfds_builders.sign_language_mnist import sign_language_mnist_dataset_builder as slm

TRAIN = "sign_mnist_train.csv"
TEST = "sign_mnist_test.csv"


class SignLanguageMnistTest(tfds.testing.DatasetBuilderTestCase):
  """TFDS's standard builder checks, over a sample written for the test."""

  DATASET_CLASS = slm.Builder
  SPLITS = {"train": 30, "test": 12}

  @classmethod
  def setUpClass(cls):
    cls._dummy_dir = tempfile.TemporaryDirectory()
    make_sample.make_sample(cls._dummy_dir.name, train_rows=30, test_rows=12)
    cls.EXAMPLE_DIR = cls._dummy_dir.name
    super().setUpClass()

  @classmethod
  def tearDownClass(cls):
    super().tearDownClass()
    cls._dummy_dir.cleanup()


def _build(manual_dir, data_dir, config=None):
  return helpers.build_dataset("sign_language_mnist", manual_dir, data_dir,
                               config)


def _read(builder, split):
  images, labels = [], []
  for example in tfds.as_numpy(builder.as_dataset(split=split,
                                                  shuffle_files=False)):
    images.append(example["image"])
    labels.append(example["label"])
  return np.stack(images), np.array(labels)


def _sorted_rows(images, labels):
  """Rows in a canonical order, since TFDS shuffles examples on write."""
  flat = images.reshape(len(images), -1)
  order = np.lexsort(np.column_stack([labels, flat]).T[::-1])
  return flat[order], labels[order]


def _expected(csv_path, scheme):
  table = pd.read_csv(csv_path, header=None,
                      skiprows=1 if _has_header(csv_path) else 0).to_numpy()
  raw = table[:, 0]
  index = raw - (raw > 9) if scheme == "kaggle" else raw
  return table[:, 1:].astype(np.uint8), index


def _has_header(csv_path):
  return pathlib.Path(csv_path).read_text().startswith("label")


@pytest.mark.parametrize("scheme", ["kaggle", "contiguous"])
def test_detected_scheme_maps_labels_to_letters(tmp_path, scheme):
  paths = make_sample.make_sample(tmp_path / "in", train_rows=60, test_rows=30,
                                  scheme=scheme, seed=3)
  builder = _build(tmp_path / "in", tmp_path / "out")

  assert builder.info.metadata["label_scheme"] == scheme
  assert builder.info.metadata["rows"] == {"train": 60, "test": 30}
  assert builder.info.features["label"].names == list("ABCDEFGHIKLMNOPQRSTUVWXY")
  for split in ("train", "test"):
    got = _sorted_rows(*_read(builder, split))
    want_pixels, want_labels = _expected(paths[split], scheme)
    want = _sorted_rows(want_pixels.reshape(-1, 28, 28, 1), want_labels)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_kaggle_label_24_is_y_and_10_is_k(tmp_path):
  make_sample.make_sample(tmp_path / "in", train_rows=48, test_rows=24)
  builder = _build(tmp_path / "in", tmp_path / "out")
  names = builder.info.features["label"].names
  raw = pd.read_csv(tmp_path / "in" / TRAIN)["label"].to_numpy()
  _, labels = _read(builder, "train")
  assert sorted(names[i] for i in labels) == sorted(
      "ABCDEFGHIJKLMNOPQRSTUVWXY"[r] for r in raw)


def test_explicit_scheme_config(tmp_path):
  make_sample.make_sample(tmp_path / "in", train_rows=30, test_rows=10,
                          scheme="contiguous")
  builder = _build(tmp_path / "in", tmp_path / "out",
                   config=slm.scheme_config("contiguous"))
  assert builder.info.metadata["label_scheme"] == "contiguous"
  loaded = tfds.load("sign_language_mnist/contiguous", split="test",
                     data_dir=str(tmp_path / "out"))
  assert len(list(loaded)) == 10


def test_no_header_zip_nested_and_valid_name(tmp_path):
  make_sample.make_sample(tmp_path / "csv", train_rows=20, test_rows=8,
                          header=False, test_name="sign_mnist_valid.csv")
  manual = tmp_path / "manual"
  manual.mkdir()
  with zipfile.ZipFile(manual / "archive.zip", "w") as archive:
    archive.write(tmp_path / "csv" / TRAIN, f"sign_mnist_train/{TRAIN}")
    archive.write(tmp_path / "csv" / "sign_mnist_valid.csv",
                  "sign_mnist_valid/sign_mnist_valid.csv")
  builder = _build(manual, tmp_path / "out")
  assert builder.info.splits["train"].num_examples == 20
  assert builder.info.splits["test"].num_examples == 8
  assert builder.info.metadata["sources"]["train"].endswith(
      f"archive.zip!sign_mnist_train/{TRAIN}")


def test_loose_files_in_sub_folders(tmp_path):
  make_sample.make_sample(tmp_path / "in" / "a" / "b", train_rows=12,
                          test_rows=6)
  builder = _build(tmp_path / "in", tmp_path / "out")
  assert builder.info.splits["train"].num_examples == 12


def test_missing_train_csv_gives_download_instructions(tmp_path):
  (tmp_path / "in").mkdir()
  (tmp_path / "in" / TEST).write_text("3," + ",".join(["0"] * 784) + "\n")
  with pytest.raises(FileNotFoundError, match="kaggle.com") as error:
    _build(tmp_path / "in", tmp_path / "out")
  assert TRAIN in str(error.value)


def test_a_train_csv_alone_builds_a_train_split(tmp_path, caplog):
  (tmp_path / "in").mkdir()
  (tmp_path / "in" / TRAIN).write_text(
      "".join(f"{label}," + ",".join(["9"] * 784) + "\n"
              for label in (0, 1, 2, 3)))
  builder = _build(tmp_path / "in", tmp_path / "out")
  assert list(builder.info.splits) == ["train"]
  assert builder.info.splits["train"].num_examples == 4
  assert any("building the train split only" in r.getMessage()
             for r in caplog.records)


def test_warns_when_scheme_is_ambiguous(tmp_path, caplog):
  rows = "\n".join(
      f"{label}," + ",".join(["7"] * 784) for label in (0, 1, 2, 3))
  (tmp_path / "in").mkdir()
  for name in (TRAIN, TEST):
    (tmp_path / "in" / name).write_text(rows + "\n")
  with caplog.at_level(logging.WARNING):
    builder = _build(tmp_path / "in", tmp_path / "out")
  assert builder.info.metadata["label_scheme"] == "kaggle"
  assert "Neither label 9 nor 24" in caplog.text


def _corrupt(path, line, row):
  lines = pathlib.Path(path).read_text().splitlines()
  lines[line - 1] = row
  pathlib.Path(path).write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("row, message", [
    ("3," + ",".join(["0"] * 783), "expected 785 columns"),
    ("3," + helpers.BLACK_PIXELS + ",0", "expected 785 columns"),
    ("3,256" + helpers.BLACK_PIXELS[1:], "pixel1 = '256' is outside 0..255"),
    ("3,-1" + helpers.BLACK_PIXELS[1:], "pixel1 = '-1' is outside 0..255"),
    ("3,0,abc" + helpers.BLACK_PIXELS[3:], "pixel2 = 'abc' is not an integer"),
    ("3,1.5" + helpers.BLACK_PIXELS[1:], "pixel1 = '1.5' is not an integer"),
    ("A," + helpers.BLACK_PIXELS, "label = 'A' is not an integer"),
    ("25," + helpers.BLACK_PIXELS, "label 25 is outside"),
    ("-1," + helpers.BLACK_PIXELS, "label -1 is outside"),
])
def test_bad_row_fails_with_file_and_line(tmp_path, row, message):
  paths = make_sample.make_sample(tmp_path / "in", train_rows=10, test_rows=5)
  _corrupt(paths["train"], 7, row)
  with pytest.raises(csv_source.CsvFormatError) as error:
    _build(tmp_path / "in", tmp_path / "out")
  assert f"{paths['train']}:7:" in str(error.value)
  assert message in str(error.value)
  _assert_nothing_loadable(tmp_path / "out")

  # A corrected rerun into the same data_dir succeeds.
  make_sample.make_sample(tmp_path / "in", train_rows=10, test_rows=5)
  builder = _build(tmp_path / "in", tmp_path / "out")
  assert builder.info.splits["train"].num_examples == 10


@pytest.mark.parametrize("scheme, bad_label", [("kaggle", 9),
                                               ("contiguous", 24)])
def test_label_outside_explicit_scheme(tmp_path, scheme, bad_label):
  paths = make_sample.make_sample(tmp_path / "in", train_rows=10, test_rows=5,
                                  scheme=scheme)
  _corrupt(paths["test"], 4, f"{bad_label}," + helpers.BLACK_PIXELS)
  with pytest.raises(csv_source.CsvFormatError,
                     match=f"{paths['test']}:4: label {bad_label} is outside"):
    _build(tmp_path / "in", tmp_path / "out",
           config=slm.scheme_config(scheme))
  _assert_nothing_loadable(tmp_path / "out")


def _assert_nothing_loadable(data_dir):
  builder = tfds.builder("sign_language_mnist", data_dir=str(data_dir))
  assert not builder.is_prepared()
  leftovers = [p for p in pathlib.Path(data_dir).rglob("*")
               if p.suffix in (".json", ".tfrecord") or "tfrecord" in p.name]
  assert not [p for p in leftovers if p.name != "metadata.json" or
              p.parent.name != ".config"], leftovers


@pytest.mark.parametrize("form", ["path", "imports"])
def test_tfds_command_line(tmp_path, form):
  make_sample.make_sample(tmp_path / "in", train_rows=24, test_rows=12)
  dataset = (str(pathlib.Path(slm.__file__).parent) if form == "path"
             else "sign_language_mnist")
  command = [os.path.join(os.path.dirname(sys.executable), "tfds"), "build",
             dataset, f"--manual_dir={tmp_path / 'in'}",
             f"--data_dir={tmp_path / 'out'}"]
  if form == "imports":
    command.append("--imports=tfds_builders")
  subprocess.run(command, check=True, capture_output=True, timeout=300)

  import tfds_builders  # pylint: disable=g-import-not-at-top,unused-import
  train = tfds.load("sign_language_mnist", split="train",
                    data_dir=str(tmp_path / "out"))
  assert len(list(train)) == 24


# --- Files a careful user could hand over: no row lost, no copy chosen
# silently, every refusal naming its file and line --------------------------

def test_byte_order_mark_before_a_headerless_file_keeps_every_row(tmp_path):
  paths = make_sample.make_sample(tmp_path / "in", train_rows=100,
                                  test_rows=30, header=False)
  train = pathlib.Path(paths["train"])
  train.write_bytes(b"\xef\xbb\xbf" + train.read_bytes())
  builder = _build(tmp_path / "in", tmp_path / "out")
  assert builder.info.metadata["rows"] == {"train": 100, "test": 30}
  assert builder.info.splits["train"].num_examples == 100


@pytest.mark.parametrize("train, test, where", [
    ((1, 2, 9, 3), (1, 24), f"{TEST}:2"),  # The 9 and the 24 in two files.
    ((24, 2, 9, 3), (1,), f"{TRAIN}:1"),
])
def test_label_9_and_24_say_which_chose_the_scheme(tmp_path, train, test,
                                                   where):
  (tmp_path / "in").mkdir()
  (tmp_path / "in" / TRAIN).write_bytes(helpers.csv_rows(*train))
  (tmp_path / "in" / TEST).write_bytes(helpers.csv_rows(*test))
  with pytest.raises(
      csv_source.CsvFormatError,
      match=rf"{where}: label 24 is outside 0..23 \(contiguous scheme\); "
            rf"the contiguous scheme was detected from label 9 at "
            rf".*{TRAIN}:3"):
    _build(tmp_path / "in", tmp_path / "out")


def _zip(path, members: dict[str, bytes]):
  with zipfile.ZipFile(path, "w") as archive:
    for name, data in members.items():
      archive.writestr(name, data)


@pytest.mark.parametrize("layout", ["two_folders", "one_zip", "two_zips",
                                    "loose_and_zip"])
def test_differing_copies_are_refused_naming_each(tmp_path, layout):
  manual = tmp_path / "in"
  manual.mkdir()
  first, second = helpers.csv_rows(3, 4), helpers.csv_rows(3, 5)
  (manual / TEST).write_bytes(helpers.csv_rows(1))
  if layout == "two_folders":
    for folder, data in (("a", first), ("bb", second)):
      (manual / folder).mkdir()
      (manual / folder / TRAIN).write_bytes(data)
    expected = [f"a/{TRAIN}", f"bb/{TRAIN}"]
  elif layout == "one_zip":
    _zip(manual / "k.zip", {TRAIN: first, f"old/{TRAIN}": second})
    expected = [f"k.zip!{TRAIN}", f"k.zip!old/{TRAIN}"]
  elif layout == "two_zips":
    _zip(manual / "a.zip", {TRAIN: first})
    _zip(manual / "b.zip", {TRAIN: second})
    expected = [f"a.zip!{TRAIN}", f"b.zip!{TRAIN}"]
  else:
    (manual / TRAIN).write_bytes(first)
    _zip(manual / "k.zip", {TRAIN: second})
    expected = [TRAIN, f"k.zip!{TRAIN}"]
  with pytest.raises(csv_source.CsvFormatError,
                     match=f"2 files could be the {TRAIN}, and they "
                           "differ") as error:
    _build(manual, tmp_path / "out")
  for name in expected:
    assert f"{manual}/{name}" in str(error.value)


def test_identical_copies_and_test_with_valid_names(tmp_path):
  manual = tmp_path / "in"
  (manual / "a").mkdir(parents=True)
  (manual / "a" / TRAIN).write_bytes(helpers.csv_rows(3, 4))
  _zip(manual / "k.zip", {TRAIN: helpers.csv_rows(3, 4),
                          TEST: helpers.csv_rows(1)})
  builder = _build(manual, tmp_path / "out")  # Identical: either will do.
  assert builder.info.metadata["sources"]["train"] == str(manual / "a" / TRAIN)
  # A test file and a valid file that differ: which is the test split?
  (manual / "sign_mnist_valid.csv").write_bytes(helpers.csv_rows(2))
  with pytest.raises(csv_source.CsvFormatError,
                     match="2 files could be the sign_mnist_test.csv or "
                           "sign_mnist_valid.csv, and they differ"):
    _build(manual, tmp_path / "out2")


def test_unreadable_zip_is_named(tmp_path):
  manual = tmp_path / "in"
  manual.mkdir()
  make_sample.make_sample(manual, train_rows=5, test_rows=5)
  _zip(manual / "full.zip", {"notes.txt": b"x" * 1000})
  data = (manual / "full.zip").read_bytes()
  (manual / "full.zip").write_bytes(data[: len(data) // 2])  # Truncated.
  with pytest.raises(csv_source.CsvFormatError,
                     match=f"{manual}/full.zip: not a readable zip archive"):
    _build(manual, tmp_path / "out")


def test_corrupt_member_of_a_zip_is_named(tmp_path):
  manual = tmp_path / "in"
  manual.mkdir()
  with zipfile.ZipFile(manual / "k.zip", "w", zipfile.ZIP_STORED) as archive:
    archive.writestr(TRAIN, helpers.csv_rows(*range(20)))
    archive.writestr(TEST, helpers.csv_rows(1))
  data = bytearray((manual / "k.zip").read_bytes())
  data[1000] ^= 0x01  # Inside the stored train CSV: its CRC no longer holds.
  (manual / "k.zip").write_bytes(bytes(data))
  with pytest.raises(csv_source.CsvFormatError,
                     match=rf"{manual}/k.zip!{TRAIN}: cannot be read from the "
                           "zip archive"):
    _build(manual, tmp_path / "out")
