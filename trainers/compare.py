r"""Puts finished runs side by side: validation curves and a results table.

  python -m trainers.compare WORKDIR [WORKDIR ...] [--out=DIR]

Writes `DIR/comparison.png` (validation accuracy per epoch, one line per
run) and `DIR/comparison.md` (a markdown table of each run's model, options,
best validation accuracy and test accuracy), and prints the table. DIR
defaults to the current directory.
"""

from __future__ import annotations

from absl import flags

from tfds_builders.common import command
from tfds_builders.common import command_flags


def define_flags(flag_values: flags.FlagValues) -> None:
  command_flags.define_out_dir(
      flag_values, "Directory for comparison.png and comparison.md.",
      default=".")


def main(flag_values: flags.FlagValues, workdirs: list[str]) -> None:
  """Compares the runs and prints the table."""
  if not workdirs:
    raise command.UsageError("give at least one WORKDIR to compare")
  # pylint: disable=g-import-not-at-top
  from trainers.analysis import comparison
  # pylint: enable=g-import-not-at-top
  # Every run is read before anything is written.
  paths = comparison.compare(workdirs, flag_values.out)
  print(paths["markdown"].read_text(), end="")
  print(f"Curves: {paths['png']}")


if __name__ == "__main__":
  command.run(define_flags, main)
