"""The preview command writes a PNG of augmented training images."""

from __future__ import annotations

from tests import helpers


def test_cli_writes_the_png(asl_data_dir, tmp_path):
  out = tmp_path / "grids"
  result = helpers.run_module("asl_pipeline.preview", "--dataset",
                              "sign_language_mnist", "--data_dir",
                              asl_data_dir, "--out", str(out), "--seed", "3",
                              timeout=120)
  assert result.returncode == 0, result.stderr[-2000:]
  grid = out / "sign_language_mnist_augmented.png"
  assert result.stdout == f"Wrote {grid}\n"
  assert grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
