"""`label_issues.json`: the examples `trainers.label_issues` flags, read back.

The trainers leave them out with `--drop_label_issues=FILE`. The file
names the dataset (with its config and version) it was made from, since
TFDS ids only mean something in the dataset that issued them. Standard
library only: a trainer checks the file before TensorFlow loads.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib

ISSUES = "issues"
ID = "tfds_id"
DATASET = "dataset"


@dataclasses.dataclass(frozen=True)
class IssueList:
  """What a trainer needs of a label_issues.json.

  Attributes:
    path: The file.
    dataset: The TFDS full name it was made from, e.g.
      `sign_language_mnist/auto/1.0.0`.
    ids: The TFDS ids of the flagged examples.
  """

  path: str
  dataset: str
  ids: frozenset[str]


def read(path: str | os.PathLike) -> IssueList:
  """Reads and checks a label_issues.json.

  Args:
    path: The file `trainers.label_issues` wrote.

  Returns:
    Its dataset and flagged ids.

  Raises:
    ValueError: the file is missing, not JSON, or not a label issues list;
      the message starts with the file's path.
  """
  path = pathlib.Path(path)

  def bad(why: str) -> ValueError:
    return ValueError(f"{path}: {why}")

  try:
    value = json.loads(path.read_bytes().decode("utf-8-sig"))
  except FileNotFoundError:
    raise bad("no such file; give the label_issues.json that "
              "`python -m trainers.label_issues` wrote") from None
  except IsADirectoryError:
    raise bad("is a directory; give its label_issues.json") from None
  except (OSError, UnicodeDecodeError, ValueError) as e:
    raise bad(f"not readable as JSON ({str(e).splitlines()[0][:120]})"
              ) from None
  if not isinstance(value, dict) or not isinstance(value.get(ISSUES), list):
    raise bad(f"not a label issues list (no {ISSUES!r} list)")
  if not isinstance(value.get(DATASET), str) or not value[DATASET]:
    raise bad(f"names no {DATASET!r} it was made from")
  ids = []
  for number, issue in enumerate(value[ISSUES], 1):
    if not isinstance(issue, dict) or not isinstance(issue.get(ID), str):
      raise bad(f"issue {number} has no {ID!r} string")
    ids.append(issue[ID])
  return IssueList(str(path), value[DATASET], frozenset(ids))
