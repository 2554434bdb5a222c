r"""Writes a dataset report: balance, samples, and duplicates across splits.

  python -m tfds_builders.report DATASET --data_dir=D --out=DIR \
      [--splits=train,test]

DATASET (or `--dataset=DATASET`) is a prepared TFDS name, optionally with
its config (`cats_dogs/folder`). DIR gets report.md, report.json and PNG
figures.
"""

from __future__ import annotations

import time

from absl import flags

from tfds_builders.common import command
from tfds_builders.common import command_flags
from tfds_builders.common import data_dirs


def define_flags(flag_values: flags.FlagValues) -> None:
  command_flags.define_dataset(
      flag_values, None, "TFDS dataset name, `name` or `name/config`; or "
      "give it as the one argument.")
  command_flags.define_data_dir(flag_values)
  command_flags.define_out_dir(flag_values, "Directory to write the report "
                               "into.", required=True)
  flags.DEFINE_list("splits", None, "Splits to cover (default: all of them).",
                    flag_values=flag_values)


def _dataset(flag_values: flags.FlagValues, args: list[str]) -> str:
  """The one dataset named by `--dataset` or the argument."""
  names = [*args, *([flag_values.dataset] if flag_values.dataset else [])]
  if len(set(names)) != 1 or len(args) > 1:
    raise command.UsageError(
        "name exactly one DATASET, e.g. `python -m tfds_builders.report "
        "sign_language_mnist --data_dir=D --out=DIR`")
  return names[0]


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  """Checks the dataset and splits, then writes the report."""
  name, data_dir = _dataset(flag_values, args), flag_values.data_dir
  data_dirs.check_built(name, data_dir)
  # pylint: disable=g-import-not-at-top
  from tfds_builders.report import dataset_report
  from tfds_builders.report import reading
  # pylint: enable=g-import-not-at-top
  with command.blame("dataset", name):
    builder = reading.prepared_builder(name, data_dir)
  with command.blame("splits", ",".join(flag_values.splits or [])):
    reading.check_splits(builder, flag_values.splits)
  start = time.perf_counter()
  facts = dataset_report.write_report(name, flag_values.out,
                                      data_dir=data_dir,
                                      splits=flag_values.splits)
  near = len(facts["near_duplicates"])
  print(f"{facts['dataset']}: {sum(facts['splits'].values())} examples, "
        f"{len(facts['exact_duplicates'])} exact duplicate groups, {near} "
        f"near-duplicate pairs across splits; report in {flag_values.out}/ "
        f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
  command.run(define_flags, main)
