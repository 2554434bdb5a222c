"""Finds the splits, classes and labelled files of an image-folder tree.

Layout: `root/<split>/<class>/**/<image>`, with an optional
`root/<split>/label.csv` of `path,label` rows (header optional; paths relative
to the split folder or to the root). A label in `label.csv` wins over the
folder the file sits in. Only file names and the CSVs are read here; the
images themselves are checked by `image_files`.

Two more trees are read as they are downloaded:
  * class folders with no split folder above them (`PetImages/{Cat,Dog}`,
    Microsoft's cats and dogs download): one `train` split;
  * for the `cats_dogs` layout, images loose in a split folder and named
    `cat.<n>.jpg` / `dog.<n>.jpg` (Kaggle's dogs-vs-cats `train.zip`): the
    name gives the label.
"""

from __future__ import annotations

import collections
import dataclasses

from absl import logging
from etils import epath

from tfds_builders.cats_dogs import class_names
from tfds_builders.cats_dogs import label_csv
from tfds_builders.cats_dogs import tree_walk
from tfds_builders.common import image_files

# Split folder name (lower case) -> TFDS split name.
SPLIT_FOLDERS = {
    "train": "train", "test": "test",
    "valid": "validation", "validation": "validation", "val": "validation",
}
LABEL_CSV = label_csv.LABEL_CSV
# Class folders of the `cats_dogs` layout (lower case) -> label.
CATS_DOGS_FOLDERS = {"cat": 0, "cats": 0, "dog": 1, "dogs": 1}
CATS_DOGS_NAMES = ("cat", "dog")
IMAGE_SUFFIXES = frozenset({
    ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".gif", ".bmp", ".webp",
    ".tif", ".tiff",
})
# Count keys recorded in the dataset metadata.
SYSTEM_FILES = tree_walk.SYSTEM_FILES
UNLABELED = "unlabeled_files"
MISSING = "missing_files"
OVERRIDDEN = "label_overridden"
DUPLICATE_ROWS = "duplicate_rows"
ESCAPED_NAMES = "escaped_file_names"


LabelCsvError = label_csv.LabelCsvError


@dataclasses.dataclass(frozen=True)
class Entry:
  """One labelled file; `key` is its path relative to the root (posix)."""
  key: str
  path: epath.Path
  label: int


@dataclasses.dataclass
class SplitSource:
  """The files of one split and what was skipped while listing them."""
  name: str
  folder: epath.Path
  entries: list[Entry]
  counts: collections.Counter
  examples: dict[str, list[str]]


def find_root(manual_dir: epath.PathLike) -> epath.Path:
  """The root of the tree: `manual_dir` or one level down.

  The root holds split folders, or else (a tree without splits) at least
  two class folders with images in them. One level down covers an archive
  extracted into a folder of its own (`manual_dir/cats_and_dogs/{train,test}`,
  `manual_dir/PetImages/{Cat,Dog}`).

  Raises:
    FileNotFoundError: Neither place holds such folders.
  """
  manual_dir = epath.Path(manual_dir)
  if _split_folders(manual_dir):
    return manual_dir
  candidates = [d for d in _subdirs(manual_dir) if _split_folders(d)]
  if len(candidates) == 1:
    return candidates[0]
  found = ", ".join(str(d) for d in candidates) or "none"
  raise FileNotFoundError(
      f"Expected split folders ({', '.join(sorted(SPLIT_FOLDERS))}) or at "
      f"least two class folders of images in {manual_dir} or in exactly one "
      f"folder inside it; found: {found}.")


def _subdirs(folder: epath.Path) -> list[epath.Path]:
  """Sub-folders, sorted, archiver and VCS folders left out."""
  if not folder.is_dir():
    return []
  return sorted(
      (p for p in folder.iterdir() if p.is_dir()
       and p.name.lower() not in image_files.SYSTEM_DIR_NAMES
       and not p.name.startswith(".")),
      key=lambda p: p.name)


def _split_folders(root: epath.Path) -> dict[str, epath.Path]:
  """TFDS split name -> folder, for the splits of the tree at `root`.

  The split folders present in `root`; with none, a `root` holding two or
  more class folders of images is one `train` split.
  """
  splits = _named_split_folders(root)
  if not splits and len(_class_folders(root)) >= 2:
    splits = {"train": root}
  return splits


def _class_folders(folder: epath.Path) -> list[epath.Path]:
  """Sub-folders holding image files directly."""
  return [d for d in _subdirs(folder)
          if any(p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
                 for p in d.iterdir())]


