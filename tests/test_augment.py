"""Properties of the augmenter: bounds, semantics, seeding, eval identity."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import asl_pipeline as ap

SIDE = 64


def _grid():
  y, x = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32)
  return x, y


def _moments(images):
  """Centroid (x, y) and orientation (degrees, counter-clockwise as shown)."""
  x, y = _grid()
  w = images[..., 0]
  mass = w.sum(axis=(1, 2))
  cx = (w * x).sum(axis=(1, 2)) / mass
  cy = (w * y).sum(axis=(1, 2)) / mass
  dx, dy = x - cx[:, None, None], y - cy[:, None, None]
  mxx = (w * dx * dx).sum(axis=(1, 2)) / mass
  myy = (w * dy * dy).sum(axis=(1, 2)) / mass
  mxy = (w * dx * dy).sum(axis=(1, 2)) / mass
  # Rows grow downwards, so counter-clockwise on screen is -y.
  angle = 0.5 * np.degrees(np.arctan2(-2 * mxy, mxx - myy))
  return cx, cy, angle, mxx, myy


def _batch(image, n):
  return np.repeat(image[None, :, :, None], n, axis=0).astype(np.float32)


def test_sampled_parameters_stay_within_the_course_bounds():
  layer = ap.make_augmenter(seed=0)
  params = {k: v.numpy() for k, v in
            layer.sample_parameters(20_000, tf.constant([1, 2])).items()}
  assert np.abs(params["rotation_degrees"]).max() <= 10.0
  assert params["zoom"].min() >= 0.9 and params["zoom"].max() <= 1.1
  assert np.abs(params["shift"]).max() <= 0.1
  # The bounds are reached, so the draw is not accidentally narrower ...
  assert np.abs(params["rotation_degrees"]).max() > 9.9
  assert params["zoom"].min() < 0.901 and params["zoom"].max() > 1.099
  # ... zoom is drawn per axis, as ImageDataGenerator does ...
  assert np.abs(params["zoom"][:, 0] - params["zoom"][:, 1]).max() > 0.1
  # ... and about half the images are flipped.
  assert 0.45 < params["flip"].mean() < 0.55


def test_rotation_of_the_image_is_the_sampled_angle():
  layer = ap.make_augmenter(zoom=0, translate=0, horizontal_flip=False)
  bar = np.zeros((SIDE, SIDE), np.float32)
  bar[30:34, 8:56] = 1.0
  seed = tf.constant([5, 7])
  out = layer.augment(_batch(bar, 64), seed).numpy()
  sampled = layer.sample_parameters(64, seed)["rotation_degrees"].numpy()
  _, _, angle, _, _ = _moments(out)
  np.testing.assert_allclose(angle, sampled, atol=0.7)
  assert np.abs(angle).max() < 10.5


def test_shift_moves_the_content_by_the_sampled_fraction():
  layer = ap.make_augmenter(rotation_degrees=0, zoom=0, horizontal_flip=False)
  blob = np.zeros((SIDE, SIDE), np.float32)
  blob[28:36, 28:36] = 1.0
  seed = tf.constant([3, 4])
  out = layer.augment(_batch(blob, 64), seed).numpy()
  shift = layer.sample_parameters(64, seed)["shift"].numpy()
  cx, cy, _, _, _ = _moments(out)
  center = (SIDE - 1) / 2
  # The output reads the input shifted by +shift: the content moves by -shift.
  np.testing.assert_allclose(cx - center, -shift[:, 0] * SIDE, atol=0.3)
  np.testing.assert_allclose(cy - center, -shift[:, 1] * SIDE, atol=0.3)
  assert np.abs(np.stack([cx, cy]) - center).max() <= 0.1 * SIDE + 0.3


def test_zoom_scales_each_axis_by_the_sampled_factor():
  layer = ap.make_augmenter(rotation_degrees=0, translate=0,
                            horizontal_flip=False)
  square = np.zeros((SIDE, SIDE), np.float32)
  square[16:48, 16:48] = 1.0
  seed = tf.constant([9, 9])
  out = layer.augment(_batch(square, 64), seed).numpy()
  zoom = layer.sample_parameters(64, seed)["zoom"].numpy()
  _, _, _, mxx, myy = _moments(out)
  _, _, _, mxx0, myy0 = _moments(square[None, :, :, None])
  # A factor z samples z times the area per axis: the content's spread
  # (standard deviation) shrinks by 1/z.
  np.testing.assert_allclose(np.sqrt(mxx / mxx0), 1 / zoom[:, 0], rtol=0.02)
  np.testing.assert_allclose(np.sqrt(myy / myy0), 1 / zoom[:, 1], rtol=0.02)


def test_never_flips_vertically_and_flips_horizontally_when_drawn():
  layer = ap.make_augmenter(seed=11)
  # Bright top-left quadrant: a vertical flip would move it to the bottom.
  image = np.zeros((SIDE, SIDE), np.float32)
  image[:SIDE // 2, :SIDE // 2] = 1.0
  out = layer(_batch(image, 256)).numpy()[..., 0]
  top, bottom = out[:, :SIDE // 4].mean(axis=(1, 2)), out[:, -SIDE // 4:].mean(
      axis=(1, 2))
  assert (top > 0.3).all() and (bottom < 0.1).all()
  left = out[:, :, :SIDE // 4].mean(axis=(1, 2))
  right = out[:, :, -SIDE // 4:].mean(axis=(1, 2))
  flipped = right > left
  assert 0.3 < flipped.mean() < 0.7


def test_flip_follows_the_sampled_flag():
  layer = ap.make_augmenter(rotation_degrees=0, zoom=0, translate=0)
  image = np.zeros((SIDE, SIDE), np.float32)
  image[:, :8] = 1.0
  seed = tf.constant([0, 1])
  out = layer.augment(_batch(image, 32), seed).numpy()
  flip = layer.sample_parameters(32, seed)["flip"].numpy()
  np.testing.assert_array_equal(out[flip], _batch(image[:, ::-1], 32)[flip])
  np.testing.assert_array_equal(out[~flip], _batch(image, 32)[~flip])


def test_identity_in_eval_mode():
  images = np.random.default_rng(0).random((8, 28, 28, 1), np.float32)
  layer = ap.make_augmenter(seed=0)
  np.testing.assert_array_equal(layer(images, training=False), images)
  model = keras.Sequential([keras.Input((28, 28, 1)), layer])
  np.testing.assert_array_equal(model(images, training=False), images)
  np.testing.assert_array_equal(model.predict(images, verbose=0), images)
  assert not np.allclose(model(images, training=True), images)


def test_same_seed_replays_each_call_and_calls_differ():
  images = np.random.default_rng(0).random((16, 28, 28, 1), np.float32)
  first, second = ap.make_augmenter(seed=4), ap.make_augmenter(seed=4)
  a1, a2 = first(images).numpy(), first(images).numpy()
  np.testing.assert_array_equal(second(images), a1)
  np.testing.assert_array_equal(second(images), a2)
  assert not np.allclose(a1, a2)
  assert not np.allclose(ap.make_augmenter(seed=5)(images), a1)


def test_works_inside_tf_function_and_dataset_map():
  images = np.random.default_rng(0).random((64, 28, 28, 1), np.float32)
  layer = ap.make_augmenter(seed=2)
  compiled = tf.function(lambda x: layer(x, training=True))
  np.testing.assert_array_equal(compiled(images[:8]).shape, (8, 28, 28, 1))
  assert not np.allclose(compiled(images[:8]), compiled(images[:8]))

  batches = tf.data.Dataset.from_tensor_slices(images).batch(16).map(layer)
  out = np.concatenate(list(batches.as_numpy_iterator()))
  assert out.shape == images.shape and out.dtype == np.float32
  assert 0.0 <= out.min() and out.max() <= 1.0
  assert not np.allclose(out, images)
  # Single images too: the layer accepts [h, w, c].
  single = tf.data.Dataset.from_tensor_slices(images).map(layer)
  assert next(iter(single)).shape == (28, 28, 1)


def test_config_round_trip_and_saving():
  layer = ap.make_augmenter(rotation_degrees=5, zoom=0.2, translate=0.05,
                            horizontal_flip=False, seed=3)
  clone = keras.layers.deserialize(keras.layers.serialize(layer))
  assert isinstance(clone, ap.RandomAffine)
  for key in ("rotation_degrees", "zoom", "translate", "horizontal_flip",
              "seed"):
    assert clone.get_config()[key] == layer.get_config()[key]


def test_keras_chain_uses_turn_fractions_and_horizontal_flips():
  chain = ap.make_augmenter(seed=0, fused=False)
  by_type = {type(l).__name__: l.get_config() for l in chain.layers}
  assert by_type["RandomRotation"]["factor"] in (10 / 360, (-10 / 360,
                                                             10 / 360))
  assert by_type["RandomFlip"]["mode"] == "horizontal"
  assert by_type["RandomZoom"]["fill_mode"] == "nearest"
  images = np.random.default_rng(0).random((4, 28, 28, 1), np.float32)
  assert chain(images, training=True).shape == images.shape
  np.testing.assert_array_equal(chain(images, training=False), images)


@pytest.mark.parametrize("kwargs", [dict(rotation_degrees=-1),
                                    dict(zoom=1.5), dict(translate=-0.1)])
def test_bad_arguments_are_rejected(kwargs):
  with pytest.raises(ValueError, match=next(iter(kwargs))):
    ap.make_augmenter(**kwargs)


def test_a_model_holding_the_augmenter_says_xla_cannot_compile_it():
  model = keras.Sequential([keras.Input((12, 12, 1)),
                            ap.make_augmenter(seed=0),
                            keras.layers.Flatten(), keras.layers.Dense(2)])
  # What Keras checks before `fit(jit_compile="auto")` XLA-compiles a model
  # (on machines with an accelerator).
  assert not all(layer.supports_jit for layer in model._flatten_layers())  # pylint: disable=protected-access
  model.compile(loss=keras.losses.SparseCategoricalCrossentropy(
      from_logits=True))
  history = model.fit(np.zeros((4, 12, 12, 1), np.float32), np.zeros(4),
                      epochs=1, verbose=0)
  assert np.isfinite(history.history["loss"][0])


class _Recorder(keras.layers.Layer):
  """Keeps the last batch it saw, to show what the model was fed."""

  def build(self, input_shape):
    self.seen = self.add_weight(shape=(8, *input_shape[1:]), initializer="zeros",
                                trainable=False, name="seen")

  def call(self, inputs):
    self.seen.assign(inputs)
    return inputs


def test_with_augmentation_augments_in_fit_only():
  rng = np.random.default_rng(0)
  images = rng.random((8, 28, 28, 1), np.float32)
  labels = np.arange(8) % 3
  recorder = _Recorder()
  model = keras.Sequential([keras.Input((28, 28, 1)), recorder,
                            keras.layers.Flatten(), keras.layers.Dense(3)])
  augmented = ap.with_augmentation(model, seed=0)
  assert augmented.input_shape == (None, 28, 28, 1)
  # model.fit(jit_compile="auto") must not try XLA on the augmenter.
  assert not keras.src.trainers.trainer.model_supports_jit(augmented)
  augmented.compile("sgd", keras.losses.SparseCategoricalCrossentropy(
      from_logits=True))
  augmented.fit(images, labels, batch_size=8, epochs=1, shuffle=False,
                verbose=0)
  assert not np.allclose(recorder.seen.numpy(), images, atol=1e-3)
  augmented.evaluate(images, labels, batch_size=8, verbose=0)
  np.testing.assert_allclose(recorder.seen.numpy(), images)
  augmented.predict(images, batch_size=8, verbose=0)
  np.testing.assert_allclose(recorder.seen.numpy(), images)


def test_with_augmentation_takes_a_layer_or_its_arguments():
  model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten()])
  chain = ap.make_augmenter(fused=False)
  assert ap.with_augmentation(model, chain).layers[0] is chain
  with pytest.raises(ValueError, match="not both"):
    ap.with_augmentation(model, chain, seed=1)
