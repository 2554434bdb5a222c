"""A dataset report: what is in each split, and which examples are copies."""

from __future__ import annotations

from collections.abc import Sequence
import pathlib
from typing import Any

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders.report import counting
from tfds_builders.report import leaks
from tfds_builders.report import reading
from tfds_builders.common import example_ids
from tfds_builders.common import files
from tfds_builders.report import rendering

SAMPLES_PER_CLASS = 4
TOP_PAIRS = 6


def _metadata(builder: tfds.core.DatasetBuilder) -> dict[str, Any]:
  """The build's own record (metadata.json): scheme, skips, conversions."""
  try:
    return dict(builder.info.metadata or {})
  except (AttributeError, TypeError):
    return {}


def _file_names(builder, found: leaks.Duplicates) -> dict[str, str]:
  """Source file of each duplicate's example, where the dataset stores one."""
  if "file_name" not in builder.info.features:
    return {}
  fp = found.fingerprints
  wanted = {int(i) for group in found.exact for i in group}
  wanted.update(found.near_pairs.ravel().tolist())
  names = {}
  for split in sorted({str(fp.split[i]) for i in wanted}):
    keys = {fp.key[i] for i in wanted if fp.split[i] == split}
    ds = reading.read(builder, split, decode=False)
    for key, name in example_ids.select_keys(ds, keys).map(
        lambda e: (e["tfds_id"], e["file_name"])).as_numpy_iterator():
      names[key.decode()] = name.decode()
  return names


def analyze(name: str, *, data_dir: str | None = None,
            splits: Sequence[str] | None = None
            ) -> tuple[dict[str, Any], leaks.Duplicates]:
  """The facts of the report, as `report.json` holds them.

  Args:
    name: A prepared TFDS dataset (optionally `name/config`).
    data_dir: Its TFDS data directory.
    splits: Splits to cover; all of the dataset's by default.

  Returns:
    `(facts, duplicates)`.
  """
  builder = reading.prepared_builder(name, data_dir)
  splits = reading.check_splits(builder, splits)
  class_names = list(builder.info.features["label"].names)
  found = leaks.find(reading.fingerprints(builder, splits))
  fp = found.fingerprints
  per_class = counting.class_counts(fp, splits, class_names)
  facts = {
      "dataset": builder.info.full_name,
      "splits": counting.split_counts(fp, splits),
      "class_counts": per_class,
      "imbalance": counting.imbalance(per_class),
      "image_sizes": counting.size_distribution(fp, splits),
      "build_metadata": _metadata(builder),
      **leaks.as_json(found, _file_names(builder, found)),
      "thresholds": {**leaks.thresholds(),
                     "imbalance_ratio": counting.IMBALANCE_RATIO},
  }
  return facts, found


def _samples(builder, found: leaks.Duplicates, split: str,
             class_names: Sequence[str]) -> dict[str, list[np.ndarray]]:
  """The first few images of each class in `split`."""
  fp = found.fingerprints
  chosen = {}
  for label, class_name in enumerate(class_names):
    rows = np.flatnonzero((fp.split == split) & (fp.label == label))
    chosen[class_name] = fp.key[rows[:SAMPLES_PER_CLASS]].tolist()
  images = reading.images(builder, split,
                          [k for keys in chosen.values() for k in keys])
  return {name: [images[k] for k in keys] for name, keys in chosen.items()}


def _pair_images(builder, found: leaks.Duplicates, facts) -> list[tuple]:
  fp = found.fingerprints
  cross = found.near_pairs[found.cross_split()][:TOP_PAIRS]
  by_split = {}
  for index in cross.ravel().tolist():
    by_split.setdefault(str(fp.split[index]), set()).add(fp.key[index])
  images = {}
  for split, keys in by_split.items():
    images.update({(split, k): v for k, v in
                   reading.images(builder, split, keys).items()})
  pairs = []
  for pair in facts["near_duplicates"][:TOP_PAIRS]:
    a, b = pair["a"], pair["b"]
    label = lambda m: f"{m['split']}: {m.get('file_name', m['key'])}"
    pairs.append((images[a["split"], a["key"]], label(a),
                  images[b["split"], b["key"]], label(b),
                  f"hash distance {pair['distance']}, similarity "
                  f"{pair['similarity']:.3f}"))
  return pairs


def write_report(name: str, out: str | pathlib.Path, *,
                 data_dir: str | None = None,
                 splits: Sequence[str] | None = None) -> dict[str, Any]:
  """Writes report.md, report.json and the PNGs into `out`.

  Args:
    name: A prepared TFDS dataset (optionally `name/config`).
    out: Output directory, created if missing.
    data_dir: Its TFDS data directory.
    splits: Splits to cover; all by default.

  Returns:
    The facts written to report.json.
  """
  from tfds_builders.report import markdown  # pylint: disable=g-import-not-at-top
  facts, found = analyze(name, data_dir=data_dir, splits=splits)
  builder = reading.prepared_builder(name, data_dir)
  out = pathlib.Path(out)
  out.mkdir(parents=True, exist_ok=True)
  class_names = list(builder.info.features["label"].names)
  figures = {}
  figures["balance"] = rendering.plot_balance(
      facts["class_counts"], out / rendering.BALANCE_PNG).name
  first = next(iter(facts["splits"]))
  figures["samples"] = rendering.plot_samples(
      _samples(builder, found, first, class_names),
      out / rendering.SAMPLES_PNG,
      f"First {SAMPLES_PER_CLASS} {first} images per class").name
  pairs = _pair_images(builder, found, facts)
  if pairs:
    figures["near_duplicates"] = rendering.plot_pairs(
        pairs, out / rendering.PAIRS_PNG).name
  elif (out / rendering.PAIRS_PNG).exists():
    (out / rendering.PAIRS_PNG).unlink()  # From an earlier report.
  facts["figures"] = figures
  files.write_json(out / "report.json", facts)
  files.write_text(out / "report.md", markdown.render(facts))
  return facts
