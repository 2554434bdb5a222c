"""The example grid of mistakes and label issues stays readable."""

from __future__ import annotations

from matplotlib import pyplot as plt
import numpy as np

from tests import layout
from trainers.run_dir import grids


def test_long_keys_wrap_and_no_caption_runs_into_another():
  images = [np.full((28, 28, 1), 30 * i, np.uint8) for i in range(6)]
  captions = [f"train/a_rather_long_folder_name/photo_{i:04d}_taken_on_"
              f"holiday.jpeg\ngiven cats, suggested dogs\nconfidence 0.0{i}"
              for i in range(6)]
  fig = grids.figure_image_grid(images, captions, "photos: label issues")
  try:
    texts = layout.assert_readable(fig)
    shown = " ".join(t.get_text() for t in texts)
    assert "suggested dogs" in shown and "photos: label issues" in shown
  finally:
    plt.close(fig)


def test_grid_writes_a_png_even_with_nothing_to_show(tmp_path):
  colour = [np.random.default_rng(0).random((16, 20, 3))]
  assert grids.plot_image_grid(colour, ["one"], tmp_path / "a.png",
                               "t").stat().st_size > 0
  assert grids.plot_image_grid([], [], tmp_path / "b.png",
                               "none").stat().st_size > 0
