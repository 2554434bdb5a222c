"""Likely label errors, ranked, from out-of-fold probabilities.

Confident learning (cleanlab's `find_label_issues`) estimates from the
out-of-fold probabilities how often each class is labelled as another,
and flags about that many examples whose given label the models believe
least. They are ranked by self-confidence, the probability the models
give the given label, lowest first. The suggested label is the class the
models believe most.

cleanlab is an optional dependency (`pip install 'asl-pipeline[label-issues]'`);
`require_cleanlab` says so in one line when it is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import importlib.util
import pathlib
from typing import Any

import numpy as np

from tfds_builders.common import files
from trainers.analysis import issues_file
from trainers.run_dir import grids

EXTRA = "label-issues"
MARKDOWN = "label_issues.md"
JSON = "label_issues.json"
GRID = "label_issues.png"


def require_cleanlab() -> None:
  """Raises ModuleNotFoundError, naming the extra, if cleanlab is missing."""
  if importlib.util.find_spec("cleanlab") is None:
    raise ModuleNotFoundError(
        "cleanlab is not installed; it comes with the optional extra: pip "
        f"install 'asl-pipeline[{EXTRA}]' (or pip install cleanlab).")


def rank(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
  """Indices of the likely label errors, most likely first.

  Args:
    labels: [n] given classes.
    probabilities: [n, classes] out-of-fold probabilities.

  Returns:
    Row indices, as cleanlab ranks them by self-confidence.
  """
  from cleanlab import filter as cleanlab_filter  # pylint: disable=g-import-not-at-top
  probabilities = np.asarray(probabilities, np.float64)
  # Rows summing to exactly 1, as cleanlab checks (float32 softmax may not).
  probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
  # n_jobs=1: no worker processes forked from a process running TensorFlow.
  return np.asarray(cleanlab_filter.find_label_issues(
      np.asarray(labels, np.int64), probabilities,
      return_indices_ranked_by="self_confidence", n_jobs=1), np.int64)


def _significant(value) -> float:
  """Four significant digits: the smallest confidences are the telling ones."""
  return float(f"{float(value):.4g}")


def issues(ranked: np.ndarray, ids: np.ndarray, labels: np.ndarray,
           probabilities: np.ndarray, class_names: Sequence[str],
           keys: Mapping[str, str]) -> list[dict[str, Any]]:
  """The ranked issues as rows: key, given and suggested label, confidence.

  Args:
    ranked: From `rank`.
    ids: [n] TFDS ids.
    labels: [n] given classes.
    probabilities: [n, classes] out-of-fold probabilities.
    class_names: Class names, in index order.
    keys: `{tfds_id: key}` (photo file, `FILE:LINE`); the id where absent.

  Returns:
    One dict per issue, most likely first.
  """
  rows = []
  for position, i in enumerate(ranked.tolist(), 1):
    given, suggested = int(labels[i]), int(np.argmax(probabilities[i]))
    rows.append({
        "rank": position, "key": keys.get(str(ids[i]), str(ids[i])),
        issues_file.ID: str(ids[i]),
        "given": str(class_names[given]),
        "suggested": str(class_names[suggested]),
        # Self-confidence: how much the models believe the given label.
        "confidence": _significant(probabilities[i, given]),
        "suggested_probability": _significant(probabilities[i, suggested])})
  return rows


def markdown(rows: Sequence[Mapping[str, Any]],
             facts: Mapping[str, Any]) -> str:
  """`label_issues.md`: what was searched, then the ranked table."""
  lines = [
      f"# Label issues: {facts['dataset']} {facts['split']}", "",
      f"{len(rows)} of {facts['examples']} examples flagged by confident "
      f"learning on out-of-fold probabilities ({facts['folds']} folds, "
      f"seed {facts['seed']}), ranked by confidence: the probability the "
      "fold models give the example's own label, lowest first.", "",
      "| rank | key | given | suggested | confidence |",
      "|---:|---|---|---|---:|"]
  lines += [f"| {r['rank']} | `{r['key']}` | {r['given']} | {r['suggested']} "
            f"({r['suggested_probability']:.2f}) | {r['confidence']:.2g} |"
            for r in rows]
  return "\n".join(lines) + "\n"


def write(out_dir: str | pathlib.Path, rows: Sequence[Mapping[str, Any]],
          facts: Mapping[str, Any],
          images: Mapping[str, np.ndarray]) -> dict[str, pathlib.Path]:
  """Writes label_issues.md, .json and .png into `out_dir`, each whole.

  Args:
    out_dir: The directory (it exists).
    rows: From `issues`.
    facts: `dataset` (the TFDS full name, which `--drop_label_issues`
      checks), `split`, `examples`, `folds`, `seed`.
    images: `{tfds_id: image}` of the issues to draw, [H, W, C].

  Returns:
    The three paths, by kind.
  """
  out_dir = pathlib.Path(out_dir)
  paths = {"markdown": out_dir / MARKDOWN, "json": out_dir / JSON,
           "grid": out_dir / GRID}
  files.write_text(paths["markdown"], markdown(rows, facts))
  files.write_json(paths["json"], {**facts, "count": len(rows),
                                   issues_file.ISSUES: list(rows)})
  shown = [r for r in rows if r[issues_file.ID] in images]
  grids.plot_image_grid(
      [images[r[issues_file.ID]] for r in shown],
      [f"{r['key']}\ngiven {r['given']}, suggested {r['suggested']}\n"
       f"confidence {r['confidence']:.2g}" for r in shown],
      paths["grid"], f"{facts['dataset']} {facts['split']}: the "
      f"{len(shown)} likeliest label issues of {len(rows)}")
  return paths
