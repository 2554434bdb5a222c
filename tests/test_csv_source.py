"""Sign Language MNIST CSVs a careful user could hand over, as parsed: no row
lost, and every refusal names its file and line.

Whole builds: tests/integration/test_sign_language_mnist_builder.py.
"""

from __future__ import annotations

import pytest

from tests import helpers
from tfds_builders.sign_language_mnist import csv_source

TRAIN = "sign_mnist_train.csv"
TEST = "sign_mnist_test.csv"
_PIXELS = helpers.BLACK_PIXELS
_rows = helpers.csv_rows


def _parse(tmp_path, content: bytes) -> csv_source.ParsedSplit:
  path = tmp_path / TRAIN
  path.write_bytes(content)
  return csv_source.parse_csv(csv_source.SourceFile(path))


# --- A first row is a header only when it looks like one --------------------


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
