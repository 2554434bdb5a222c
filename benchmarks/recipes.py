r"""Compares training recipes over seeds: validation and test accuracy.

Not a speed benchmark (so not in `make bench`): it trains every recipe once
per seed, each in its own process with `--deterministic`, and prints the
mean and spread of the best epoch's validation accuracy and of the test
accuracy of the weights the run kept.

Usage:
  python -m benchmarks.recipes --data_dir DIR --workdir DIR \
      --recipe course=--flagfile=asl \
      --recipe small="--flagfile=asl_small" [--seeds 0 1 2] \
      [--trainer trainers.asl] [--extra "--epochs=5"]

Plain argparse, as `python -m benchmarks`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import json
import pathlib
import shlex
import statistics
import subprocess
import sys
import time


def train(trainer: str, flags: Sequence[str], workdir: pathlib.Path
          ) -> dict:
  """Runs one training process to the end; returns its metrics.json."""
  command = [sys.executable, "-m", trainer, *flags, f"--workdir={workdir}",
             "--progress=none", "--deterministic"]
  started = time.perf_counter()
  done = subprocess.run(command, capture_output=True, text=True, check=False)
  if done.returncode:
    raise RuntimeError(f"{shlex.join(command)} failed:\n{done.stderr[-2000:]}")
  metrics = json.loads((workdir / "metrics.json").read_text())
  metrics["seconds"] = time.perf_counter() - started
  return metrics


def summarize(values: Sequence[float]) -> str:
  """`mean ± standard deviation (min-max)` over the seeds."""
  spread = statistics.stdev(values) if len(values) > 1 else 0.0
  return (f"{statistics.mean(values):.3f} ± {spread:.3f} "
          f"({min(values):.3f}-{max(values):.3f})")


def main(argv: Sequence[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m benchmarks.recipes")
  parser.add_argument("--data_dir", required=True)
  parser.add_argument("--workdir", required=True, type=pathlib.Path)
  parser.add_argument("--recipe", action="append", required=True,
                      help="NAME=FLAGS (FLAGS split as a shell would)")
  parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
  parser.add_argument("--trainer", default="trainers.asl")
  parser.add_argument("--extra", default="",
                      help="flags added to every recipe")
  args = parser.parse_args(argv)
  recipes = dict(r.split("=", 1) for r in args.recipe)
  rows = []
  for name, flags in recipes.items():
    val, test, seconds = [], [], []
    for seed in args.seeds:
      workdir = args.workdir / name / f"seed{seed}"
      metrics = train(args.trainer, [*shlex.split(flags),
                                     *shlex.split(args.extra),
                                     f"--data_dir={args.data_dir}",
                                     f"--seed={seed}"], workdir)
      val.append(metrics["best"]["val_accuracy"])
      test.append(metrics["test"]["accuracy"])
      seconds.append(metrics["seconds"])
      print(f"{name} seed {seed}: validation {val[-1]:.3f}, test "
            f"{test[-1]:.3f}, {seconds[-1]:.0f} s", flush=True)
    rows.append((name, summarize(val), summarize(test),
                 f"{statistics.mean(seconds):.0f}"))
  header = ("recipe", "validation accuracy", "test accuracy", "seconds")
  widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
  print()
  for row in [header, tuple("-" * w for w in widths), *rows]:
    print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
  print(f"\nSeeds {args.seeds}; flags: " + "; ".join(
      f"{n}: {f} {args.extra}".rstrip() for n, f in recipes.items()))
  return 0


if __name__ == "__main__":
  sys.exit(main())
