"""Class activation maps: a planted cue, nested models, no conv layer."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from trainers.analysis import grad_cam
from trainers.models import letter_nets
from trainers.models import photo_nets


def _corner_data(n=400, seed=0):
  """Noise; class 1 has a bright top-left mark, class 0 a bottom-right one."""
  rng = np.random.default_rng(seed)
  x = rng.uniform(0, 0.5, (n, 28, 28, 1)).astype("float32")
  y = rng.integers(0, 2, n)
  x[y == 1, :7, :7, 0] = 1.0
  x[y == 0, -7:, -7:, 0] = 1.0
  return x, y


def test_map_mass_is_on_the_planted_corner():
  x, y = _corner_data()
  keras.utils.set_random_seed(0)
  model = photo_nets.simple_cnn(input_shape=(28, 28, 1), num_classes=2,
                                filters=(8, 16), dense_units=16, dropout=0.0)
  model.compile("adam", "sparse_categorical_crossentropy")
  model.fit(x, y, epochs=4, batch_size=16, verbose=0)
  shares = []
  for i in np.flatnonzero(y == 1)[:5]:
    cam, index, probability = grad_cam.grad_cam(model, x[i:i + 1])
    assert index == 1 and probability > 0.9
    up = grad_cam.upsample(cam, 28, 28)
    shares.append(up[:14, :14].sum() / up.sum())
  # The quadrant is a quarter of the image.
  assert np.mean(shares) > 0.6, shares


def test_nested_resnet_and_named_layer():
  model = photo_nets.resnet(input_shape=(64, 64, 3), num_classes=2)
  image = np.full((1, 64, 64, 3), 0.5, np.float32)
  cam, _, _ = grad_cam.grad_cam(model, image, class_index=1)
  assert cam.shape == (2, 2)
  cam, _, _ = grad_cam.grad_cam(model, image, layer="conv4_block5_3_conv")
  assert cam.shape == (4, 4)
  with pytest.raises(ValueError, match="no conv layer named 'nope'"):
    grad_cam.grad_cam(model, image, layer="nope")


def test_model_without_conv_layer_says_so():
  model = letter_nets.mlp(input_shape=(28, 28, 1), num_classes=3)
  with pytest.raises(grad_cam.NoConvLayerError, match="no conv layer"):
    grad_cam.grad_cam(model, np.zeros((1, 28, 28, 1), np.float32))


def test_overlay_is_at_the_image_size():
  image = np.zeros((50, 30, 1), np.uint8)
  out = grad_cam.overlay(image, np.eye(4, dtype=np.float32))
  assert out.shape == (50, 30, 3) and out.dtype == np.uint8


def test_unknown_class_or_layer_is_named(trained_asl_workdir, hand_png,
                                         tmp_path):
  # pylint: disable=g-import-not-at-top
  from trainers.analysis import explain
  from trainers.run_dir import workdir as workdir_lib
  # pylint: enable=g-import-not-at-top
  model = workdir_lib.load_model(trained_asl_workdir)
  names = explain.class_names(trained_asl_workdir)
  with pytest.raises(ValueError, match="no conv layer named 'nope'"):
    explain.write_figure(model, names, hand_png, tmp_path, layer="nope")
  with pytest.raises(ValueError, match="no class 'nope'"):
    explain.write_figure(model, names, hand_png, tmp_path, class_name="nope")
  path = explain.write_figure(model, names, hand_png, tmp_path,
                              class_name=names[1], layer="conv2")
  assert path.name == f"grad_cam_{names[1]}.png"
