"""Time of `tfds build sign_language_mnist` beside pandas reading the CSVs.

Both are timed as whole commands, as a user runs them, so TensorFlow's import
is part of the build figure (it is part of what the user waits for).
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import time

from tfds_builders.sign_language_mnist import make_sample

# The full Kaggle release: 27,455 train and 7,172 test rows.
_FULL_ROWS = (27455, 7172)
_QUICK_ROWS = (5000, 1000)
_REPEATS = 3


def _best_of(command: list[str], repeats: int, before=None) -> float:
  """Smallest wall time of `repeats` runs (the least disturbed by noise)."""
  times = []
  for _ in range(repeats):
    if before:
      before()
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    times.append(time.perf_counter() - start)
  return min(times)


def run(workdir: pathlib.Path, quick: bool = False) -> list[dict]:
  """Measures the build and the plain CSV read on the same sample.

  Args:
    workdir: Scratch directory for the sample and the built dataset.
    quick: Use a smaller sample and a single repeat.

  Returns:
    Table rows.
  """
  train_rows, test_rows = _QUICK_ROWS if quick else _FULL_ROWS
  repeats = 1 if quick else _REPEATS
  csv_dir = workdir / "asl_build" / "csv"
  data_dir = workdir / "asl_build" / "tfds"
  paths = make_sample.make_sample(str(csv_dir), train_rows=train_rows,
                                  test_rows=test_rows)
  tfds_command = [str(pathlib.Path(sys.executable).parent / "tfds"), "build",
                  str(pathlib.Path(make_sample.__file__).parent),
                  f"--manual_dir={csv_dir}", f"--data_dir={data_dir}"]
  build_s = _best_of(tfds_command, repeats,
                     before=lambda: shutil.rmtree(data_dir, ignore_errors=True))
  pandas_s = _best_of(
      [sys.executable, "-c",
       "import sys, pandas; [pandas.read_csv(p) for p in sys.argv[1:]]",
       paths["train"], paths["test"]], repeats)
  variant = f"{train_rows}+{test_rows} rows"
  return [
      {"benchmark": "asl build", "variant": f"tfds build command, {variant}",
       "value": build_s, "unit": "s"},
      {"benchmark": "asl build", "variant": f"pandas read_csv, {variant}",
       "value": pandas_s, "unit": "s"},
      {"benchmark": "asl build", "variant": "tfds build / pandas read",
       "value": build_s / pandas_s, "unit": "x"},
      {"benchmark": "asl build", "variant": "build throughput",
       "value": (train_rows + test_rows) / build_s, "unit": "rows/s"},
  ]