def _named_split_folders(root: epath.Path) -> dict[str, epath.Path]:
  """TFDS split name -> folder, for the split folders present in `root`."""
  splits = {}
  for folder in _subdirs(root):
    split = SPLIT_FOLDERS.get(folder.name.lower())
    if split is None:
      continue
    if split in splits:
      raise ValueError(f"Both {splits[split]} and {folder} would become the "
                       f"{split!r} split; keep one of them.")
    splits[split] = folder
  return splits


def scan(root: epath.Path, layout: str
         ) -> tuple[list[str], dict[str, SplitSource]]:
  """Lists every split's labelled files.

  Args:
    root: Folder holding the split folders (see `find_root`).
    layout: `cats_dogs` (class folders cat(s)/dog(s), labels 0 = cat and
      1 = dog) or `folder` (class names from the class folders, sorted, and
      from `label.csv` for files in no class folder; see `class_names`).

  Returns:
    Class names, and TFDS split name -> its files.

  Raises:
    LabelCsvError: A `label.csv` row escapes the root, has no label, or has
      a label that is not a class.
    class_names.ClassNameError: A class folder's name cannot be stored as a
      class name, or two differ only in case.
    FileNotFoundError: No split has a labelled file.
  """
  splits = _split_folders(root)
  bases = tree_walk.tree_bases(root, splits.values())
  rows = {split: label_csv.read_rows(root, folder, bases)
          for split, folder in splits.items()}
  if layout == "cats_dogs":
    names = list(CATS_DOGS_NAMES)
    folder_label = lambda name: CATS_DOGS_FOLDERS.get(name.lower())
  elif layout == "folder":
    names = class_names.folder_layout_names(
        _class_folder_names(root, splits.values()),
        (class_names.Label(row.where, row.label, _is_loose(row.path, root,
                                                           splits[split]))
         for split, split_rows in rows.items() for row in split_rows))
    by_name = {name: i for i, name in enumerate(names)}
    folder_label = lambda name: by_name.get(_printable(name))
  else:
    raise ValueError(f"layout must be 'cats_dogs' or 'folder', got {layout!r}")
  sources = {
      split: _scan_split(root, split, folder, rows[split], names, folder_label,
                         layout, bases)
      for split, folder in splits.items()
  }
  sources = _labelled_splits(root, sources, layout)
  _warn_about_classes(names, sources)
  return names, sources


def _class_folder_names(root: epath.Path, split_folders) -> dict[str, str]:
  """Class folder name -> the first folder of that name, as errors show it."""
  names = {}
  for folder in split_folders:
    for class_folder in _subdirs(folder):
      names.setdefault(_printable(class_folder.name),
                       repr(_printable(str(class_folder))))
  return names


def _is_loose(path: epath.Path | None, root: epath.Path,
              split_folder: epath.Path) -> bool:
  """Whether a file lies in no class folder (directly in a split or root)."""
  return path is not None and path.parent in (split_folder, root)


def _warn_about_classes(names: list[str],
                        sources: dict[str, SplitSource]) -> None:
  """Warns about classes without a file, or a tree of a single class."""
  per_class = collections.Counter(
      e.label for source in sources.values() for e in source.entries)
  empty = [name for i, name in enumerate(names) if not per_class[i]]
  if empty:
    logging.warning("cats_dogs: no labelled file for class(es) %s (an empty "
                    "class folder?); a model never learns them.", empty)
  if len(per_class) == 1:
    logging.warning("cats_dogs: every labelled file is of class %r; a "
                    "classifier needs at least two classes.",
                    names[next(iter(per_class))])


def _labelled_splits(root: epath.Path, sources: dict[str, SplitSource],
                     layout: str) -> dict[str, SplitSource]:
  """Drops (with a warning) splits in which no file has a label.

  An unlabelled test folder should not stop the train split from building;
  a tree with no label anywhere is an error that says how labels are given.

  Raises:
    FileNotFoundError: No split has a labelled file.
  """
  labelled = {split: source for split, source in sources.items()
              if source.entries}
  if not labelled:
    classes = ("folders named cat(s) or dog(s), Kaggle names such as "
               "cat.0.jpg," if layout == "cats_dogs" else "class folders,")
    raise FileNotFoundError(
        f"No labelled image under {root} (splits: {sorted(sources)}). Label "
        f"images with {classes} or a label.csv of `path,label` rows in "
        "their split folder.")
  for split in sorted(sources.keys() - labelled.keys()):
    logging.warning("cats_dogs: no labelled image in %s; split %r left out.",
                    sources[split].folder, split)
  return labelled


