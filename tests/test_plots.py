"""The plots of a run: filter colours, feature-map titles, curves."""

from __future__ import annotations

from matplotlib import pyplot as plt
import numpy as np
from PIL import Image
import pytest

from tests import helpers
from tests import layout
from trainers.run_dir import plots


def test_filters_share_one_scale_centred_at_zero(tmp_path):
  filters = np.zeros((4, 3, 3), np.float32)
  filters[1] = 0.8    # strongest positive
  filters[2] = 0.4    # half as strong: paler, on the same scale
  filters[3] = -0.8
  rgb, limit = plots.filter_colors(filters)
  assert limit == pytest.approx(0.8)
  zero, strong, half, negative = (rgb[i, 0, 0] for i in range(4))
  assert np.all(zero > 0.9)  # white
  assert strong[0] > strong[2] and negative[2] > negative[0]  # red, blue
  assert np.abs(1 - half).sum() < np.abs(1 - strong).sum()
  rgb3, _ = plots.filter_colors(np.stack([filters] * 3, axis=-1))
  np.testing.assert_allclose(rgb3[0], 0.5)  # RGB kernels: zero is grey
  path = plots.plot_filters(np.random.default_rng(0).normal(
      size=(75, 3, 3)), tmp_path / "filters.png", "conv1: 75 filters")
  width, height = Image.open(path).size
  assert width >= 1000 and height >= 700  # 3x3 tiles drawn large


def test_dead_feature_maps_are_marked_and_live_ones_give_their_range():
  maps = np.zeros((3, 4, 4), np.float32)
  maps[1, 0, 0] = 2.5
  maps[2] = np.linspace(-1, 3, 16).reshape(4, 4)
  assert plots.describe_maps(maps) == ["0: dead", "1: max 2.5", "2: -1..3"]


def test_curves_mark_the_first_best_epoch(tmp_path, monkeypatch):
  history = [{"epoch": e, "train_loss": 1.0 / e, "train_accuracy": 0.1 * e,
              "val_loss": 1.0, "val_accuracy": acc}
             for e, acc in [(1, 0.5), (2, 0.8), (3, 0.8), (4, 0.7)]]
  legends = []
  save = plots._save

  def recording_save(fig, path):
    legends.extend(t.get_text() for ax in fig.axes
                   for t in ax.get_legend().get_texts())
    return save(fig, path)

  monkeypatch.setattr(plots, "_save", recording_save)
  helpers.assert_not_blank(plots.plot_curves(history, tmp_path / "curves.png"))
  assert "best epoch 2" in legends and "val accuracy 0.800" in legends



@pytest.fixture(autouse=True)
def _close_figures():
  yield
  plt.close("all")

# Names of 25 characters, each its own, as photo-folder classes can be.
def _names(count):
  return [f"{i:03d}_freshapples_and_bananas"[:25] for i in range(count)]


@pytest.mark.parametrize("classes", [2, 6, 24, 100])
def test_confusion_matrix_is_readable_at_any_class_count(classes):
  rng = np.random.default_rng(classes)
  matrix = rng.integers(0, 40, (classes, classes))
  fig = plots._figure_confusion(matrix, _names(classes),
                                "cats_dogs validation after 30 epochs")
  texts = layout.assert_readable(fig)
  ax, bar = fig.axes
  assert len(layout.tick_labels(texts, ax.xaxis)) == classes
  assert len(layout.tick_labels(texts, ax.yaxis)) == classes
  assert layout.are_whole_numbers(layout.tick_labels(texts, bar.yaxis))
  counts = [t for t in texts if t.axes is ax and t.get_text().isdigit()]
  if classes <= 24:  # Beyond, the colours alone give the counts.
    assert len(counts) == np.count_nonzero(matrix)
    assert min(t.get_fontsize() for t in counts) >= 5
  if classes == 6:
    assert min(t.get_fontsize() for t in counts) >= 9


def test_confusion_colour_bar_of_few_counts_ticks_whole_numbers():
  fig = plots._figure_confusion(np.array([[1, 0], [2, 1]]), ["a", "b"], "t")
  texts = layout.assert_readable(fig)
  bar = fig.axes[1]
  labels = layout.tick_labels(texts, bar.yaxis)
  assert layout.are_whole_numbers(labels) and len(set(labels)) > 1


def test_curves_tick_whole_epochs_with_legends_outside():
  history = [{"epoch": e, "train_loss": 1.0 / e, "train_accuracy": 0.1 * e,
              "val_loss": 1.0, "val_accuracy": acc}
             for e, acc in [(1, 0.5), (2, 0.8), (3, 0.7)]]
  fig = plots._figure_curves(history)
  texts = layout.assert_readable(fig)
  for ax in fig.axes:
    labels = layout.tick_labels(texts, ax.xaxis)
    assert layout.are_whole_numbers(labels)


def test_series_of_many_long_run_names_is_readable():
  series = {f"{name}_run": [(1, 0.1 * i), (2, 0.2), (3, None), (4, 0.5)]
            for i, name in enumerate(_names(12))}
  fig = plots._figure_series(series, xlabel="epoch", ylabel="val accuracy")
  texts = layout.assert_readable(fig)
  ax, = fig.axes
  assert layout.are_whole_numbers(layout.tick_labels(texts, ax.xaxis))
  assert set(series) <= {t.get_text() for t in texts}
