"""The visualize command writes the pictures of what a run learned."""

from __future__ import annotations

from tests import helpers
from trainers.analysis import introspection


def test_cli_writes_the_pictures(trained_asl_workdir, hand_png, tmp_path):
  out = tmp_path / "pictures"
  result = helpers.run_module("trainers.visualize",
                              f"--model={trained_asl_workdir}",
                              f"--image={hand_png}", f"--out={out}")
  assert result.returncode == 0, result.stderr[-2000:]
  names = sorted(p.name for p in out.iterdir())
  cams = [n for n in names if n.startswith("grad_cam_")]
  assert len(cams) == 1, names
  assert [n for n in names if n not in cams] == [
      "curves.png", "feature_maps_conv1.png", "feature_maps_conv2.png",
      "feature_maps_conv3.png", "filters_conv1.png"]
  helpers.assert_not_blank(out / cams[0])


def test_cli_class_and_layer(trained_asl_workdir, hand_png, tmp_path,
                             capsys, monkeypatch):
  out = tmp_path / "pictures"
  # The command in this process: its own process is the test above, which
  # also checks the filter and feature-map pictures. --class and --layer
  # choose only the activation map: the other pictures (most of the
  # command's time, and blind to both flags) are left out here.
  monkeypatch.setattr(introspection, "write_pictures", lambda *args: [])
  status = helpers.execute("trainers.visualize",
                           f"--model={trained_asl_workdir}",
                           f"--image={hand_png}", f"--out={out}",
                           "--class=B", "--layer=conv2")
  assert status == 0, capsys.readouterr().err[-2000:]
  assert (out / "grad_cam_B.png").exists()
