"""The cats/dogs models (`photo_nets`): they train, and fine-tuning freezes
what it claims."""

from __future__ import annotations

import socket

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests import helpers
from trainers.models import photo_nets
from trainers import models

SHAPE = (32, 32, 3)  # ResNet50V2's smallest input.
SMALL_MODELS = ("perceptron", "mlp_sigmoid", "deep10", "simple_cnn")


def _batch(n=4, seed=0):
  images = tf.random.stateless_uniform((n,) + SHAPE, seed=(seed, 1))
  labels = tf.constant([i % 2 for i in range(n)], tf.int32)
  return images, labels


def _train_step(model, images, labels, learning_rate=0.05):
  """One SGD step in training mode; returns the loss before it."""
  step = helpers.make_train_step(
      model, keras.optimizers.SGD(learning_rate),
      keras.losses.SparseCategoricalCrossentropy())
  return float(step(images, labels))


def _snapshot(layer):
  return [np.array(v) for v in layer.weights]


def _changed(before, layer):
  return any(not np.array_equal(b, np.array(v))
             for b, v in zip(before, layer.weights))


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_small_models_are_registered_and_train(name):
  keras.utils.set_random_seed(0)
  model = models.build_model(name, input_shape=SHAPE, num_classes=2)
  images, labels = _batch()
  probs = model(images)
  np.testing.assert_allclose(tf.reduce_sum(probs, -1), 1.0, rtol=1e-5)
  before = [np.array(v) for v in model.trainable_variables]
  losses = [_train_step(model, images, labels) for _ in range(2)]
  assert all(np.isfinite(losses))
  assert all(not np.array_equal(b, np.array(v))
             for b, v in zip(before, model.trainable_variables))


def test_perceptron_is_one_dense_layer():
  model = models.build_model("perceptron", input_shape=SHAPE, num_classes=2)
  dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)]
  assert len(dense) == 1
  assert model.count_params() == np.prod(SHAPE) * 2 + 2


@pytest.mark.parametrize("activation", photo_nets.DEEP10_ACTIVATIONS)
def test_deep10_has_ten_dense_layers(activation):
  model = models.build_model("deep10", input_shape=SHAPE, num_classes=2,
                             activation=activation)
  dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)]
  assert len(dense) == 10
  assert {l.activation.__name__ for l in dense[:-1]} == {activation}


def _first_to_last_gradient_ratio(activation):
  keras.utils.set_random_seed(1)
  model = models.build_model("deep10", input_shape=SHAPE, num_classes=2,
                             activation=activation)
  images, labels = _batch(16, seed=2)
  with tf.GradientTape() as tape:
    loss = keras.losses.SparseCategoricalCrossentropy()(labels, model(images))
  first, last = (model.get_layer(n).kernel for n in ("dense1", "dense9"))
  g_first, g_last = tape.gradient(loss, [first, last])
  return float(tf.norm(g_first) / tf.norm(g_last))


def test_deep10_sigmoid_gradients_vanish_relu_do_not():
  sigmoid = _first_to_last_gradient_ratio("sigmoid")
  relu = _first_to_last_gradient_ratio("relu")
  assert sigmoid < 0.01 * relu
  assert relu > 0.05


def test_deep10_rejects_other_activations():
  with pytest.raises(ValueError, match="sigmoid"):
    models.build_model("deep10", input_shape=SHAPE, num_classes=2,
                       activation="tanh")


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
  """A ResNet50V2 no-top weights file with recognisable (seeded) values."""
  keras.utils.set_random_seed(7)
  base = keras.applications.ResNet50V2(include_top=False, weights=None,
                                       input_shape=SHAPE, pooling="avg")
  path = tmp_path_factory.mktemp("weights") / "resnet.weights.h5"
  base.save_weights(path)
  return str(path), np.array(base.get_layer("conv1_conv").kernel)


def _resnet(finetune, weights):
  return models.build_model("resnet", input_shape=SHAPE, num_classes=2,
                            finetune=finetune, weights=weights)


def _trainable_base_layers(model):
  base = model.get_layer(photo_nets.BASE_NAME)
  return {l.name for l in base.layers if l.weights and l.trainable}


def _base_layers_with_weights(model):
  base = model.get_layer(photo_nets.BASE_NAME)
  return {l.name for l in base.layers if l.weights}


def test_resnet_scratch_and_full_train_every_layer(weights_file):
  path, conv1 = weights_file
  for finetune, weights in (("scratch", "none"), ("full", path)):
    model = _resnet(finetune, weights)
    assert _trainable_base_layers(model) == _base_layers_with_weights(model)
    assert len(model.trainable_weights) == len(model.weights) - len(
        model.non_trainable_weights)
  # `full` started from the file's values; `scratch` from random ones.
  np.testing.assert_array_equal(
      model.get_layer(photo_nets.BASE_NAME).get_layer(
          "conv1_conv").kernel, conv1)


def test_resnet_partial_trains_only_the_last_stage_and_head(weights_file):
  model = _resnet("partial", weights_file[0])
  expected = {n for n in _base_layers_with_weights(model)
              if n.startswith(("conv5_", "post_"))}
  assert expected and _trainable_base_layers(model) == expected
  base = model.get_layer(photo_nets.BASE_NAME)
  frozen, tuned = base.get_layer("conv4_block6_2_bn"), base.get_layer(
      "conv5_block3_3_conv")
  head = model.get_layer("probabilities")
  snapshots = [_snapshot(l) for l in (frozen, tuned, head)]
  _train_step(model, *_batch())
  # Frozen batch norms keep even their moving statistics.
  assert not _changed(snapshots[0], frozen)
  assert _changed(snapshots[1], tuned) and _changed(snapshots[2], head)


def test_resnet_head_trains_only_the_head(weights_file):
  model = _resnet("head", weights_file[0])
  assert not _trainable_base_layers(model)
  assert {v.path.split("/")[0] for v in model.trainable_weights} == {
      "probabilities"}
  base = model.get_layer(photo_nets.BASE_NAME)
  before = [np.array(v) for v in base.weights]
  _train_step(model, *_batch())
  assert all(np.array_equal(b, np.array(v))
             for b, v in zip(before, base.weights))


@pytest.mark.parametrize("finetune,weights,match", [
    ("scratch", "imagenet", "random weights"),
    ("head", "none", "pretrained"),
    ("partial", "none", "pretrained"),
    ("sideways", "none", "finetune must be one of"),
])
def test_resnet_rejects_contradictory_options(finetune, weights, match):
  with pytest.raises(ValueError, match=match):
    _resnet(finetune, weights)


def test_resnet_missing_weights_file_is_named(tmp_path):
  with pytest.raises(FileNotFoundError, match="nope.h5"):
    _resnet("full", str(tmp_path / "nope.h5"))


def test_resnet_imagenet_offline_fails_at_once_saying_what_to_do(
    tmp_path, monkeypatch):
  monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # Nothing cached.

  def unreachable(*args, **kwargs):
    raise OSError("network is unreachable")

  monkeypatch.setattr(socket, "create_connection", unreachable)
  with pytest.raises(RuntimeError, match=r"weights=/path/to/resnet50v2"):
    _resnet("full", "imagenet")
