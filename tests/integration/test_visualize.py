"""The visualize command writes the pictures of what a run learned."""

from __future__ import annotations

from tests import helpers


def test_cli_writes_the_pictures(trained_asl_workdir, hand_png, tmp_path):
  out = tmp_path / "pictures"
  result = helpers.run_module("trainers.visualize",
                              f"--model={trained_asl_workdir}",
                              f"--image={hand_png}", f"--out={out}")
  assert result.returncode == 0, result.stderr[-2000:]
  assert sorted(p.name for p in out.iterdir()) == [
      "curves.png", "feature_maps_conv1.png", "feature_maps_conv2.png",
      "feature_maps_conv3.png", "filters_conv1.png"]
