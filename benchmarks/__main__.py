r"""Runs the benchmarks, prints one table and writes it as JSON.

Usage:
  python -m benchmarks [--quick] [--only pipeline [--only ...]] \
      [--workdir DIR] [--json benchmarks/results/latest.json]

Plain argparse, not absl flags: benchmark modules import tools whose absl
flags (--out, --seed, ...) would clash with this runner's.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import datetime
import importlib
import json
import os
import pathlib
import platform
import sys
import tempfile
import traceback

# Each name is a module `benchmarks/<name>_bench.py`.
MODULES = ("pipeline", "asl_build", "cats_dogs", "cats_dogs_beam",
           "trainer", "export")
_DEFAULT_JSON = pathlib.Path(__file__).parent / "results" / "latest.json"


def format_table(rows: Sequence[dict]) -> str:
  """Rows as an aligned plain-text table."""
  header = ("benchmark", "variant", "value", "unit")
  cells = [header] + [(r["benchmark"], r["variant"], f"{r['value']:,.2f}",
                       r["unit"]) for r in rows]
  widths = [max(len(c[i]) for c in cells) for i in range(4)]
  lines = ["  ".join(c[i].rjust(widths[i]) if i == 2 else c[i].ljust(widths[i])
                     for i in range(4)).rstrip() for c in cells]
  lines.insert(1, "  ".join("-" * w for w in widths))
  return "\n".join(lines)


def run_all(names: Sequence[str], workdir: pathlib.Path,
            quick: bool) -> tuple[list[dict], list[str]]:
  """Runs each benchmark module; a failing one is reported, not fatal."""
  rows, failed = [], []
  for name in names:
    scratch = workdir / name
    scratch.mkdir(parents=True, exist_ok=True)
    try:
      module = importlib.import_module(f"benchmarks.{name}_bench")
      rows.extend(module.run(scratch, quick=quick))
    except Exception:  # pylint: disable=broad-except
      traceback.print_exc()
      failed.append(name)
  return rows, failed


def main(argv: Sequence[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                   description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true",
                      help="Short run on smaller samples.")
  parser.add_argument("--only", action="append", choices=MODULES, default=[],
                      help="Run only this benchmark (repeatable).")
  parser.add_argument("--workdir", help="Scratch directory, kept afterwards; "
                      "default: a temporary one, deleted.")
  parser.add_argument("--json", default=str(_DEFAULT_JSON),
                      help="Where to write the rows as JSON.")
  args = parser.parse_args(argv)
  with tempfile.TemporaryDirectory(prefix="bench_") as tmp:
    rows, failed = run_all(args.only or MODULES,
                           pathlib.Path(args.workdir or tmp), args.quick)
  print(format_table(rows))
  out = pathlib.Path(args.json)
  out.parent.mkdir(parents=True, exist_ok=True)
  out.write_text(json.dumps({
      "date": datetime.datetime.now().isoformat(timespec="seconds"),
      "quick": args.quick, "machine": platform.platform(),
      "cpus": os.cpu_count(), "failed": failed, "rows": rows}, indent=1))
  print(f"Wrote {out}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
  return 1 if failed else 0


if __name__ == "__main__":
  sys.exit(main())
