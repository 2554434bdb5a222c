"""The most confidently wrong examples, in order."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from trainers.analysis import mistakes


def test_most_confident_picks_wrong_rows_by_confidence():
  probabilities = np.array([
      [0.9, 0.1, 0.0],   # right
      [0.2, 0.7, 0.1],   # wrong, 0.7
      [0.1, 0.1, 0.8],   # wrong, 0.8
      [0.05, 0.9, 0.05],  # right
      [0.3, 0.1, 0.6],   # wrong, 0.6
      [0.2, 0.7, 0.1],   # wrong, 0.7: ties with row 1, comes after it
  ])
  labels = np.array([0, 0, 1, 1, 1, 2])
  assert mistakes.most_confident(probabilities, labels, 10).tolist() == [
      2, 1, 5, 4]
  assert mistakes.most_confident(probabilities, labels, 2).tolist() == [2, 1]
  assert mistakes.most_confident(probabilities, labels, 0).tolist() == []


def test_none_wrong_gives_none():
  assert mistakes.most_confident(np.eye(3), np.arange(3), 5).size == 0


class StoredProbabilities(keras.Model):
  """A model returning the probabilities stored in each image's pixels."""

  def call(self, images, training=False):
    del training
    return tf.reshape(images, [tf.shape(images)[0], -1])[:, :3]


def test_scan_keeps_the_top_mistakes_across_batches():
  rng = np.random.default_rng(0)
  probabilities = rng.dirichlet(np.ones(3), size=50).astype(np.float32)
  labels = rng.integers(0, 3, 50)
  images = np.zeros((50, 2, 2, 1), np.float32)
  images.reshape(50, -1)[:, :3] = probabilities
  ids = np.array([f"id{i:02d}" for i in range(50)])
  dataset = tf.data.Dataset.from_tensor_slices(
      (images, labels, ids)).batch(7)
  matrix, found = mistakes.scan(StoredProbabilities(), dataset, 3, count=5)
  assert matrix.sum() == 50
  assert np.trace(matrix) == int((probabilities.argmax(1) == labels).sum())
  expected = mistakes.most_confident(probabilities, labels, 5)
  assert [m.tfds_id for m in found] == [ids[i] for i in expected]
  assert [m.predicted for m in found] == probabilities[expected].argmax(
      1).tolist()
  rows = mistakes.as_json(mistakes.with_keys(found, {"id00": "a.jpg"}),
                          ["x", "y", "z"])
  assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
  assert rows[0]["probability"] >= rows[-1]["probability"]
  assert all(r["label"] != r["predicted"] for r in rows)
