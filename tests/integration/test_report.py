"""Dataset report on built datasets: planted copies found, files written."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
import tensorflow_datasets as tfds

import asl_pipeline
from tests import helpers
from tfds_builders import report
from tfds_builders.cats_dogs import make_sample as cats_dogs_sample
from tfds_builders.report import leaks


@pytest.fixture(scope="module")
def planted_report(planted, tmp_path_factory):
  """The report on `planted`, written once: (output dir, facts)."""
  out = tmp_path_factory.mktemp("planted_report")
  return out, report.write_report("sign_language_mnist", out,
                                  data_dir=planted["data_dir"])


def _rows_by_key(data_dir, split, images):
  """tfds_id -> row of the source list, matched by pixels."""
  rows = {}
  for row, image in enumerate(images):
    rows.setdefault(image.tobytes(), []).append(row)
  ds = tfds.load("sign_language_mnist", split=split, data_dir=data_dir,
                 read_config=tfds.ReadConfig(add_tfds_id=True))
  return {e["tfds_id"].decode(): rows[e["image"].tobytes()]
          for e in ds.as_numpy_iterator()}


def test_every_planted_copy_is_found_and_nothing_else(planted,
                                                     planted_report):
  _, facts = planted_report
  rows = {split: _rows_by_key(planted["data_dir"], split,
                              planted["images"][split])
          for split in ("train", "test")}

  def where(member):
    found = rows[member["split"]][member["key"]]
    return tuple((member["split"], r) for r in found)

  exact = {frozenset(r for m in group for r in where(m))
           for group in facts["exact_duplicates"]}
  near = {frozenset(where(p["a"]) + where(p["b"]))
          for p in facts["near_duplicates"] +
          facts["near_duplicates_within_splits"]}
  expected_exact, expected_near = set(), set()
  for name, (row, split, copy) in planted["sources"].items():
    pair = frozenset({("train", row), (split, copy)})
    (expected_exact if name.startswith("exact") else expected_near).add(pair)
  assert exact == expected_exact
  assert near == expected_near
  cross = {frozenset(where(p["a"]) + where(p["b"]))
           for p in facts["near_duplicates"]}
  assert all({m[0] for m in pair} == {"train", "test"} for pair in cross)
  assert len(facts["near_duplicates"]) == 4
  assert facts["thresholds"]["max_hash_distance"] == leaks.MAX_HASH_DISTANCE


def test_cross_split_keys_and_training_without_them(planted):
  data_dir = planted["data_dir"]
  keys = report.cross_split_duplicate_keys(
      "sign_language_mnist", data_dir=data_dir, train_split="train",
      other_splits=["test"])
  rows = _rows_by_key(data_dir, "train", planted["images"]["train"])
  # The training sources of the five copies planted in test.
  assert sorted(r for k in keys for r in rows[k]) == [3, 4, 5, 6, 7]

  remaining, _ = asl_pipeline.sources.load(
      "sign_language_mnist", split="train", data_dir=data_dir,
      exclude_ids=keys)
  left = [e["image"].tobytes() for e in remaining.as_numpy_iterator()]
  count = len(planted["images"]["train"])
  assert len(left) == count - 5
  dropped = {planted["images"]["train"][r].tobytes() for r in (3, 4, 5, 6, 7)}
  assert not dropped & set(left)

  # One batch of exactly what is left: the pipeline sees every other
  # example once and none of the dropped ones.
  batch, _ = next(iter(asl_pipeline.train_dataset(
      "sign_language_mnist", batch_size=count - 5, data_dir=data_dir,
      augment="none", exclude_ids=keys)))
  seen = {np.round(image * 255).astype(np.uint8).tobytes()
          for image in batch.numpy()}
  assert seen == set(left)


def _check_files(out, facts):
  for name in ("report.md", "report.json", *facts["figures"].values()):
    assert (out / name).stat().st_size > 0
  for png in facts["figures"].values():
    assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
  saved = json.loads((out / "report.json").read_text())
  for key in ("splits", "class_counts", "exact_duplicates", "near_duplicates",
              "thresholds"):
    assert key in saved
  assert not [f for f in os.listdir(out) if f.startswith(".")]
  return (out / "report.md").read_text()


def test_report_renders_for_sign_language_mnist(planted, planted_report):
  out, facts = planted_report
  text = _check_files(out, facts)
  # 3 copies planted in train and 5 in test, all kept.
  assert facts["splits"] == {split: len(images)
                             for split, images in planted["images"].items()}
  assert "near_duplicates" in facts["figures"]
  assert text.startswith("# Dataset report: sign_language_mnist")
  assert "Near duplicates across splits: 4 pairs" in text
  # 24 letters, 3 drawn: the others are missing from both splits.
  assert facts["imbalance"]["train"]["imbalanced"]
  assert "No example of" in text


def test_report_renders_for_cats_dogs(tmp_path):
  photos = tmp_path / "photos"
  cats_dogs_sample.make_sample(str(photos), per_class=6, test_per_class=3,
                               size=48)
  # A photo that is also in test, as scraped folders have them.
  shutil.copy(photos / "train" / "cats" / "cat_0001.jpg",
              photos / "test" / "cats" / "copy_of_cat_0001.jpg")
  helpers.build_dataset("cats_dogs/cats_dogs", photos, tmp_path / "d")
  out = tmp_path / "report"
  facts = report.write_report("cats_dogs/cats_dogs", out,
                              data_dir=str(tmp_path / "d"))
  text = _check_files(out, facts)
  cross = [g for g in facts["exact_duplicates"]
           if {m["split"] for m in g} == {"train", "test"}]
  assert [sorted(m["file_name"] for m in g) for g in cross] == [
      ["test/cats/copy_of_cat_0001.jpg", "train/cats/cat_0001.jpg"]]
  assert "## Build record (metadata.json)" in text
  assert facts["build_metadata"]["counts"]["train"]
  assert facts["image_sizes"]["train"]["distinct"] >= 2
