r"""Puts finished runs side by side: validation curves and a results table.

  python -m trainers.compare WORKDIR [WORKDIR ...] [--out DIR]

Writes `DIR/comparison.png` (validation accuracy per epoch, one line per
run) and `DIR/comparison.md` (a markdown table of each run's model, options,
best validation accuracy and test accuracy), and prints the table. DIR
defaults to the current directory.
"""

from __future__ import annotations

from collections.abc import Sequence

from absl import app
from absl import flags

from tfds_builders.common import console

if __name__ == "__main__":
  # First, before anything loads TensorFlow (see tfds_builders/common/console.py).
  console.quiet()

# pylint: disable=g-import-not-at-top,wrong-import-position
from trainers.analysis import comparison

_OUT = flags.DEFINE_string("out", ".", "Directory for comparison.png/.md.")


def main(argv: Sequence[str]) -> None:
  if len(argv) < 2:
    raise app.UsageError("Give at least one WORKDIR to compare.")
  try:
    paths = comparison.compare(argv[1:], _OUT.value)
  except FileNotFoundError as e:
    raise app.UsageError(str(e)) from None
  print(paths["markdown"].read_text(), end="")
  print(f"Curves: {paths['png']}")


if __name__ == "__main__":
  app.run(main)
