"""Dataset reports: class balance, samples, and duplicates across splits.

`python -m tfds_builders.report DATASET --data_dir=D --out=DIR` writes
report.md, report.json and PNG figures. For training without the examples
that copy a validation or test example:

  keys = report.cross_split_duplicate_keys("sign_language_mnist",
                                           data_dir=D, other_splits=["test"])
  train = report.drop_keys(ds_read_with_tfds_ids, keys)

Each name loads its module on first use (PEP 562), so that `python -m
tfds_builders.report` quiets its console before TensorFlow loads.
"""

from __future__ import annotations

import importlib

# Public name -> the module that defines it.
_EXPORTS = {
    "analyze": "tfds_builders.report.dataset_report",
    "cross_split_duplicate_keys": "tfds_builders.report.leaks",
    "drop_keys": "tfds_builders.common.example_ids",
    "select_keys": "tfds_builders.common.example_ids",
    "write_report": "tfds_builders.report.dataset_report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
  if name not in _EXPORTS:
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
  value = getattr(importlib.import_module(_EXPORTS[name]), name)
  globals()[name] = value  # Found at once next time.
  return value


def __dir__() -> list[str]:
  return sorted({*globals(), *__all__})
