"""Finds, parses and validates the Sign Language MNIST CSV files.

The files have one image per row: a label followed by 784 pixel values of a
28x28 grayscale image in row-major order, with an optional header row
`label,pixel1,...,pixel784`. They come loose, in nested folders, or inside the
Kaggle zip.

Parsing takes a fast path (pandas' C reader) and only when the result is not
a clean integer table does it rescan the file line by line, so that a bad file
fails with the exact line to fix while a good one costs a single vectorized
read.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from typing import Iterable

from etils import epath
import numpy as np
import pandas as pd

LETTERS = "ABCDEFGHIKLMNOPQRSTUVWXY"
IMAGE_SIDE = 28
NUM_PIXELS = IMAGE_SIDE * IMAGE_SIDE
NUM_COLUMNS = 1 + NUM_PIXELS

KAGGLE = "kaggle"
CONTIGUOUS = "contiguous"
SCHEMES = (KAGGLE, CONTIGUOUS)

# Kaggle keeps the alphabet position (J = 9 and Z = 25 have no static sign);
# the course copy renumbers the 24 letters 0-23.
_KAGGLE_J = 9
_CONTIGUOUS_MAX = len(LETTERS) - 1


class CsvFormatError(ValueError):
  """A source CSV does not hold what the dataset expects.

  The message always starts with `file:line:` so that a user can open the
  offending row directly.
  """


@dataclasses.dataclass(frozen=True)
class SourceFile:
  """A CSV either on disk or inside a zip archive.

  Attributes:
    path: The file, or the zip archive that holds it.
    member: The name inside the archive, or None for a loose file.
  """

  path: epath.Path
  member: str | None = None

  def __str__(self) -> str:
    return f"{self.path}!{self.member}" if self.member else str(self.path)

  def read_bytes(self) -> bytes:
    if self.member is None:
      return self.path.read_bytes()
    with self.path.open("rb") as f, zipfile.ZipFile(f) as archive:
      return archive.read(self.member)


@dataclasses.dataclass(frozen=True)
class ParsedSplit:
  """One validated CSV.

  Attributes:
    source: Where the rows came from.
    images: uint8 array of shape [rows, 28, 28, 1].
    raw_labels: int64 array of the labels as written in the file.
    line_numbers: 1-based line of each row in the file (stable example keys
      and precise error messages).
  """

  source: SourceFile
  images: np.ndarray
  raw_labels: np.ndarray
  line_numbers: np.ndarray


def find_source(root: epath.PathLike, filename: str) -> SourceFile | None:
  """Looks for `filename` under `root`, loose or inside any zip archive.

  Loose files win over archived ones; among several candidates the shortest
  path wins, so the result does not depend on directory listing order.

  Args:
    root: The manual directory.
    filename: The base name to look for, e.g. `sign_mnist_train.csv`.

  Returns:
    The file, or None if there is none.
  """
  root = epath.Path(root)
  files = [folder / name for folder, _, names in root.walk() for name in names]
  loose = sorted((p for p in files if p.name == filename),
                 key=lambda p: (len(str(p)), str(p)))
  if loose:
    return SourceFile(loose[0])
  for archive_path in sorted((p for p in files if p.suffix == ".zip"), key=str):
    with archive_path.open("rb") as f, zipfile.ZipFile(f) as archive:
      members = sorted(
          (n for n in archive.namelist()
           if n.rsplit("/", 1)[-1] == filename and
           not n.startswith("__MACOSX/")),
          key=lambda n: (len(n), n))
    if members:
      return SourceFile(archive_path, members[0])
  return None


def _has_header(first_line: bytes) -> bool:
  first_field = first_line.split(b",", 1)[0].strip()
  return not first_field.lstrip(b"-").isdigit()


def parse_csv(source: SourceFile) -> ParsedSplit:
  """Reads and validates one CSV.

  Args:
    source: The file to read.

  Returns:
    The rows as arrays.

  Raises:
    CsvFormatError: naming the file and line of the first row with a wrong
      column count or a pixel that is not an integer in 0..255.
  """
  data = source.read_bytes()
  first_line = data.split(b"\n", 1)[0]
  header_lines = 1 if _has_header(first_line) else 0
  table = _fast_read(data, header_lines)
  if table is None:
    _raise_first_error(source, data, header_lines)
    raise CsvFormatError(f"{source}:1: could not be parsed as a CSV table of "
                         f"{NUM_COLUMNS} integer columns")
  if not len(table):
    raise CsvFormatError(f"{source}:{header_lines + 1}: the file has no rows")
  lines = _line_numbers(data, header_lines)
  if len(lines) != len(table):
    # Only possible with line breaks inside quoted fields, which this format
    # never has; refuse rather than mislabel rows.
    raise CsvFormatError(f"{source}:1: {len(table)} rows parsed from "
                         f"{len(lines)} non-blank lines; is a field quoted "
                         "across lines?")
  pixels = table[:, 1:]
  return ParsedSplit(
      source=source,
      images=pixels.astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE, 1),
      raw_labels=table[:, 0].copy(),
      line_numbers=lines)


def _fast_read(data: bytes, header_lines: int) -> np.ndarray | None:
  """Returns the table as int64, or None if it is not clean."""
  try:
    frame = pd.read_csv(io.BytesIO(data), header=None, skiprows=header_lines,
                        engine="c", skip_blank_lines=True)
  except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
    return None
  if frame.shape[1] != NUM_COLUMNS:
    return None
  if not all(pd.api.types.is_integer_dtype(t) for t in frame.dtypes):
    return None  # A NaN (short row) or a non-integer somewhere.
  table = frame.to_numpy(dtype=np.int64)
  pixels = table[:, 1:]
  if pixels.size and (pixels.min() < 0 or pixels.max() > 255):
    return None
  return table


def _line_numbers(data: bytes, header_lines: int) -> np.ndarray:
  """1-based line numbers of the non-blank data rows."""
  lines = data.split(b"\n")
  return np.array(
      [i + 1 for i, line in enumerate(lines)
       if i >= header_lines and line.strip()], dtype=np.int64)


def _raise_first_error(source: SourceFile, data: bytes,
                       header_lines: int) -> None:
  """Rescans row by row and raises CsvFormatError at the first bad row."""
  text = io.StringIO(data.decode("utf-8", errors="replace"))
  for index, row in enumerate(csv.reader(text)):
    line = index + 1
    if line <= header_lines or not row or row == [""]:
      continue
    where = f"{source}:{line}"
    if len(row) != NUM_COLUMNS:
      raise CsvFormatError(
          f"{where}: expected {NUM_COLUMNS} columns (label and {NUM_PIXELS} "
          f"pixels), found {len(row)}")
    _parse_int(row[0], where, "label")
    for column, value in enumerate(row[1:], start=1):
      pixel = _parse_int(value, where, f"pixel{column}")
      if not 0 <= pixel <= 255:
        raise CsvFormatError(
            f"{where}: pixel{column} = {value!r} is outside 0..255")


def _parse_int(value: str, where: str, column: str) -> int:
  try:
    return int(value)
  except ValueError:
    raise CsvFormatError(
        f"{where}: {column} = {value!r} is not an integer") from None


def detect_scheme(raw_labels: Iterable[np.ndarray]) -> tuple[str, bool]:
  """Guesses the label scheme from every label in the dataset.

  A 9 only exists when the labels were renumbered 0-23 (Kaggle keeps 9 for
  J, which has no static sign), so its presence decides.

  Args:
    raw_labels: The label arrays of all splits.

  Returns:
    The scheme, and whether the evidence was conclusive (a 9 or a 24 seen).
  """
  seen = np.unique(np.concatenate(list(raw_labels)))
  if _KAGGLE_J in seen:
    return CONTIGUOUS, True
  return KAGGLE, bool((seen == len(LETTERS)).any())


def to_class_index(split: ParsedSplit, scheme: str) -> np.ndarray:
  """Maps the labels of one split to indices into `LETTERS`.

  Args:
    split: A parsed CSV.
    scheme: `kaggle` (0-24, no 9) or `contiguous` (0-23).

  Returns:
    int64 class indices in 0..23.

  Raises:
    CsvFormatError: naming the file and line of the first label that the
      scheme does not allow.
  """
  labels = split.raw_labels
  if scheme == KAGGLE:
    valid = (labels >= 0) & (labels <= len(LETTERS)) & (labels != _KAGGLE_J)
    allowed = "0..24 without 9 (Kaggle scheme, J has no static sign)"
    indices = labels - (labels > _KAGGLE_J)
  elif scheme == CONTIGUOUS:
    valid = (labels >= 0) & (labels <= _CONTIGUOUS_MAX)
    allowed = f"0..{_CONTIGUOUS_MAX} (contiguous scheme)"
    indices = labels
  else:
    raise ValueError(f"Unknown label scheme {scheme!r}; expected one of "
                     f"{SCHEMES}")
  if not valid.all():
    bad = int(np.argmin(valid))
    raise CsvFormatError(
        f"{split.source}:{split.line_numbers[bad]}: label {labels[bad]} is "
        f"outside {allowed}")
  return indices
