r"""Puts finished runs side by side: validation curves and a results table.

  python -m trainers.compare WORKDIR [WORKDIR ...] [--out DIR]

Writes `DIR/comparison.png` (validation accuracy per epoch, one line per
run) and `DIR/comparison.md` (a markdown table of each run's model, options,
best validation accuracy and test accuracy), and prints the table. DIR
defaults to the current directory.
"""

from __future__ import annotations

from collections.abc import Sequence
import json
import pathlib
from typing import Any

from absl import app
from absl import flags

from tfds_builders.common import console

if __name__ == "__main__":
  # First, before anything loads TensorFlow (see tfds_builders/common/console.py).
  console.quiet()

# pylint: disable=g-import-not-at-top,wrong-import-position
from trainers.run_dir import plots
from trainers.run_dir import workdir as workdir_lib

_OUT = flags.DEFINE_string("out", ".", "Directory for comparison.png/.md.")


def load_run(workdir: str | pathlib.Path) -> dict[str, Any]:
  """Reads the config and metrics a trainer left in `workdir`.

  Args:
    workdir: A trainer's --workdir.

  Returns:
    {"name", "config", "metrics"}; the name is the workdir's base name.

  Raises:
    FileNotFoundError: naming the missing file, if the run never finished
      an epoch.
  """
  workdir = pathlib.Path(workdir)
  return {"name": workdir.resolve().name,
          "config": json.loads(workdir_lib.read_config(workdir).to_json()),
          "metrics": workdir_lib.read_metrics(workdir)}


def _describe(config: dict[str, Any]) -> str:
  options = ", ".join(f"{k}={v}" for k, v in
                      sorted(config.get("model_options", {}).items()))
  return f"{config['model']} ({options})" if options else config["model"]


def _fmt(value) -> str:
  return "-" if value is None else f"{value:.3f}"


def markdown_table(runs: Sequence[dict[str, Any]]) -> str:
  """The table the comparison ends with, one row per run.

  Args:
    runs: As returned by `load_run`.

  Returns:
    Markdown text.
  """
  lines = ["| run | model | epochs | best val accuracy | test accuracy |",
           "|---|---|---:|---:|---:|"]
  for run in runs:
    metrics = run["metrics"]
    best = metrics.get("best") or {}
    test = metrics.get("test") or {}
    lines.append(
        f"| {run['name']} | {_describe(run['config'])} | "
        f"{len(metrics.get('history', []))} | "
        f"{_fmt(best.get('val_accuracy'))} | {_fmt(test.get('accuracy'))} |")
  return "\n".join(lines) + "\n"


def compare(workdirs: Sequence[str | pathlib.Path],
            out_dir: str | pathlib.Path) -> dict[str, pathlib.Path]:
  """Writes the curves PNG and the markdown table for `workdirs`.

  Args:
    workdirs: Trainer workdirs holding `config.json` and `metrics.json`.
    out_dir: Created if missing.

  Returns:
    {"png": path, "markdown": path}.
  """
  runs = [load_run(w) for w in workdirs]
  out_dir = pathlib.Path(out_dir)
  out_dir.mkdir(parents=True, exist_ok=True)
  table = out_dir / "comparison.md"
  table.write_text(markdown_table(runs))
  png = plots.plot_series(
      {run["name"]: [(h["epoch"], h.get("val_accuracy"))
                     for h in run["metrics"].get("history", [])]
       for run in runs},
      out_dir / "comparison.png", xlabel="epoch",
      ylabel="validation accuracy")
  return {"png": png, "markdown": table}


def main(argv: Sequence[str]) -> None:
  if len(argv) < 2:
    raise app.UsageError("Give at least one WORKDIR to compare.")
  try:
    paths = compare(argv[1:], _OUT.value)
  except FileNotFoundError as e:
    raise app.UsageError(str(e)) from None
  print(paths["markdown"].read_text(), end="")
  print(f"Curves: {paths['png']}")


if __name__ == "__main__":
  app.run(main)
