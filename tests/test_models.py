"""Tests for the model registry and the Sign Language MNIST models."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from trainers import models
from trainers.models import letter_nets

ASL_SHAPE = (28, 28, 1)


def test_dli_cnn_is_the_course_network():
  model = models.build_model("dli_cnn", input_shape=ASL_SHAPE, num_classes=24)
  assert model.count_params() == 264_049
  kinds = [type(l).__name__ for l in model.layers]
  assert kinds == ["Conv2D", "BatchNormalization", "MaxPooling2D",
                   "Conv2D", "Dropout", "BatchNormalization", "MaxPooling2D",
                   "Conv2D", "BatchNormalization", "MaxPooling2D",
                   "Flatten", "Dense", "Dropout", "Dense"]
  assert [l.filters for l in model.layers
          if isinstance(l, keras.layers.Conv2D)] == [75, 50, 25]


@pytest.mark.parametrize("name", letter_nets.MODELS)
def test_models_output_probabilities(name):
  model = models.build_model(name, input_shape=ASL_SHAPE, num_classes=24)
  images = tf.random.stateless_uniform((3,) + ASL_SHAPE, seed=(1, 2))
  probs = model(images, training=False)
  assert probs.shape == (3, 24)
  assert probs.dtype == tf.float32
  np.testing.assert_allclose(tf.reduce_sum(probs, -1), 1.0, rtol=1e-5)
  # They are the model's answer for each image, not one fixed guess.
  assert not np.allclose(probs[0], probs[1], atol=1e-4)
  assert not np.allclose(probs[1], probs[2], atol=1e-4)


def test_outputs_stay_float32_under_mixed_precision():
  keras.config.set_dtype_policy("mixed_float16")
  try:
    model = models.build_model("dli_cnn", input_shape=ASL_SHAPE,
                               num_classes=24)
    assert model.get_layer("conv1").compute_dtype == "float16"
    assert model(tf.zeros((2,) + ASL_SHAPE)).dtype == tf.float32
  finally:
    keras.config.set_dtype_policy("float32")


def test_alexnet_lrn_matches_tf_nn_and_round_trips(tmp_path):
  model = models.build_model("alexnet_lrn", input_shape=ASL_SHAPE,
                             num_classes=24, width=0.125)
  lrn = model.get_layer("lrn1")
  x = tf.random.stateless_normal((2, 5, 5, 12), seed=(3, 4))
  np.testing.assert_allclose(
      lrn(x), tf.nn.local_response_normalization(x, 2, 1.0, 1e-4, 0.75),
      rtol=1e-6)
  images = tf.random.stateless_uniform((2,) + ASL_SHAPE, seed=(5, 6))
  model.save(tmp_path / "m.keras")
  loaded = keras.models.load_model(tmp_path / "m.keras")
  assert isinstance(loaded.get_layer("lrn1"),
                    models.LocalResponseNormalization)
  np.testing.assert_allclose(loaded(images), model(images), rtol=1e-5)


def test_options_reach_the_builder():
  small = models.build_model("mlp", input_shape=ASL_SHAPE, num_classes=5,
                             hidden_units=(7,), activation="sigmoid")
  dense = [l for l in small.layers if isinstance(l, keras.layers.Dense)]
  assert [l.units for l in dense] == [7, 5]
  assert dense[0].activation is keras.activations.sigmoid


def test_registering_a_model_makes_it_buildable(model_registry):
  @model_registry.register("test_tiny_linear")
  def tiny(*, input_shape, num_classes, scale=1):
    return keras.Sequential([keras.Input(input_shape), keras.layers.Flatten(),
                             keras.layers.Dense(num_classes * scale),
                             models.classifier_head(num_classes)])

  assert "test_tiny_linear" in models.registered_names()
  assert models.model_options("test_tiny_linear") == ("scale",)
  model = models.build_model("test_tiny_linear", input_shape=(4, 4, 3),
                             num_classes=2, scale=3)
  assert model.output_shape == (None, 2)
  with pytest.raises(ValueError, match="already registered"):
    models.register("test_tiny_linear")(lambda **kw: None)


def test_errors_name_what_is_wrong():
  with pytest.raises(ValueError, match=r"Unknown model 'resnet9000'.*dli_cnn"):
    models.build_model("resnet9000", input_shape=ASL_SHAPE, num_classes=24)
  with pytest.raises(ValueError, match=r"no option\(s\) \['depth'\]"):
    models.build_model("dli_cnn", input_shape=ASL_SHAPE, num_classes=24,
                       depth=3)
  with pytest.raises(ValueError, match="num_classes"):
    models.build_model("dli_cnn", input_shape=ASL_SHAPE, num_classes=1)
