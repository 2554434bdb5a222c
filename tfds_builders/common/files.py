"""Files and folders written whole or not at all.

Everything the package writes (a run's JSON and weights, its export, plots,
a dataset report, a Beam build's listings) goes through here: it is written
under a temporary name beside its final one, then renamed over it. A process
killed at any moment leaves the previous version or the new one, never half
a file; after a power loss the new name never points at an empty file
(local files are flushed to disk before the rename).

Standard library and etils only: importing this module loads no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
import json
import os
import pathlib
import shutil
from typing import Any
import uuid

from etils import epath

PathLike = str | os.PathLike


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[pathlib.Path]:
  """Yields a temporary path to write; renames it to `path` on success.

  The temporary file sits beside `path` (one file system, so the rename is
  atomic), is hidden, and ends with the final name, so that writers that
  choose a format by the suffix (Keras, Matplotlib, h5py) choose the right
  one. On an exception it is removed and `path` is left as it was.

  Args:
    path: The local file to (re)write; its folder must exist.

  Yields:
    The path to write to.
  """
  path = pathlib.Path(path)
  tmp = _temporary_name(path)
  try:
    yield tmp
    _fsync(tmp)
    os.replace(tmp, path)
  finally:
    if tmp.exists():
      tmp.unlink()


def write_text(path: PathLike | epath.Path, text: str) -> None:
  """Writes `text` as UTF-8, whole or not at all.

  Args:
    path: A local path, or any `etils.epath` path (a bucket of a Beam
      build's cluster, e.g. `gs://...`), where the rename is the storage's
      own.
  """
  if _is_local(path):
    with atomic_path(path) as tmp:
      tmp.write_text(text, encoding="utf-8")
    return
  path = epath.Path(path)
  tmp = path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{path.name}")
  try:
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
  finally:
    if tmp.exists():
      tmp.unlink()


def write_json(path: PathLike | epath.Path, value: Any) -> None:
  """Writes `value` as indented JSON, whole or not at all."""
  write_text(path, json.dumps(value, indent=2) + "\n")


def read_json(path: PathLike) -> dict[str, Any]:
  """A JSON file's contents, or {} if it does not exist."""
  path = pathlib.Path(path)
  return json.loads(path.read_text()) if path.exists() else {}


def replace_dir(path: PathLike, write: Callable[[pathlib.Path], Any], *,
                previous: PathLike | None = None) -> None:
  """Writes a folder with `write(tmp_dir)`, then swaps it in for `path`.

  The swap takes two renames (the old folder aside, the new one in); a
  reader that finds no `path` between them finds `previous`.

  Args:
    path: The folder to (re)write.
    write: Fills the temporary folder it is given (which does not exist
      yet).
    previous: Where the old folder waits during the swap; default
      `path` + ".old".
  """
  path = pathlib.Path(path)
  tmp = _temporary_name(path)
  old = pathlib.Path(previous) if previous else path.with_name(
      f"{path.name}.old")
  shutil.rmtree(tmp, ignore_errors=True)
  try:
    write(tmp)
    if path.exists():
      shutil.rmtree(old, ignore_errors=True)
      os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)
  finally:
    shutil.rmtree(tmp, ignore_errors=True)


def _is_local(path) -> bool:
  return "://" not in os.fspath(path)


def _temporary_name(path: pathlib.Path) -> pathlib.Path:
  # Hidden, unique to this process and call, and ending with the final name.
  return path.with_name(f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}-"
                        f"{path.name}")


def _fsync(path: pathlib.Path) -> None:
  # Data on disk before the rename makes it visible. A folder written in
  # place of a file (a SavedModel) has nothing to flush here.
  if path.is_file():
    with open(path, "rb") as f:
      os.fsync(f.fileno())
