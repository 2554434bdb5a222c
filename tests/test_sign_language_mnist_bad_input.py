"""Sign Language MNIST CSVs a careful user could hand over: no row lost, no
copy chosen silently, and every refusal names its file and line."""

from __future__ import annotations

import pathlib
import zipfile

import pytest
import tensorflow_datasets as tfds

from tfds_builders.sign_language_mnist import csv_source
from tfds_builders.sign_language_mnist import make_sample

TRAIN = "sign_mnist_train.csv"
TEST = "sign_mnist_test.csv"
_PIXELS = ",".join(["0"] * 784)


def _build(manual_dir, data_dir):
  builder = tfds.builder("sign_language_mnist", data_dir=str(data_dir))
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))
  return builder


def _parse(tmp_path, content: bytes) -> csv_source.ParsedSplit:
  path = tmp_path / TRAIN
  path.write_bytes(content)
  return csv_source.parse_csv(csv_source.SourceFile(path))


def _rows(*labels) -> bytes:
  return "".join(f"{label},{_PIXELS}\n" for label in labels).encode()


# --- A first row is a header only when it looks like one --------------------


def test_byte_order_mark_before_a_headerless_file_keeps_every_row(tmp_path):
  paths = make_sample.make_sample(tmp_path / "in", train_rows=100,
                                  test_rows=30, header=False)
  train = pathlib.Path(paths["train"])
  train.write_bytes(b"\xef\xbb\xbf" + train.read_bytes())
  builder = _build(tmp_path / "in", tmp_path / "out")
  assert builder.info.metadata["rows"] == {"train": 100, "test": 30}
  assert builder.info.splits["train"].num_examples == 100


@pytest.mark.parametrize("content, rows", [
    (b"\xef\xbb\xbf" + _rows(3, 4), [1, 2]),
    (b'"label","pixel1"' + b',"p"' * 783 + b"\r\n" + _rows(3, 4), [2, 3]),
    (b"\xef\xbb\xbflabel," + b"pixel1," * 783 + b"pixel784\n" + _rows(5),
     [2]),
])
def test_header_is_recognised_by_its_look(tmp_path, content, rows):
  parsed = _parse(tmp_path, content)
  assert parsed.line_numbers.tolist() == rows


@pytest.mark.parametrize("first", ["3.0", " 3e0", "x3"])
def test_first_row_that_is_not_a_header_is_refused_at_line_1(tmp_path, first):
  with pytest.raises(csv_source.CsvFormatError,
                     match=rf"{TRAIN}:1: label = '{first}' is not an integer"):
    _parse(tmp_path, f"{first},{_PIXELS}\n".encode() + _rows(4))


@pytest.mark.parametrize("content, message", [
    (b"", ":1: no data rows in .* \\(the file is empty\\)"),
    (b"label," + b"pixel1," * 783 + b"pixel784\n\n",
     ":2: no data rows in .* \\(the file is only a header\\)"),
])
def test_file_without_data_rows_says_so(tmp_path, content, message):
  with pytest.raises(csv_source.CsvFormatError, match=TRAIN + message):
    _parse(tmp_path, content)


@pytest.mark.parametrize("header", [b"", b"label," + b"pixel1," * 783 +
                                    b"pixel784\n"])
def test_cr_only_line_ends_are_line_breaks(tmp_path, caplog, header):
  skip = 1 if header else 0
  parsed = _parse(tmp_path, (header + _rows(3, 4, 5)).replace(b"\n", b"\r"))
  assert parsed.raw_labels.tolist() == [3, 4, 5]
  assert parsed.line_numbers.tolist() == [1 + skip, 2 + skip, 3 + skip]
  assert "lone CR" in caplog.text
  with pytest.raises(csv_source.CsvFormatError,
                     match=f"{TRAIN}:{2 + skip}: pixel1"):
    _parse(tmp_path, (header + _rows(3) + b"3,x" + _PIXELS[1:].encode() +
                      b"\n" + _rows(4)).replace(b"\n", b"\r"))


# --- Every error names the file and the right line ---------------------------


@pytest.mark.parametrize("bad_row, line, message", [
    (b"100000000000000000000000," + _PIXELS.encode(), 4,
     "label 100000000000000000000000 is outside 0..24"),
    (b"3," + b"7" * 200_000 + b"," + _PIXELS[2:].encode(), 4,
     "a field is longer than the csv module's limit of 131,072"),
    (b"3,\xe9" + _PIXELS[1:].encode(), 4,
     "byte 0xe9 at column 3 is not UTF-8"),
    (b"3,1e400" + _PIXELS[1:].encode(), 4, "pixel1 = '1e400' is not an"),
])
def test_errors_name_file_and_line(tmp_path, bad_row, line, message):
  content = _rows(1, 2, 3) + bad_row + b"\n" + _rows(4)
  with pytest.raises(csv_source.CsvFormatError,
                     match=rf"{TRAIN}:{line}: .*{message}"):
    _parse(tmp_path, content)


@pytest.mark.parametrize("train, test, where", [
    ((1, 2, 9, 3), (1, 24), f"{TEST}:2"),  # The 9 and the 24 in two files.
    ((24, 2, 9, 3), (1,), f"{TRAIN}:1"),
])
def test_label_9_and_24_say_which_chose_the_scheme(tmp_path, train, test,
                                                   where):
  (tmp_path / "in").mkdir()
  (tmp_path / "in" / TRAIN).write_bytes(_rows(*train))
  (tmp_path / "in" / TEST).write_bytes(_rows(*test))
  with pytest.raises(
      csv_source.CsvFormatError,
      match=rf"{where}: label 24 is outside 0..23 \(contiguous scheme\); "
            rf"the contiguous scheme was detected from label 9 at "
            rf".*{TRAIN}:3"):
    _build(tmp_path / "in", tmp_path / "out")


# --- Several copies of one file; archives that cannot be read -----------------


def _zip(path, members: dict[str, bytes]):
  with zipfile.ZipFile(path, "w") as archive:
    for name, data in members.items():
      archive.writestr(name, data)


@pytest.mark.parametrize("layout", ["two_folders", "one_zip", "two_zips",
                                    "loose_and_zip"])
def test_differing_copies_are_refused_naming_each(tmp_path, layout):
  manual = tmp_path / "in"
  manual.mkdir()
  first, second = _rows(3, 4), _rows(3, 5)
  (manual / TEST).write_bytes(_rows(1))
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
  (manual / "a" / TRAIN).write_bytes(_rows(3, 4))
  _zip(manual / "k.zip", {TRAIN: _rows(3, 4), TEST: _rows(1)})
  builder = _build(manual, tmp_path / "out")  # Identical: either will do.
  assert builder.info.metadata["sources"]["train"] == str(manual / "a" / TRAIN)
  # A test file and a valid file that differ: which is the test split?
  (manual / "sign_mnist_valid.csv").write_bytes(_rows(2))
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
    archive.writestr(TRAIN, _rows(*range(20)))
    archive.writestr(TEST, _rows(1))
  data = bytearray((manual / "k.zip").read_bytes())
  data[1000] ^= 0x01  # Inside the stored train CSV: its CRC no longer holds.
  (manual / "k.zip").write_bytes(bytes(data))
  with pytest.raises(csv_source.CsvFormatError,
                     match=rf"{manual}/k.zip!{TRAIN}: cannot be read from the "
                           "zip archive"):
    _build(manual, tmp_path / "out")
