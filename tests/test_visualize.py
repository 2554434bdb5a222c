"""Tests for the filter, feature-map and curve pictures."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
from PIL import Image
import pytest

from trainers.analysis import introspection as introspect
from trainers.run_dir import workdir as workdir_lib
from trainers.run_dir import plots

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def hand_png(asl_data_dir, tmp_path):
  import asl_pipeline  # pylint: disable=g-import-not-at-top
  images, _ = next(iter(asl_pipeline.eval_dataset(
      "sign_language_mnist", batch_size=1, data_dir=asl_data_dir)))
  path = tmp_path / "hand.png"
  Image.fromarray(np.uint8(images.numpy()[0, :, :, 0] * 255)).save(path)
  return path


def assert_not_blank(path: pathlib.Path):
  pixels = np.asarray(Image.open(path).convert("L"), np.float32)
  assert pixels.shape[0] > 100 and pixels.shape[1] > 100
  assert pixels.std() > 10, f"{path} looks blank"


def test_one_panel_per_filter_and_feature_map(trained_asl_workdir, hand_png,
                                              tmp_path, monkeypatch):
  figures = {}
  save = plots._save

  def recording_save(fig, path):
    figures[pathlib.Path(path).name] = (
        sum(1 for ax in fig.axes if ax.images),
        fig._suptitle.get_text() if fig._suptitle else "")
    return save(fig, path)

  monkeypatch.setattr(plots, "_save", recording_save)
  written = introspect.write_pictures(trained_asl_workdir, hand_png,
                                     tmp_path / "out")

  assert [p.name for p in written] == [
      "filters_conv1.png", "feature_maps_conv1.png", "feature_maps_conv2.png",
      "feature_maps_conv3.png", "curves.png"]
  for path in written:
    assert_not_blank(path)
  assert figures["filters_conv1.png"][0] == 75
  for layer, channels in [("conv1", 75), ("conv2", 50), ("conv3", 25)]:
    panels, title = figures[f"feature_maps_{layer}.png"]
    assert panels == channels
    assert title.startswith(layer)
    assert f"of {channels} dead (all zero)" in title


def test_feature_maps_follow_the_image(trained_asl_workdir, hand_png):
  model = workdir_lib.load_model(trained_asl_workdir)
  image = introspect.load_image(hand_png, model)
  maps = dict(introspect.feature_maps(model, image))
  assert maps["conv1"].shape == (75, 28, 28)
  assert maps["conv2"].shape == (50, 14, 14)
  blank = dict(introspect.feature_maps(model, image * 0))
  assert not np.allclose(maps["conv1"], blank["conv1"])


@pytest.mark.slow
def test_cli_writes_the_pictures(trained_asl_workdir, hand_png, tmp_path):
  out = tmp_path / "pictures"
  result = subprocess.run(
      [sys.executable, "-m", "trainers.visualize",
       f"--model={trained_asl_workdir}",
       f"--image={hand_png}", f"--out={out}"],
      cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
      capture_output=True, text=True, timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-2000:]
  assert sorted(p.name for p in out.iterdir()) == [
      "curves.png", "feature_maps_conv1.png", "feature_maps_conv2.png",
      "feature_maps_conv3.png", "filters_conv1.png"]


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
  assert_not_blank(plots.plot_curves(history, tmp_path / "curves.png"))
  assert "best epoch 2" in legends and "val accuracy 0.800" in legends
