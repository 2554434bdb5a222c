"""Dataset report: the duplicate search and its thresholds, the filter.

The report on built datasets with planted copies:
tests/integration/test_report.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tfds_builders import report
from tfds_builders.report import calibrate
from tfds_builders.report import duplicates
from tfds_builders.report import hashing
from tfds_builders.report import leaks
from tfds_builders.report import markdown
from tfds_builders.report import reading


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


def test_a_split_named_twice_is_refused(asl_data_dir):
  builder = reading.prepared_builder("sign_language_mnist", asl_data_dir)
  with pytest.raises(ValueError, match="split 'train' is named twice"):
    reading.check_splits(builder, ["train", "test", "train"])
  assert reading.check_splits(builder, ["test", "train"]) == ["test", "train"]


def test_report_md_lists_pairs_within_a_split_and_counts_in_words():
  member = lambda split, key: {"split": split, "key": key}
  facts = {
      "dataset": "d/1.0.0", "splits": {"train": 3, "test": 1},
      "exact_duplicates": [[member("train", "t1"), member("test", "s1")]],
      "near_duplicates": [],
      "near_duplicates_within_splits": [
          {"a": member("train", "t2"), "b": member("train", "t3"),
           "distance": 2, "similarity": 0.91}],
      "figures": {"balance": "b.png", "samples": "s.png"},
      "thresholds": {"max_hash_distance": 5, "min_similarity": 0.85,
                     "hash": "h", "similarity": "s", "imbalance_ratio": 1.5},
      "imbalance": {}, "class_counts": {"train": {"a": 3}, "test": {"a": 1}},
      "image_sizes": {"train": {"distinct": 1,
                                "most_common": [("28x28", 3)]}},
      "build_metadata": {}}
  text = markdown.render(facts)
  assert "- Exact duplicates (equal pixels): 1 group, 1 of them" in text
  assert "across splits: 0 pairs; within a split: 1 pair." in text
  assert "- near, within a split: train `t2` ~ train `t3`" in text
  assert "## Stored image sizes (height x width)" in text
