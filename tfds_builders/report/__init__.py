"""Dataset reports: class balance, samples, and duplicates across splits.

`python -m tfds_builders.report DATASET --data_dir=D --out=DIR` writes
report.md, report.json and PNG figures. For training without the examples
that copy a validation or test example:

  keys = report.cross_split_duplicate_keys("sign_language_mnist",
                                           data_dir=D, other_splits=["test"])
  train = report.drop_keys(ds_read_with_tfds_ids, keys)
"""

from tfds_builders.report.dataset_report import analyze
from tfds_builders.report.dataset_report import write_report
from tfds_builders.common.example_ids import drop_keys
from tfds_builders.common.example_ids import select_keys
from tfds_builders.report.leaks import cross_split_duplicate_keys

__all__ = ["analyze", "cross_split_duplicate_keys", "drop_keys",
           "select_keys", "write_report"]
