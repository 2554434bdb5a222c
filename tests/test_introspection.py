"""The pictures of what a network learned: filters and feature maps."""

from __future__ import annotations


import numpy as np
import pytest

from tests import helpers
from trainers.analysis import inference
from trainers.analysis import introspection as introspect
from trainers.run_dir import workdir as workdir_lib


def test_feature_maps_follow_the_image(trained_asl_workdir, hand_png):
  model = workdir_lib.load_model(trained_asl_workdir)
  image = introspect.load_image(hand_png, model)
  maps = dict(introspect.feature_maps(model, image))
  assert maps["conv1"].shape == (75, 28, 28)
  assert maps["conv2"].shape == (50, 14, 14)
  blank = dict(introspect.feature_maps(model, image * 0))
  assert not np.allclose(maps["conv1"], blank["conv1"])


def test_visualize_image_is_read_with_the_same_limit(trained_asl_workdir,
                                                     tmp_path):
  model = workdir_lib.load_model(trained_asl_workdir)
  bomb = tmp_path / "bomb.png"
  bomb.write_bytes(helpers.huge_png(20000, 20000))
  with pytest.raises(inference.ImageReadError,
                     match=f"{bomb}: too large: 400,000,000 pixels"):
    introspect.load_image(bomb, model)
  with pytest.raises(inference.ImageReadError,
                     match=f"{tmp_path}: a folder, not an image file"):
    introspect.load_image(tmp_path, model)
