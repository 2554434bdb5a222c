"""Ranking label issues from out-of-fold probabilities, and their files."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from tfds_builders.common import command
from trainers import label_issues as command_module
from trainers.analysis import issues_file
from trainers.analysis import label_issues


def _noisy(seed=0, n=300, classes=3, flips=15):
  """Confident, mostly right probabilities; `flips` labels then changed."""
  rng = np.random.default_rng(seed)
  truth = rng.integers(0, classes, n)
  probabilities = rng.dirichlet(np.ones(classes) * 0.3, n) * 0.2
  probabilities[np.arange(n), truth] += 0.8
  labels = truth.copy()
  flipped = rng.choice(n, flips, replace=False)
  labels[flipped] = (truth[flipped] + 1) % classes
  return labels, probabilities, set(flipped.tolist())


def test_rank_finds_the_flipped_labels_least_confident_first():
  labels, probabilities, flipped = _noisy()
  ranked = label_issues.rank(labels, probabilities)
  found = set(ranked.tolist()) & flipped
  assert len(found) >= 0.9 * len(flipped)
  assert len(found) >= 0.8 * len(ranked)
  confidence = probabilities[ranked, labels[ranked]]
  assert np.all(np.diff(confidence) >= 0)


def test_the_three_files(tmp_path):
  labels, probabilities, _ = _noisy(flips=5)
  ranked = label_issues.rank(labels, probabilities)
  ids = np.array([f"d-train.tfrecord-00000-of-00001__{i}"
                  for i in range(len(labels))])
  rows = label_issues.issues(ranked, ids, labels, probabilities,
                             ["cat", "dog", "fox"], {ids[ranked[0]]: "a.jpg"})
  facts = {"dataset": "d/1.0.0", "split": "train", "examples": len(labels),
           "folds": 4, "seed": 0}
  images = {r["tfds_id"]: np.zeros((8, 8, 3), np.float32) for r in rows[:2]}
  paths = label_issues.write(tmp_path, rows, facts, images)
  assert rows[0]["key"] == "a.jpg" and rows[1]["key"] == rows[1]["tfds_id"]
  assert rows[0]["given"] != rows[0]["suggested"]
  text = paths["markdown"].read_text()
  assert "| 1 | `a.jpg` |" in text
  assert issues_file.read(paths["json"]).ids == {r["tfds_id"] for r in rows}
  assert json.loads(paths["json"].read_text())["count"] == len(rows)
  assert paths["grid"].stat().st_size > 0


def test_without_cleanlab_one_line_names_the_extra(monkeypatch, tmp_path,
                                                   capsys):
  real = importlib.util.find_spec
  monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: (
      None if name == "cleanlab" else real(name, *a)))
  out = tmp_path / "issues"
  status = command.execute(command_module.define_flags, command_module.main,
                           ["label_issues", f"--out={out}"], "label_issues")
  err = capsys.readouterr().err
  assert status == 1
  assert len(err.splitlines()) == 1
  assert "asl-pipeline[label-issues]" in err
  assert not out.exists()


@pytest.mark.parametrize("dataset, model", [
    ("sign_language_mnist", "dli_cnn"), ("cats_dogs/folder", "simple_cnn")])
def test_the_recipe_takes_the_datasets_trainer_defaults(dataset, model):
  from absl import flags  # pylint: disable=g-import-not-at-top
  flag_values = flags.FlagValues()
  command_module.define_flags(flag_values)
  flag_values(["label_issues", f"--dataset={dataset}", "--out=/tmp/x"])
  assert command_module.recipe(flag_values).model == model


def test_a_recipe_that_needs_validation_is_refused_for_folds():
  from trainers.analysis import out_of_fold  # pylint: disable=g-import-not-at-top
  from trainers.command_line import config as config_lib  # pylint: disable=g-import-not-at-top
  with pytest.raises(config_lib.ConfigError, match="--lr_schedule=plateau"):
    out_of_fold.fold_config(config_lib.Config(lr_schedule="plateau"), 0, 4)
  fold = out_of_fold.fold_config(config_lib.Config(), 1, 4).validate()
  assert (fold.holdout_fold, fold.validation_split, fold.test_split) == (
      "1/4", "", "")
