"""The class names of a tree, checked before anything is built.

In the `folder` layout the classes are the class folders' names, those of
every split, sorted. A `label.csv` label names one of them, or gives its
index. A label naming no class folder makes a class of its own only when it
labels a file in no class folder (loose in a split folder) and is not a near
miss of a class folder's name: otherwise `Cats` beside a `cats` folder, or a
typo such as `dgos`, would silently become a class of its own.

TFDS stores class names one per line and reads them back split at line
breaks and stripped of white space, so a name that would not come back
unchanged is refused, naming its folder or its `label.csv` line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import dataclasses
import difflib
import unicodedata

from tfds_builders.cats_dogs import label_csv

# Spelling similarity (difflib's ratio, case ignored) from which a label is
# taken for a misspelt class folder name: `dgos`/`dogs` and `dog`/`dogs`
# are near misses, `fox`/`owl` is not.
NEAR_MISS = 0.75
# Similarity from which the closest class is suggested in an error.
_SUGGEST = 0.5
# Class names listed in an error; a tree may have thousands.
_MAX_LISTED = 20


class ClassNameError(ValueError):
  """A class folder whose name cannot be a class (names the folder)."""


@dataclasses.dataclass(frozen=True)
class Label:
  """A label cell of `label.csv`.

  Attributes:
    where: `file:line`.
    text: The cell.
    loose: Whether the file it labels lies in no class folder.
  """
  where: str
  text: str
  loose: bool


def is_index(text: str) -> bool:
  """Whether a label is a class index (ASCII digits only: `int` of `²`
  fails, though `'²'.isdigit()`)."""
  return text.isascii() and text.isdigit()


def check_storable(name: str, where: str,
                   error: type[ValueError] = ClassNameError) -> None:
  """Refuses a class name that TFDS's label file would not give back.

  Args:
    name: The class name.
    where: What holds it: a class folder, or `file:line` of `label.csv`.
    error: The exception to raise.

  Raises:
    error: The name holds a line break (LF, CR, VT, FF, U+0085, U+2028,
      ...) or starts or ends with white space.
  """
  if name.splitlines() != [name]:
    breaks = sorted({f"U+{ord(c):04X}" for c in name
                     if len(f"a{c}a".splitlines()) > 1})
    raise error(
        f"{where}: the class name {name!r} holds a line break "
        f"({', '.join(breaks)}). TFDS stores class names one per line, so it "
        "would come back as other classes; rename it.")
  if name != name.strip():
    raise error(
        f"{where}: the class name {name!r} starts or ends with white space, "
        "which TFDS drops when it reads class names back; rename it.")


def folder_layout_names(folders: Mapping[str, str],
                        labels: Iterable[Label]) -> list[str]:
  """The classes of a `folder` tree.

  Args:
    folders: Class folder name -> the folder, as an error names it.
    labels: Every `label.csv` label of the tree.

  Returns:
    Class names, sorted; for a tree labelled by indices alone, `0..top`.

  Raises:
    ClassNameError: A class folder's name cannot be stored, or two class
      folders differ only in case or Unicode form.
    label_csv.LabelCsvError: A label names no class folder but is a near
      miss of one, or labels a file in a class folder; or cannot be stored.
  """
  folders = {name: f"class folder {shown}" for name, shown in folders.items()}
  for name, where in folders.items():
    check_storable(name, where)
  _refuse_look_alikes(folders)
  own = {}  # Classes named by label.csv alone -> where first named.
  indices = []
  for label in labels:
    if is_index(label.text):
      indices.append(int(label.text))
      continue
    if lookup(label.text, list(folders)) is not None or label.text in own:
      continue
    check_storable(label.text, label.where, label_csv.LabelCsvError)
    near = _closest(label.text, folders, NEAR_MISS)
    if near is not None or not label.loose:
      raise label_csv.LabelCsvError(unknown_label(
          label.text, label.where, sorted(folders),
          "A class of its own needs a class folder of that name in a split "
          "folder (it may be empty)."))
    own[label.text] = label.where
  _refuse_look_alikes({**folders, **own})
  names = sorted(folders.keys() | own.keys())
  if not names:  # Loose files labelled by index only.
    names = [str(i) for i in range(max(indices, default=0) + 1)]
  return names


def lookup(text: str, names: list[str]) -> int | None:
  """The index of the class a label names, exactly or in another Unicode
  form (macOS writes file names decomposed: `e` + U+0301 for `é`)."""
  if text in names:
    return names.index(text)
  text = unicodedata.normalize("NFC", text)
  for i, name in enumerate(names):
    if unicodedata.normalize("NFC", name) == text:
      return i
  return None


def unknown_label(text: str, where: str, names: list[str],
                  hint: str = "") -> str:
  """The error for a label that names no class: the classes, the closest
  one, then `hint`."""
  listed = repr(names[:_MAX_LISTED])
  if len(names) > _MAX_LISTED:
    listed = f"{listed[:-1]}, ... ({len(names)} in all)]"
  message = (f"{where}: label {text!r} is neither a class index "
             f"0..{len(names) - 1} nor one of the classes {listed}.")
  near = _closest(text, names, _SUGGEST)
  if near is not None and near.casefold() == text.casefold():
    message += f" {text!r} differs only in case from {near!r}."
  elif near is not None:
    message += f" Closest: {near!r}."
  return f"{message} {hint}".rstrip()


def _closest(text: str, names: Iterable[str], cutoff: float) -> str | None:
  """The name spelt most like `text`, case ignored, if at least `cutoff`."""
  by_folded = {}
  for name in sorted(names):
    by_folded.setdefault(name.casefold(), name)
  found = difflib.get_close_matches(text.casefold(), list(by_folded), n=1,
                                    cutoff=cutoff)
  return by_folded[found[0]] if found else None


def _refuse_look_alikes(names: Mapping[str, str]) -> None:
  """Refuses two class names differing only in case or Unicode form.

  On Linux `train/Cats` and `test/cats` are two folders, and would be two
  classes each found in one split only.

  Raises:
    ClassNameError: Naming both.
  """
  seen = {}
  for name in sorted(names):
    key = unicodedata.normalize("NFC", name).casefold()
    if key in seen:
      first = seen[key]
      raise ClassNameError(
          f"{names[first]} and {names[name]}: class names {first!r} and "
          f"{name!r} differ only in case or Unicode form, so they would be "
          "two classes; rename one to the other.")
    seen[key] = name
