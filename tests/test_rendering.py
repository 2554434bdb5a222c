"""The report's figures stay readable at any class count and name length."""

from __future__ import annotations

from matplotlib import pyplot as plt
import numpy as np
import pytest

from tests import layout
from tfds_builders.report import rendering

# Names of 25 characters, each its own, as photo-folder classes can be.
NAMES = {n: [f"{i:03d}_freshapples_and_bananas"[:25] for i in range(n)]
         for n in (2, 6, 24, 100)}



@pytest.fixture(autouse=True)
def _close_figures():
  yield
  plt.close("all")

@pytest.mark.parametrize("classes", sorted(NAMES))
def test_class_balance_is_readable(classes):
  rng = np.random.default_rng(classes)
  counts = {split: {name: int(rng.integers(0, top)) for name in NAMES[classes]}
            for split, top in (("train", 900), ("validation", 90),
                               ("test", 9))}
  fig = rendering._figure_balance(counts)
  texts = layout.assert_readable(fig)
  ax, = fig.axes
  assert len(layout.tick_labels(texts, ax.xaxis)) == classes
  assert layout.are_whole_numbers(layout.tick_labels(texts, ax.yaxis))


def test_class_balance_of_a_few_counts_ticks_whole_numbers():
  fig = rendering._figure_balance({"train": {"a": 1, "b": 2},
                                   "test": {"a": 0, "b": 1}})
  texts = layout.assert_readable(fig)
  ax, = fig.axes
  assert layout.are_whole_numbers(layout.tick_labels(texts, ax.yaxis))


@pytest.mark.parametrize("classes", [2, 24])
def test_samples_show_whole_class_names(classes):
  image = np.zeros((28, 28, 1), np.uint8)
  fig = rendering._figure_samples(
      {name + "_and_some_more": [image] * 3 for name in NAMES[classes]},
      "First 3 train images per class")
  texts = layout.assert_readable(fig)
  shown = {"".join(t.get_text().split()) for t in texts}
  assert {name + "_and_some_more" for name in NAMES[classes]} <= shown


def test_near_duplicates_show_whole_titles():
  image = np.zeros((28, 28, 3), np.uint8)
  key = "train: cats_dogs-train.tfrecord-00000-of-00001__1234"
  name = "test: photos/of/my/pets/IMG_20240101_120000_a_very_long_name.jpg"
  fig = rendering._figure_pairs([(image, key, image, name,
                                  "hash distance 2, similarity 0.991")] * 3)
  texts = layout.assert_readable(fig)
  shown = {"".join(t.get_text().split()) for t in texts}
  assert {key.replace(" ", ""), name.replace(" ", ""),
          "hashdistance2,similarity0.991"} <= shown


def test_plots_are_written(tmp_path):
  path = rendering.plot_balance({"train": {"a": 3, "b": 4}},
                                tmp_path / rendering.BALANCE_PNG)
  assert path.stat().st_size > 0
