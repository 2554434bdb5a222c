"""`trainers.label_issues`'s work: folds, ranking, keys, images, files."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np

import asl_pipeline
from trainers.analysis import example_keys
from trainers.analysis import label_issues
from trainers.analysis import out_of_fold
from trainers.command_line import config as config_lib
from trainers.training import data as data_lib


def _images(config: config_lib.Config, ids: list[str]) -> dict[str, Any]:
  """The model inputs of the chosen training examples, by TFDS id."""
  if not ids:
    return {}
  dataset = asl_pipeline.eval_dataset(
      config.dataset, batch_size=config.eval_batch_size,
      split=config.train_split, data_dir=config.data_dir,
      image_size=config.image_size, include_ids=ids, with_ids=True)
  return {key.decode(): image
          for images, _, batch_ids in dataset.as_numpy_iterator()
          for image, key in zip(images, batch_ids)}


def search(config: config_lib.Config, out_dir: str | pathlib.Path,
           folds: int, top: int
           ) -> tuple[dict[str, pathlib.Path], list[dict[str, Any]], int]:
  """Finds and writes the likely label errors of `config.train_split`.

  Args:
    config: The recipe each fold trains.
    out_dir: Where the folds and the three files go.
    folds: How many folds.
    top: Issues drawn into the grid.

  Returns:
    `(paths, rows, examples)`: the files written, the ranked issues, and
    how many training examples were searched.

  Raises:
    ConfigError: the recipe cannot run on this data (an unknown split, a
      batch larger than a fold's training part), before anything is
      written.
  """
  # Every check the fold runs will make, before any of them writes.
  data_lib.DataSpec.create(
      out_of_fold.fold_config(config, 0, folds).validate(), announce=False)
  out_dir = pathlib.Path(out_dir)
  out_dir.mkdir(parents=True, exist_ok=True)
  oof = out_of_fold.run_folds(config, out_dir, folds)
  info = asl_pipeline.info(config.dataset, config.data_dir)
  ranked = label_issues.rank(oof.labels, oof.probabilities)
  keys = example_keys.keys(config.dataset, config.data_dir,
                           oof.ids[ranked].tolist())
  rows = label_issues.issues(ranked, oof.ids, oof.labels, oof.probabilities,
                             info.class_names, keys)
  full_name = asl_pipeline.sources.builder(
      config.dataset, config.data_dir).info.full_name
  facts = {"dataset": full_name, "split": config.train_split,
           "examples": int(len(oof.ids)), "folds": folds,
           "seed": config.seed,
           "accuracy_out_of_fold": float(np.mean(
               oof.probabilities.argmax(-1) == oof.labels))}
  images = _images(config, [r["tfds_id"] for r in rows[:top]])
  paths = label_issues.write(out_dir, rows, facts, images)
  return paths, rows, len(oof.ids)
