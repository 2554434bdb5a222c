"""Reads a split's `label.csv` and finds the files its rows name.

Rows are `path,label`, header optional; a path is relative to the split
folder or to the root, or absolute inside the root. A path is first resolved
(`.` and `..` applied), then judged: a row whose file lies inside the root is
used whichever way it is spelled, a row that can only mean a file outside
the root is refused.
"""

from __future__ import annotations

import dataclasses

from absl import logging
from etils import epath

from tfds_builders import csv_text
from tfds_builders.cats_dogs import tree_walk

LABEL_CSV = "label.csv"
# A first row is a header when one of its cells is one of these words (and
# its path names no file): `file,label`, Kaggle's `id,label`, and the like.
_HEADER_WORDS = frozenset({
    "file", "filename", "file_name", "filepath", "file_path", "path",
    "image", "image_path", "img", "id", "name", "label", "labels", "class",
    "category", "target", "y",
})


class LabelCsvError(ValueError):
  """A `label.csv` row that cannot be used safely (names file and line)."""


@dataclasses.dataclass(frozen=True)
class Row:
  """A `label.csv` row, its path resolved.

  Attributes:
    where: `file:line`.
    path_cell: The path as written.
    label: The label cell.
    path: The file it names, or None if there is none.
  """
  where: str
  path_cell: str
  label: str
  path: epath.Path | None


def read_rows(root: epath.Path, split_folder: epath.Path,
              bases: set[str]) -> list[Row]:
  """The rows of a split's `label.csv`, each path resolved (see `read`)."""
  label_file = split_folder / LABEL_CSV
  return [Row(f"{label_file}:{line}", path_cell, label,
              resolve(root, split_folder, path_cell, f"{label_file}:{line}"))
          for line, path_cell, label in read(root, split_folder, bases)]


def read(root: epath.Path, split_folder: epath.Path, bases: set[str]
         ) -> list[tuple[int, str, str]]:
  """(line, path cell, label cell) rows of a split's `label.csv`.

  A `label.csv` that is a link to a file outside the tree is not read, as
  a photo linked from outside is not: the listing counts it under
  `links_outside_root`, and the split is labelled without it. Nothing of a
  file outside the tree can then reach the dataset or an error message.

  The bytes are decoded here: a UTF-8 byte-order mark is dropped (it would
  otherwise become part of the first path), and bytes that are not UTF-8
  fail naming the line. The first row is dropped as a header when a cell of
  it is a column name such as `file` or `label` and its path names no file.

  Args:
    root: The dataset root.
    split_folder: The split folder holding the `label.csv`.
    bases: Resolved folders of the tree (`tree_walk.tree_bases`).

  Raises:
    LabelCsvError: Naming file and line: not a regular file, not UTF-8,
      not CSV, or a row without a label.
  """
  path = split_folder / LABEL_CSV
  if not path.exists():
    return []
  if not tree_walk.is_inside(tree_walk.real_path(path), bases):
    logging.warning("cats_dogs: %s links to a file outside the dataset root; "
                    "not read, so its labels are not used.", path)
    return []
  if not tree_walk.is_regular_file(path):  # A folder, or a pipe.
    raise LabelCsvError(f"{path}: not a regular file; label.csv must be a "
                        "CSV file of `path,label` rows.")
  text = csv_text.decode_utf8(path.read_bytes(), str(path), LabelCsvError)
  rows = []
  first = True
  for line, row in csv_text.rows(text, str(path), LabelCsvError):
    cells = [cell.strip() for cell in row]
    if not any(cells):
      continue
    is_first, first = first, False
    where = f"{path}:{line}"
    if len(cells) < 2 or not cells[1]:
      raise LabelCsvError(f"{where}: expected `path,label`, got "
                          f"{','.join(row)!r}.")
    if (is_first and _is_header(cells[0], cells[1]) and
        resolve(root, split_folder, cells[0], where) is None):
      continue
    rows.append((line, cells[0], cells[1]))
  return rows


def _is_header(path_cell: str, label_cell: str) -> bool:
  return (path_cell.lower() in _HEADER_WORDS or
          label_cell.lower() in _HEADER_WORDS)


def resolve(root: epath.Path, split_folder: epath.Path, cell: str,
            where: str) -> epath.Path | None:
  """The file a `label.csv` path names, or None if it does not exist.

  A relative path may be meant from the split folder or from the root; the
  first reading that names an existing file inside the root wins.

  Raises:
    LabelCsvError: No reading of the path stays inside the root but one
      leaves it.
  """
  cell = cell.replace("\\", "/")  # Lists written on Windows.
  if cell.startswith("/"):
    absolute = _normalize(cell.lstrip("/").split("/"))
    candidates = [None]
    for base in {str(root), str(root.resolve())}:
      base_parts = _normalize(base.lstrip("/").split("/"))
      if absolute is not None and absolute[:len(base_parts)] == base_parts:
        candidates = [absolute[len(base_parts):]]
  else:
    split_parts = split_folder.relative_to(root).parts
    candidates = [_normalize(list(split_parts) + cell.split("/")),
                  _normalize(cell.split("/"))]
  inside = [root.joinpath(*parts) for parts in candidates if parts]
  found = next((p for p in inside if p.is_file()), None)
  if found is None and None in candidates:
    raise LabelCsvError(
        f"{where}: path {cell!r} points outside the dataset root {root}. "
        "label.csv paths must stay inside it, relative to the split folder "
        "or to the root; fix or remove that row.")
  return found


def _normalize(parts: list[str]) -> list[str] | None:
  """Path parts with `.` and `..` resolved; None when `..` climbs too far."""
  out = []
  for part in parts:
    if part in ("", "."):
      continue
    if part == "..":
      if not out:
        return None
      out.pop()
    else:
      out.append(part)
  return out
