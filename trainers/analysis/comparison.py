"""Several finished runs side by side: validation curves and a table."""

from __future__ import annotations

from collections.abc import Sequence
import pathlib
from typing import Any

from tfds_builders.common import files
from trainers.run_dir import plots
from trainers.run_dir import workdir as workdir_lib

TABLE = "comparison.md"
CURVES = "comparison.png"


def _describe(config: Any) -> str:
  options = ", ".join(f"{k}={v}" for k, v in
                      sorted(config.model_options.items()))
  return f"{config.model} ({options})" if options else config.model


def _fmt(value) -> str:
  return "-" if value is None else f"{value:.3f}"


def markdown_table(runs: Sequence[workdir_lib.Run]) -> str:
  """The table the comparison ends with, one row per run.

  Args:
    runs: As returned by `trainers.run_dir.workdir.load_run`.

  Returns:
    Markdown text.
  """
  lines = ["| run | dataset | model | epochs | best val accuracy | "
           "test accuracy |",
           "|---|---|---|---:|---:|---:|"]
  for run in runs:
    best = run.metrics.get("best") or {}
    test = run.metrics.get("test") or {}
    lines.append(
        f"| {run.name} | {run.config.dataset} | {_describe(run.config)} | "
        f"{len(run.metrics.get('history', []))} | "
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

  Raises:
    FileNotFoundError: naming the file, for a workdir that holds no run.
  """
  runs = [workdir_lib.load_run(w) for w in workdirs]
  datasets = sorted({run.config.dataset for run in runs})
  if len(datasets) > 1:
    print(f"Warning: the runs were trained on different datasets "
          f"({', '.join(datasets)}); their numbers do not compare.")
  out_dir = pathlib.Path(out_dir)
  out_dir.mkdir(parents=True, exist_ok=True)
  table = out_dir / TABLE
  files.write_text(table, markdown_table(runs))
  png = plots.plot_series(
      {run.name: [(h["epoch"], h.get("val_accuracy"))
                  for h in run.metrics.get("history", [])]
       for run in runs},
      out_dir / CURVES, xlabel="epoch", ylabel="validation accuracy")
  return {"png": png, "markdown": table}
