"""Dataset report: planted exact and near duplicates, the files, the filter."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import asl_pipeline
from tfds_builders import report
from tfds_builders.cats_dogs import make_sample as cats_dogs_sample
from tfds_builders.report import calibrate
from tfds_builders.report import duplicates
from tfds_builders.report import hashing
from tfds_builders.report import leaks
from tfds_builders.sign_language_mnist import make_sample as asl_sample

_BASE_TRAIN, _BASE_TEST = 150, 40
# Copies planted into the data: (name, source row in train, where, make).
_PLANTS = [
    ("exact_within", 0, "train", lambda im: im),
    ("shift_within", 1, "train", lambda im: calibrate.shift(im, 0, -1)),
    ("jpeg_within", 2, "train", lambda im: calibrate.reencode(im, 90)),
    ("exact_across", 3, "test", lambda im: im),
    ("shift_across", 4, "test", lambda im: calibrate.shift(im, -1, 1)),
    ("brighter_across", 5, "test", lambda im: calibrate.brighter(im, add=20)),
    ("scaled_across", 6, "test", lambda im: calibrate.brighter(im, scale=1.1)),
    ("jpeg_across", 7, "test", lambda im: calibrate.reencode(im, 90)),
]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
  """A built sign_language_mnist with known copies; its source images."""
  root = tmp_path_factory.mktemp("planted")
  rng = np.random.default_rng(7)
  # Look-alikes: every image is another drawing of one of a few letters.
  labels = {"train": rng.integers(0, 3, _BASE_TRAIN),
            "test": rng.integers(0, 3, _BASE_TEST)}
  images = {split: asl_sample.render(labels[split], rng)[..., None]
            for split in labels}
  images = {k: list(v) for k, v in images.items()}
  labels = {k: list(v) for k, v in labels.items()}
  sources = {}
  for name, row, split, make in _PLANTS:
    images[split].append(make(images["train"][row]))
    labels[split].append(labels["train"][row])
    sources[name] = (row, split, len(images[split]) - 1)
  csv_dir = root / "csv"
  csv_dir.mkdir()
  for split, file in (("train", "sign_mnist_train.csv"),
                      ("test", "sign_mnist_test.csv")):
    asl_sample.write_csv(str(csv_dir / file), np.stack(images[split]),
                         asl_sample.raw_labels(np.array(labels[split]),
                                               "kaggle"), header=True)
  builder = tfds.builder("sign_language_mnist", data_dir=str(root / "tfds"))
  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
      manual_dir=str(csv_dir)))
  return {"data_dir": str(root / "tfds"), "images": images,
          "sources": sources}


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


def test_drop_keys_keeps_order_and_needs_ids():
  ds = tf.data.Dataset.from_tensor_slices({
      "tfds_id": [f"id{i}" for i in range(10)], "x": tf.range(10)})
  kept = report.drop_keys(ds, {"id3", "id7", "not-there"})
  assert [int(e["x"]) for e in kept] == [0, 1, 2, 4, 5, 6, 8, 9]
  assert len(list(report.drop_keys(ds, []))) == 10
  with pytest.raises(ValueError, match="add_tfds_id=True"):
    report.drop_keys(ds.map(lambda e: {"x": e["x"]}), {"id1"})


def test_buckets_find_exactly_the_close_pairs():
  rng = np.random.default_rng(0)
  n = 3000
  hashes = rng.integers(0, 2**63, (n, 1), dtype=np.uint64)
  # Plant pairs at every distance up to 8 bits.
  for i in range(0, 400, 2):
    bits = rng.choice(hashing.HASH_BITS, i % 9, replace=False)
    flip = np.bitwise_or.reduce(np.left_shift(np.uint64(1),
                                              bits.astype(np.uint64)))
    hashes[i + 1] = hashes[i] ^ (flip if len(bits) else np.uint64(0))
  wide = np.repeat(hashes, len(hashing.SHIFTS), axis=1)
  for max_distance in (0, 3, 5):
    pairs, distances = duplicates.candidate_pairs(wide, max_distance)
    all_d = hashing.hamming(hashes[:, 0][:, None], hashes[:, 0][None])
    i, j = np.nonzero(np.triu(all_d <= max_distance, 1))
    assert sorted(map(tuple, pairs.tolist())) == sorted(zip(i.tolist(),
                                                            j.tolist()))
    assert (distances <= max_distance).all()


def test_thresholds_separate_copies_from_look_alikes():
  for dataset, count in (("sign_language_mnist", 160), ("cats_dogs", 16)):
    images, labels = calibrate.generated(dataset, count)
    measured = calibrate.measure(images, labels, copies=min(count, 24))
    for name, (distance, similar) in measured["copies"].items():
      assert distance <= leaks.MAX_HASH_DISTANCE, (dataset, name, measured)
      assert similar >= leaks.MIN_SIMILARITY, (dataset, name, measured)
    assert (measured["different_same_class"]["max_similarity"] or 0) < (
        leaks.MIN_SIMILARITY), (dataset, measured)


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


def test_report_renders_for_sign_language_mnist(planted_report):
  out, facts = planted_report
  text = _check_files(out, facts)
  assert facts["splits"] == {"train": _BASE_TRAIN + 3, "test": _BASE_TEST + 5}
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
  builder = tfds.builder("cats_dogs/cats_dogs", data_dir=str(tmp_path / "d"))
  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
      manual_dir=str(photos)))
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


def test_the_trainer_leaves_the_copies_out_and_says_how_many(planted, capsys):
  from trainers.command_line import config as config_lib  # pylint: disable=g-import-not-at-top
  from trainers.training import data as data_lib  # pylint: disable=g-import-not-at-top
  config = config_lib.Config(
      data_dir=planted["data_dir"], train_split="train", validation_split="",
      test_split="test", batch_size=4, drop_cross_split_duplicates=True)
  spec = data_lib.DataSpec.create(config.validate())
  count = len(planted["images"]["train"])
  assert len(spec.exclude_ids) == 5
  assert f"leaving out 5 of the {count} training" in capsys.readouterr().out
  assert spec.steps_per_epoch == (count - 5) // 4
  batch, _ = next(iter(spec.train(seed=0)))
  assert batch.shape[0] == 4
