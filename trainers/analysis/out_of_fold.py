"""Out-of-fold class probabilities: every training example, by a model that
never trained on it.

The training split is dealt into k stratified, seeded folds
(`trainers.training.folds`). Fold K's model is the package's own training
run (`train_and_evaluate`) of the given recipe on every other fold, in
`OUT/folds/K/`, without validation or test (every training example is in
some fold, and the folds' models are never compared). It then predicts
fold K's examples; their probabilities are written whole to
`OUT/folds/K/oof.npz` (`tfds_builders.common.files`). A rerun skips a fold
that has its `oof.npz`, and resumes an unfinished one from its
checkpoints, as any run does.
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
import pathlib

import keras
import numpy as np
import tensorflow as tf

import asl_pipeline
from tfds_builders.common import files
from trainers.command_line import config as config_lib
from trainers.run_dir import workdir as workdir_lib
from trainers.training import folds as folds_lib
from trainers.training import loop
from trainers.training import splits as splits_lib

FOLDS = "folds"
OOF = "oof.npz"


@dataclasses.dataclass(frozen=True)
class OutOfFold:
  """Each training example's probabilities from the model of its fold.

  Attributes:
    ids: [n] TFDS ids, sorted.
    labels: [n] given classes.
    probabilities: [n, classes] out-of-fold class probabilities.
    folds: [n] the fold of each example.
  """

  ids: np.ndarray
  labels: np.ndarray
  probabilities: np.ndarray
  folds: np.ndarray


def fold_config(config: config_lib.Config, fold: int,
                folds: int) -> config_lib.Config:
  """The recipe trained without fold `fold`: no validation, no test.

  Raises:
    ConfigError: the recipe needs validation (`--lr_schedule=plateau`).
  """
  if config.lr_schedule == "plateau":
    raise config_lib.ConfigError(
        "--lr_schedule=plateau follows the validation loss, and the fold "
        "runs have no validation (every example is in some fold); choose "
        "another --lr_schedule.")
  return dataclasses.replace(
      config, holdout_fold=f"{fold}/{folds}", validation_split="",
      test_split="", early_stopping_patience=0)


def fold_dir(out_dir: pathlib.Path, fold: int) -> pathlib.Path:
  return pathlib.Path(out_dir) / FOLDS / str(fold)


def predict(config: config_lib.Config, model: keras.Model,
            ids: frozenset[str]) -> tuple[np.ndarray, ...]:
  """`(ids, labels, probabilities)` of the chosen training examples.

  Args:
    config: Its dataset, data directory, image size and train split.
    model: Outputs class probabilities.
    ids: TFDS ids of examples of `config.train_split`.

  Returns:
    Arrays in TFDS id order.
  """
  dataset = asl_pipeline.eval_dataset(
      config.dataset, batch_size=config.eval_batch_size,
      split=config.train_split, data_dir=config.data_dir,
      image_size=config.image_size, include_ids=ids, with_ids=True)
  run = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
  parts = [(batch_ids.numpy().astype(str), labels.numpy(),
            np.asarray(run(images), np.float32))
           for images, labels, batch_ids in dataset]
  found, labels, probabilities = (np.concatenate(p) for p in zip(*parts))
  order = np.argsort(found)
  return found[order], labels[order], probabilities[order]


def _save(path: pathlib.Path, **arrays) -> None:
  """An .npz written whole: a killed run leaves no half a fold."""
  with files.atomic_path(path) as tmp:
    with open(tmp, "wb") as f:
      np.savez(f, **arrays)


def _load(path: pathlib.Path, expected: frozenset[str]) -> dict | None:
  """A finished fold's arrays, or None if they are not of these examples."""
  try:
    with np.load(path) as saved:
      arrays = {k: saved[k] for k in ("ids", "labels", "probabilities")}
  except (OSError, ValueError, KeyError):
    return None
  if set(arrays["ids"].astype(str).tolist()) != expected:
    return None
  return arrays


def run_folds(config: config_lib.Config, out_dir: str | pathlib.Path,
              folds: int,
              say: Callable[[str], None] = print) -> OutOfFold:
  """Trains the k fold models (or reuses them) and gathers their predictions.

  Args:
    config: The recipe: a validated trainer config.
    out_dir: Fold `K` lives in `out_dir/folds/K/`.
    folds: How many folds, at least 2.
    say: Where progress lines go.

  Returns:
    Out-of-fold probabilities of every example of `config.train_split`.
  """
  out_dir = pathlib.Path(out_dir)
  fold_of = folds_lib.assign(
      splits_lib.ids_by_class(config.dataset, config.data_dir,
                              config.train_split), folds, config.seed)
  gathered = []
  for fold in range(folds):
    members = folds_lib.members(fold_of, fold)
    path = fold_dir(out_dir, fold) / OOF
    arrays = _load(path, members) if path.exists() else None
    if arrays is not None:
      say(f"Fold {fold} of {folds}: done before, reading {path}")
    else:
      say(f"Fold {fold} of {folds}: training without its {len(members)} "
          f"examples in {fold_dir(out_dir, fold)}")
      loop.train_and_evaluate(fold_config(config, fold, folds),
                              fold_dir(out_dir, fold))
      keras.backend.clear_session()
      model = workdir_lib.load_model(fold_dir(out_dir, fold))
      ids, labels, probabilities = predict(config, model, members)
      arrays = {"ids": ids, "labels": labels, "probabilities": probabilities}
      _save(path, **arrays)
      keras.backend.clear_session()
    gathered.append({**arrays, "fold": np.full(len(arrays["ids"]), fold)})
  ids = np.concatenate([g["ids"] for g in gathered]).astype(str)
  order = np.argsort(ids)
  return OutOfFold(
      ids=ids[order],
      labels=np.concatenate([g["labels"] for g in gathered])[order],
      probabilities=np.concatenate(
          [g["probabilities"] for g in gathered])[order],
      folds=np.concatenate([g["fold"] for g in gathered])[order])
