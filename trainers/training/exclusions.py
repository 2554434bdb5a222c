"""The training examples a run leaves out, and why.

Besides the examples held out for validation (`splits`), a run may leave
out the training copies of validation or test examples
(`--drop_cross_split_duplicates`), the examples a label issues list flags
(`--drop_label_issues`), and one fold of a k-fold split (`holdout_fold`,
set by `trainers.label_issues`). The first two say how many.
"""

from __future__ import annotations

import asl_pipeline.sources
from trainers.analysis import issues_file
from trainers.command_line import config as config_lib
from trainers.training import folds as folds_lib
from trainers.training import splits as splits_lib


def cross_split_duplicates(config: config_lib.Config,
                           chosen: splits_lib.Splits,
                           train_examples: int) -> frozenset[str]:
  """`--drop_cross_split_duplicates`: training copies of other examples."""
  if not config.drop_cross_split_duplicates:
    return frozenset()
  # Here, not at the top: the report brings plotting along.
  from tfds_builders import report  # pylint: disable=g-import-not-at-top
  others = [s for s in (chosen.validation, chosen.test)
            if s and s != chosen.train]
  found = frozenset(report.cross_split_duplicate_keys(
      config.dataset, data_dir=config.data_dir, train_split=chosen.train,
      other_splits=others)) - chosen.validation_ids
  print(f"--drop_cross_split_duplicates: leaving out {len(found)} of the "
        f"{train_examples} training examples, duplicates of validation or "
        "test examples.")
  return found


def label_issues(config: config_lib.Config,
                 train_examples: int) -> frozenset[str]:
  """`--drop_label_issues`: the flagged examples of the file.

  Raises:
    ConfigError: naming the flag and file, when the file was made from
      another dataset (its ids would name other examples, or none).
  """
  if not config.drop_label_issues:
    return frozenset()
  try:
    listed = issues_file.read(config.drop_label_issues)
  except ValueError as e:
    raise config_lib.ConfigError(f"--drop_label_issues: {e}") from None
  full_name = asl_pipeline.sources.builder(
      config.dataset, config.data_dir).info.full_name
  if listed.dataset != full_name:
    raise config_lib.ConfigError(
        f"--drop_label_issues: {listed.path} lists examples of "
        f"{listed.dataset}, not of {full_name} (--dataset); make it with "
        "`python -m trainers.label_issues` on this dataset.")
  print(f"--drop_label_issues: leaving out the {len(listed.ids)} examples "
        f"{listed.path} lists, of {train_examples} training examples.")
  return listed.ids


def holdout_fold(config: config_lib.Config,
                 chosen: splits_lib.Splits) -> frozenset[str]:
  """`holdout_fold` K/N: the ids of fold K, left out of training."""
  if not config.holdout_fold:
    return frozenset()
  fold, folds = folds_lib.parse(config.holdout_fold)
  fold_of = folds_lib.assign(
      splits_lib.ids_by_class(config.dataset, config.data_dir, chosen.train),
      folds, config.seed)
  # Not announced: `trainers.analysis.out_of_fold` says which fold runs.
  return folds_lib.members(fold_of, fold)
