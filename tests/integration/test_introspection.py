"""The pictures of what a network learned, drawn whole for a trained run.

Slow: matplotlib lays out one panel per filter and feature map (about 250).
"""

from __future__ import annotations

import pathlib

from tests import helpers
from trainers.analysis import introspection as introspect
from trainers.run_dir import plots


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
    helpers.assert_not_blank(path)
  assert figures["filters_conv1.png"][0] == 75
  for layer, channels in [("conv1", 75), ("conv2", 50), ("conv3", 25)]:
    panels, title = figures[f"feature_maps_{layer}.png"]
    assert panels == channels
    assert title.startswith(layer)
    assert f"of {channels} dead (all zero)" in title
