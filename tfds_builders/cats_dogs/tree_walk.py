"""Lists the files of a split folder, symlinks followed safely.

A symlink is followed at most once and never into a folder already listed,
so a loop (`cats/up -> ..`) ends; a link whose target lies outside the
dataset tree (the root, or a split folder that is itself a link) is skipped
and counted, never read: it is treated like a `label.csv` path outside the
root, except that the build goes on. Hidden files and folders (`.thumbs/`,
`.cache/`) are skipped and counted like `.DS_Store`, and so are named pipes,
sockets and devices.
"""

from __future__ import annotations

import dataclasses
import os
import stat

from etils import epath

from tfds_builders.common import image_files

# Count keys recorded in the dataset metadata.
SYSTEM_FILES = "system_files"
HIDDEN_FILES = "hidden_files"
HIDDEN_FOLDERS = "hidden_folders"
LINKS_OUTSIDE_ROOT = "links_outside_root"
LINKS_TO_LISTED = "links_to_listed_folders_or_files"
BROKEN_LINKS = "broken_links"
# Named pipes, sockets and devices: reading a pipe would wait forever.
SPECIAL_FILES = "special_files"


@dataclasses.dataclass
class Listing:
  """What `list_files` found.

  Attributes:
    files: The files to consider, sorted by their path.
    skipped: (count key, path) of everything left out, in listing order.
  """
  files: list[epath.Path]
  skipped: list[tuple[str, epath.Path]]


def real_path(path: epath.Path) -> str:
  """The path with every symlink resolved."""
  return os.path.realpath(os.fspath(path))


def is_regular_file(path: epath.Path) -> bool:
  """Whether a path (links followed) is a regular file.

  `epath`'s `is_file` is true of anything that is not a folder, named pipes
  included, and reading a pipe waits forever.
  """
  try:
    return stat.S_ISREG(os.stat(os.fspath(path)).st_mode)
  except OSError:
    return False


def is_inside(real: str, bases: set[str]) -> bool:
  """Whether a resolved path lies in one of the resolved folders `bases`."""
  return any(real == base or real.startswith(base.rstrip(os.sep) + os.sep)
             for base in bases)


def tree_bases(root: epath.Path, folders) -> set[str]:
  """The resolved folders that make up the dataset tree.

  The root, and each split folder (which may be a link the user made to
  data kept elsewhere).
  """
  return {real_path(root)} | {real_path(f) for f in folders}


def list_files(folder: epath.Path, bases: set[str]) -> Listing:
  """Every file below `folder`, symlinks followed once and inside `bases`.

  Plain entries are listed first and links after them, so a file reached
  both directly and through a link keeps its own path.

  Args:
    folder: A split folder.
    bases: Resolved folders the files must lie in (see `tree_bases`).

  Returns:
    The files and what was skipped.
  """
  files, skipped, links = [], [], []
  listed_dirs, listed_files = set(), set()

  def visit(directory: epath.Path, real_dir: str) -> None:
    listed_dirs.add(real_dir)
    with os.scandir(real_dir) as scan:
      entries = sorted(scan, key=lambda e: e.name)
    for entry in entries:
      path, name = directory / entry.name, entry.name
      if entry.is_symlink():
        links.append(path)
      elif entry.is_dir():
        if name.lower() in image_files.SYSTEM_DIR_NAMES:
          continue
        if name.startswith("."):
          skipped.append((HIDDEN_FOLDERS, path))
        elif entry.path in listed_dirs:
          skipped.append((LINKS_TO_LISTED, path))
        else:
          visit(path, entry.path)
      elif image_files.is_system_file(name):
        skipped.append((SYSTEM_FILES, path))
      elif name.startswith("."):
        skipped.append((HIDDEN_FILES, path))
      elif not entry.is_file():
        skipped.append((SPECIAL_FILES, path))
      elif entry.path in listed_files:
        skipped.append((LINKS_TO_LISTED, path))
      else:
        files.append(path)
        listed_files.add(entry.path)

  visit(folder, real_path(folder))
  while links:
    path = links.pop(0)
    target = real_path(path)
    if path.name.startswith(".") or image_files.is_system_file(path.name):
      skipped.append((HIDDEN_FILES, path))
    elif not is_inside(target, bases):
      skipped.append((LINKS_OUTSIDE_ROOT, path))
    elif not os.path.exists(target):
      skipped.append((BROKEN_LINKS, path))
    elif os.path.isdir(target):
      # Inside a listed folder means listed already, or left out on purpose
      # (hidden); an ancestor would list the tree again.
      if is_inside(target, listed_dirs) or any(
          is_inside(d, {target}) for d in listed_dirs):
        skipped.append((LINKS_TO_LISTED, path))
      else:
        visit(path, target)
    elif not is_regular_file(epath.Path(target)):
      skipped.append((SPECIAL_FILES, path))
    elif target in listed_files:
      skipped.append((LINKS_TO_LISTED, path))
    else:
      files.append(path)
      listed_files.add(target)
  return Listing(sorted(files, key=lambda p: p.parts), skipped)
