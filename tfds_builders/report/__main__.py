r"""Writes a dataset report: balance, samples, and duplicates across splits.

  python -m tfds_builders.report DATASET --data_dir=D --out=DIR \
      [--splits=train,test]

DATASET is a prepared TFDS name, optionally with its config
(`cats_dogs/folder`). DIR gets report.md, report.json and PNG figures.
"""

from __future__ import annotations

from collections.abc import Sequence
import time

from absl import app
from absl import flags

from tfds_builders.report import dataset_report

_DATA_DIR = flags.DEFINE_string("data_dir", None, "TFDS data directory.")
_OUT = flags.DEFINE_string("out", None, "Directory to write the report to.",
                           required=True)
_SPLITS = flags.DEFINE_list("splits", None,
                            "Splits to cover (default: all of them).")


def main(argv: Sequence[str]) -> None:
  if len(argv) != 2:
    raise app.UsageError("Give exactly one DATASET, e.g. "
                         "`python -m tfds_builders.report sign_language_mnist "
                         "--data_dir=D --out=DIR`.")
  start = time.perf_counter()
  facts = dataset_report.write_report(argv[1], _OUT.value,
                                      data_dir=_DATA_DIR.value,
                                      splits=_SPLITS.value)
  near = len(facts["near_duplicates"])
  print(f"{facts['dataset']}: {sum(facts['splits'].values())} examples, "
        f"{len(facts['exact_duplicates'])} exact duplicate groups, {near} "
        f"near-duplicate pairs across splits; report in {_OUT.value}/ "
        f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
  app.run(main)