def _scan_split(root, split, folder, rows, names, folder_label, layout, bases
                ) -> SplitSource:
  """Merges a split's class folders with its `label.csv` rows."""
  counts = collections.Counter()
  examples = collections.defaultdict(list)

  def count(reason, key):
    counts[reason] += 1
    if len(examples[reason]) < 20:  # Enough to find the pattern.
      examples[reason].append(key)

  listing = tree_walk.list_files(folder, bases)
  for reason, path in listing.skipped:
    count(reason, _key(root, path))
  from_folders = {}  # key -> (path, label or None)
  for path in listing.files:
    relative = path.relative_to(folder).parts
    key = _key(root, path)
    if key != path.relative_to(root).as_posix():
      count(ESCAPED_NAMES, key)
      logging.warning("cats_dogs: %s has a file name that is not UTF-8; "
                      "stored as %r.", _printable(str(path.parent)), key)
    if len(relative) == 1:
      # Loose files in the split folder: images labelled by label.csv or,
      # in the cats_dogs layout, by a Kaggle name such as `cat.12.jpg`.
      if path.suffix.lower() in IMAGE_SUFFIXES:
        name_label = (_kaggle_name_label(path.name) if layout == "cats_dogs"
                      else None)
        from_folders[key] = (path, name_label)
    else:
      from_folders[key] = (path, folder_label(relative[0]))

  from_csv = {}  # key -> (path, label, where)
  for row in rows:
    label = _parse_label(row.label, names, layout, row.where)
    if row.path is None:
      count(MISSING, row.path_cell)
      continue
    if not tree_walk.is_inside(tree_walk.real_path(row.path), bases):
      count(tree_walk.LINKS_OUTSIDE_ROOT, _key(root, row.path))
      continue
    if not tree_walk.is_regular_file(row.path):
      count(tree_walk.SPECIAL_FILES, _key(root, row.path))
      continue
    key = _key(root, row.path)
    if key in from_csv:
      _, first_label, first_where = from_csv[key]
      if first_label != label:
        raise LabelCsvError(
            f"{row.where}: {row.path_cell!r} is labelled {names[label]!r} "
            f"here but {names[first_label]!r} at {first_where} (both name "
            f"{key}); keep one of the two rows.")
      count(DUPLICATE_ROWS, key)
      continue
    from_csv[key] = (row.path, label, row.where)

  entries = []
  for key in sorted(from_folders.keys() | from_csv.keys()):
    path, label = from_folders.get(key, (None, None))
    if key in from_csv:
      path, csv_label, _ = from_csv[key]
      if label is not None and label != csv_label:
        count(OVERRIDDEN, key)
      label = csv_label
    if label is None:
      count(UNLABELED, key)
      continue
    entries.append(Entry(key, path, label))
  return SplitSource(split, folder, entries, counts, dict(examples))


def _kaggle_name_label(file_name: str) -> int | None:
  """The label a Kaggle-style name gives, or None.

  `cat.<n>.<ext>` is 0 and `dog.<n>.<ext>` is 1, in any case; the part
  before the first dot decides, and a plain `cat.jpg` does not count.
  """
  parts = file_name.split(".")
  if len(parts) < 3:
    return None
  return CATS_DOGS_FOLDERS.get(parts[0].lower())


def _key(root: epath.Path, path: epath.Path) -> str:
  """The path relative to the root, as it is stored (always UTF-8)."""
  return _printable(path.relative_to(root).as_posix())


def _printable(name: str) -> str:
  """`name` with bytes that are not UTF-8 written as `\\xNN`.

  File names are bytes on Linux; Python keeps undecodable ones as lone
  surrogates, which cannot be stored as text.
  """
  return name.encode("utf-8", "surrogateescape").decode(
      "utf-8", "backslashreplace")


def _parse_label(cell: str, names: list[str], layout: str, where: str) -> int:
  """A class index from a label cell (an index or a class name)."""
  found = class_names.lookup(cell, names)
  if found is not None:
    return found
  if layout == "cats_dogs" and cell.lower() in CATS_DOGS_FOLDERS:
    return CATS_DOGS_FOLDERS[cell.lower()]
  if class_names.is_index(cell) and int(cell) < len(names):
    return int(cell)
  hint = ("Any case of cat, cats, dog or dogs is taken too."
          if layout == "cats_dogs" else "")
  raise LabelCsvError(class_names.unknown_label(cell, where, names, hint))
