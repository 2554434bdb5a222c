r"""Plants label errors in a sample, then scores `trainers.label_issues` on it.

  python -m benchmarks.label_flips csv --csv DIR/sign_mnist_train.csv \
      --fraction 0.1 --planted planted.json
  python -m benchmarks.label_flips tree --root PHOTOS/train --fraction 0.1 \
      --planted planted.json
  python -m benchmarks.label_flips score --issues OUT/label_issues.json \
      --planted planted.json

`csv` gives a seeded choice of rows another label (Kaggle numbering) in
place and records their `FILE:LINE`; `tree` moves a seeded choice of photos
into another class folder (removing any label.csv, which would win over
the folders) and records their new paths under the tree's root, as the
cats_dogs builder names them. `score` prints the flagged list's precision
and recall against the planted errors, at the list's own size.

Plain argparse: a measuring tool beside the package, not one of its
commands.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import random
import shutil

# Kaggle's label numbers: 0-24 without 9 (J).
_KAGGLE_LABELS = [n for n in range(25) if n != 9]


def plant_csv(csv: pathlib.Path, fraction: float, seed: int) -> list[str]:
  """Gives `fraction` of the rows another label; returns their FILE:LINE."""
  lines = csv.read_text().split("\n")
  header = 1 if lines[0].startswith("label") else 0
  rows = [i for i in range(header, len(lines)) if lines[i].strip()]
  rng = random.Random(seed)
  chosen = sorted(rng.sample(rows, round(fraction * len(rows))))
  for i in chosen:
    label, rest = lines[i].split(",", 1)
    new = rng.choice([n for n in _KAGGLE_LABELS if n != int(label)])
    lines[i] = f"{new},{rest}"
  csv.write_text("\n".join(lines))
  return [f"{csv.name}:{i + 1}" for i in chosen]


def plant_tree(split_dir: pathlib.Path, fraction: float,
               seed: int) -> list[str]:
  """Moves `fraction` of the photos to another class folder."""
  for label_csv in split_dir.parent.rglob("label.csv"):
    label_csv.unlink()
  classes = sorted(p for p in split_dir.iterdir() if p.is_dir())
  photos = sorted(p for c in classes for p in c.iterdir() if p.is_file())
  rng = random.Random(seed)
  moved = []
  for photo in sorted(rng.sample(photos, round(fraction * len(photos)))):
    target = rng.choice([c for c in classes if c != photo.parent])
    shutil.move(photo, target / photo.name)
    moved.append(str((target / photo.name).relative_to(split_dir.parent)))
  return moved


def score(issues: pathlib.Path, planted: pathlib.Path) -> dict[str, float]:
  """Precision and recall of the flagged keys against the planted ones."""
  flagged = {row["key"] for row in json.loads(issues.read_text())["issues"]}
  truth = set(json.loads(planted.read_text())["keys"])
  hits = len(flagged & truth)
  return {"flagged": len(flagged), "planted": len(truth), "found": hits,
          "precision": hits / len(flagged) if flagged else 0.0,
          "recall": hits / len(truth) if truth else 0.0}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("action", choices=("csv", "tree", "score"))
  parser.add_argument("--csv", type=pathlib.Path)
  parser.add_argument("--root", type=pathlib.Path,
                      help="The split folder whose photos to move.")
  parser.add_argument("--fraction", type=float, default=0.1)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--planted", type=pathlib.Path, required=True)
  parser.add_argument("--issues", type=pathlib.Path)
  args = parser.parse_args()
  if args.action == "score":
    print(json.dumps(score(args.issues, args.planted)))
    return
  keys = (plant_csv(args.csv, args.fraction, args.seed)
          if args.action == "csv"
          else plant_tree(args.root, args.fraction, args.seed))
  args.planted.write_text(json.dumps({"keys": keys}, indent=1))
  print(f"Planted {len(keys)} label errors; listed in {args.planted}")


if __name__ == "__main__":
  main()
