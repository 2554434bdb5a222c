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

import dataclasses
import hashlib
import io
import zipfile
import zlib
from typing import Iterable

from absl import logging
from etils import epath
import numpy as np
import pandas as pd

from tfds_builders import csv_text

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
    """The file's bytes.

    Raises:
      CsvFormatError: The zip archive or its member is corrupt.
    """
    if self.member is None:
      return self.path.read_bytes()
    try:
      with self.path.open("rb") as f, zipfile.ZipFile(f) as archive:
        return archive.read(self.member)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError,
            NotImplementedError) as e:
      # RuntimeError: encrypted; NotImplementedError: unknown compression.
      raise CsvFormatError(f"{self}: cannot be read from the zip archive "
                           f"({e}); download it again.") from None


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

  Several copies (in two folders, twice in one zip, in two zips, loose and
  zipped) are fine only when they are byte-identical; the shortest path,
  loose before zipped, is then used, so the result does not depend on
  directory listing order.

  Args:
    root: The manual directory.
    filename: The base name to look for, e.g. `sign_mnist_train.csv`.

  Returns:
    The file, or None if there is none.

  Raises:
    CsvFormatError: Copies differ (all are named), or a zip archive under
      `root` is not readable (it is named).
  """
  return single_source(find_copies(root, (filename,)), filename)


def find_copies(root: epath.PathLike,
                filenames: Iterable[str]) -> list[SourceFile]:
  """Every file under `root` named one of `filenames`, loose or zipped.

  Returns:
    Loose files first, then archive members; each group by path length.

  Raises:
    CsvFormatError: A zip archive under `root` is not readable.
  """
  root = epath.Path(root)
  filenames = set(filenames)
  files = [folder / name for folder, _, names in root.walk() for name in names]
  found = [SourceFile(p) for p in sorted(
      (p for p in files if p.name in filenames),
      key=lambda p: (len(str(p)), str(p)))]
  for archive_path in sorted((p for p in files if p.suffix == ".zip"), key=str):
    try:
      with archive_path.open("rb") as f, zipfile.ZipFile(f) as archive:
        names = archive.namelist()
    except (zipfile.BadZipFile, EOFError) as e:
      raise CsvFormatError(
          f"{archive_path}: not a readable zip archive ({e}); download it "
          "again or move it out of the manual directory.") from None
    found.extend(SourceFile(archive_path, n) for n in sorted(
        (n for n in names
         if n.rsplit("/", 1)[-1] in filenames and
         not n.startswith("__MACOSX/")),
        key=lambda n: (len(n), n)))
  return found


def single_source(copies: list[SourceFile], what: str) -> SourceFile | None:
  """The one file among `copies`, which must all hold the same bytes.

  Args:
    copies: Candidates, preferred first.
    what: What they are, for the error message.

  Returns:
    The first copy, or None if there is none.

  Raises:
    CsvFormatError: The copies differ; every one is named.
  """
  if len(copies) > 1:
    digests = {hashlib.sha256(c.read_bytes()).digest() for c in copies}
    if len(digests) > 1:
      listed = "\n  ".join(str(c) for c in copies)
      raise CsvFormatError(
          f"{len(copies)} files could be the {what}, and they differ:\n  "
          f"{listed}\nKeep only the one to build from in the manual "
          "directory.")
  return copies[0] if copies else None


def _has_header(first_line: bytes) -> bool:
  """Whether the first line looks like `label,pixel1,...`.

  Only a line none of whose cells is a number is a header; any other line is
  a data row, parsed or refused with its line number (a first label written
  `3.0` must not silently drop a row).
  """
  cells = [c.strip().strip(b'"').strip() for c in first_line.split(b",")]
  return bool(cells[0]) and cells[0][:1].isalpha() and not any(
      _is_number(c) for c in cells)


def _is_number(cell: bytes) -> bool:
  try:
    float(cell)
  except ValueError:
    return False
  return True


def parse_csv(source: SourceFile) -> ParsedSplit:
  """Reads and validates one CSV.

  A UTF-8 byte-order mark is ignored, and LF, CRLF and lone CR all end a
  line.

  Args:
    source: The file to read.

  Returns:
    The rows as arrays.

  Raises:
    CsvFormatError: naming the file and line of the first row with a wrong
      column count or a pixel that is not an integer in 0..255, of bytes
      that are not UTF-8, or saying that the file has no data row.
  """
  data = csv_text.strip_bom(source.read_bytes())
  if csv_text.has_cr_only_line_ends(data):
    logging.warning("%s ends its lines with a lone CR (classic Mac OS); "
                    "read as line breaks.", source)
  # One line end for the fast reader and for the line numbers alike.
  data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
  first_line = data.split(b"\n", 1)[0]
  header_lines = 1 if _has_header(first_line) else 0
  table = _fast_read(data, header_lines)
  if table is None:
    table = _slow_read(source, data, header_lines)
  if not len(table):
    raise CsvFormatError(
        f"{source}:{header_lines + 1}: no data rows in {source} (the file is "
        f"{'only a header' if header_lines else 'empty'}).")
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


def _slow_read(source: SourceFile, data: bytes,
               header_lines: int) -> np.ndarray:
  """Reads the table row by row, raising CsvFormatError at the first bad row.

  Runs only when the fast reader refused the file; every reason it may have
  had is checked here, so that the error names the row.
  """
  text = csv_text.decode_utf8(data, str(source), CsvFormatError)
  table = []
  for line, row in csv_text.rows(text, str(source), CsvFormatError):
    if line <= header_lines or not row or row == [""]:
      continue
    where = f"{source}:{line}"
    if len(row) != NUM_COLUMNS:
      raise CsvFormatError(
          f"{where}: expected {NUM_COLUMNS} columns (label and {NUM_PIXELS} "
          f"pixels), found {len(row)}")
    label = _parse_int(row[0], where, "label")
    if not -2**63 <= label < 2**63:
      raise CsvFormatError(f"{where}: label {label} is outside 0..24")
    values = [label]
    for column, value in enumerate(row[1:], start=1):
      pixel = _parse_int(value, where, f"pixel{column}")
      if not 0 <= pixel <= 255:
        raise CsvFormatError(
            f"{where}: pixel{column} = {value!r} is outside 0..255")
      values.append(pixel)
    table.append(values)
  return np.array(table, dtype=np.int64).reshape(-1, NUM_COLUMNS)


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


def why_contiguous(splits: Iterable[ParsedSplit]) -> str:
  """Where the label 9 that made `detect_scheme` choose 0-23 is written."""
  for split in splits:
    nines = np.flatnonzero(split.raw_labels == _KAGGLE_J)
    if nines.size:
      return (f"the contiguous scheme was detected from label 9 at "
              f"{split.source}:{split.line_numbers[nines[0]]}, which the "
              "Kaggle scheme (0..24 with 9 unused) never has; one of the two "
              "labels is wrong")
  return ""


def to_class_index(split: ParsedSplit, scheme: str,
                   why: str = "") -> np.ndarray:
  """Maps the labels of one split to indices into `LETTERS`.

  Args:
    split: A parsed CSV.
    scheme: `kaggle` (0-24, no 9) or `contiguous` (0-23).
    why: How the scheme was chosen, added to an error.

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
        f"outside {allowed}" + (f"; {why}" if why else ""))
  return indices
