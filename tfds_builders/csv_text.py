"""Reads the text of the CSV files the builders take, naming file and line.

Spreadsheet programs start CSVs with a UTF-8 byte-order mark, old Macs end
lines with a lone CR, and a file saved as cp1252 is not UTF-8. The bytes are
decoded here rather than by a file API (etils' `read_text` ignores a
`utf-8-sig` encoding), so that every problem is reported at its line.
"""

from __future__ import annotations

from collections.abc import Iterator
import csv
import io

_BOM = b"\xef\xbb\xbf"


def strip_bom(data: bytes) -> bytes:
  """The bytes without a leading UTF-8 byte-order mark."""
  return data[len(_BOM):] if data.startswith(_BOM) else data


def has_cr_only_line_ends(data: bytes) -> bool:
  """Whether lines end with a lone CR (classic Mac OS) rather than LF."""
  return b"\r" in data and b"\n" not in data


def decode_utf8(data: bytes, where: str, error: type[Exception] = ValueError
                ) -> str:
  """UTF-8 text of a file, without a byte-order mark.

  Args:
    data: The file's bytes.
    where: The file, as it is to be named in an error.
    error: The exception class to raise.

  Returns:
    The text.

  Raises:
    error: `where:line:` first, for bytes that are not UTF-8.
  """
  data = strip_bom(data)
  try:
    return data.decode("utf-8")
  except UnicodeDecodeError as e:
    line = data.count(b"\n", 0, e.start) + data.count(b"\r", 0, e.start) - (
        data.count(b"\r\n", 0, e.start)) + 1
    column = e.start - max(data.rfind(b"\n", 0, e.start),
                           data.rfind(b"\r", 0, e.start))
    raise error(
        f"{where}:{line}: byte 0x{data[e.start]:02x} at column {column} is "
        "not UTF-8 text; save the file as UTF-8 (a spreadsheet's "
        "\"CSV UTF-8\" format).") from None


def rows(text: str, where: str, error: type[Exception] = ValueError
         ) -> Iterator[tuple[int, list[str]]]:
  """CSV rows with the line each starts on, blank lines included as [].

  LF, CRLF and lone CR all end a line.

  Args:
    text: Decoded text (see `decode_utf8`).
    where: The file, as it is to be named in an error.
    error: The exception class to raise.

  Yields:
    `(1-based line, cells)`.

  Raises:
    error: `where:line:` first, for a row the csv module cannot read (a
      field over its size limit, a stray quote).
  """
  # newline="": the csv module then sees every line end as written, and its
  # line count matches what an editor shows.
  reader = csv.reader(io.StringIO(text, newline=""))
  line = 1
  while True:
    try:
      row = next(reader)
    except StopIteration:
      return
    except csv.Error as e:
      where_line = f"{where}:{max(reader.line_num, line)}"
      if "field larger" in str(e):
        raise error(f"{where_line}: a field is longer than the csv module's "
                    f"limit of {csv.field_size_limit():,} characters; is "
                    "this the right file?") from None
      raise error(f"{where_line}: {e}") from None
    yield line, row
    line = reader.line_num + 1
