"""The cats/dogs models, from a single perceptron to a fine-tuned ResNet.

The `--model` choices of `trainers.cats_dogs`:

- `perceptron`: one Dense softmax layer on the flattened pixels.
- `mlp_sigmoid`: a multilayer perceptron with sigmoid hidden layers.
- `deep10`: ten Dense layers (nine hidden, `activation` sigmoid or relu), to
  make vanishing gradients visible in the sigmoid variant.
- `simple_cnn`: four conv/max-pool stages and a dense layer.
- `resnet`: ResNet50V2 with `weights` none|imagenet|PATH and `finetune`
  scratch|full|partial|head.

Every model takes float images in [0, 1] and returns class probabilities.
"""

from __future__ import annotations

import os
import socket

from absl import logging
import keras

from trainers.command_line.config import DEEP10_ACTIVATIONS
from trainers.command_line.config import FINETUNE_STRATEGIES
from trainers.models import layers as layers_lib

# Keras's file name for the ImageNet ResNet50V2 weights without the top.
IMAGENET_FILE = "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5"
_IMAGENET_HOST = ("storage.googleapis.com", 443)
# `partial` trains the last stage: layer-name prefixes of ResNet50V2's
# conv5 blocks and its final batch norm.
PARTIAL_TRAINABLE_PREFIXES = ("conv5_", "post_")
BASE_NAME = "resnet50v2"


def perceptron(*, input_shape, num_classes) -> keras.Model:
  """A single-layer perceptron: flattened pixels straight to the softmax."""
  return keras.Sequential([
      keras.Input(shape=input_shape, name="image"),
      keras.layers.Flatten(name="flatten"),
      layers_lib.classifier_head(num_classes),
  ], name="perceptron")


def mlp_sigmoid(*, input_shape, num_classes,
                hidden_units=(256, 128)) -> keras.Model:
  """A multilayer perceptron with sigmoid hidden layers, as in the course."""
  hidden = [keras.layers.Dense(int(units), activation="sigmoid",
                               name=f"dense{i}")
            for i, units in enumerate(hidden_units, start=1)]
  return keras.Sequential([
      keras.Input(shape=input_shape, name="image"),
      keras.layers.Flatten(name="flatten"),
      *hidden,
      layers_lib.classifier_head(num_classes),
  ], name="mlp_sigmoid")


def deep10(*, input_shape, num_classes, activation="sigmoid",
           units=64) -> keras.Model:
  """Ten Dense layers: nine hidden ones of `units`, then the softmax.

  With sigmoid the gradients reaching the first layers shrink by up to 4x
  per layer (the sigmoid's slope is at most 1/4), so they barely learn; relu
  (with He initialization, which keeps activations' variance) does not.
  """
  if activation not in DEEP10_ACTIVATIONS:
    raise ValueError(f"deep10 activation must be one of {DEEP10_ACTIVATIONS},"
                     f" got {activation!r}")
  initializer = "he_normal" if activation == "relu" else "glorot_uniform"
  hidden = [keras.layers.Dense(int(units), activation=activation,
                               kernel_initializer=initializer,
                               name=f"dense{i}") for i in range(1, 10)]
  return keras.Sequential([
      keras.Input(shape=input_shape, name="image"),
      keras.layers.Flatten(name="flatten"),
      *hidden,
      layers_lib.classifier_head(num_classes),
  ], name=f"deep10_{activation}")


def simple_cnn(*, input_shape, num_classes, filters=(32, 64, 128, 128),
               dense_units=256, dropout=0.3) -> keras.Model:
  """Conv-ReLU-max-pool stages, then a dropout-regularized dense layer."""
  layers = keras.layers
  stages = []
  for i, n in enumerate(filters, start=1):
    stages += [layers.Conv2D(int(n), 3, padding="same", activation="relu",
                             name=f"conv{i}"),
               layers.MaxPool2D(2, name=f"pool{i}")]
  return keras.Sequential([
      keras.Input(shape=input_shape, name="image"),
      *stages,
      layers.Flatten(name="flatten"),
      layers.Dropout(dropout, name="dropout1"),
      layers.Dense(int(dense_units), activation="relu", name="dense"),
      layers.Dropout(dropout, name="dropout2"),
      layers_lib.classifier_head(num_classes),
  ], name="simple_cnn")


def resnet(*, input_shape, num_classes, weights="none", finetune="scratch",
           dropout=0.2) -> keras.Model:
  """ResNet50V2 (no top) with a new softmax head.

  Args:
    input_shape: (height, width, 3), at least 32x32.
    num_classes: Size of the softmax.
    weights: `none` (random), `imagenet` (Keras's download, or its cached
      copy), or the path of a ResNet50V2 no-top weights file.
    finetune: Which layers train. `scratch`: all, from random weights.
      `full`: all, from the given weights. `partial`: the last stage
      (`conv5_*` blocks and `post_bn`) and the head. `head`: the head only.
    dropout: Dropout before the head.

  Returns:
    The model; its ResNet is the layer named `resnet50v2`.

  Raises:
    ValueError: an unknown strategy, or weights that contradict it.
    FileNotFoundError: `weights` is a path that does not exist.
    RuntimeError: `imagenet` weights cannot be downloaded (offline).
  """
  if finetune not in FINETUNE_STRATEGIES:
    raise ValueError(f"finetune must be one of {FINETUNE_STRATEGIES}, got "
                     f"{finetune!r}")
  if finetune == "scratch" and weights != "none":
    raise ValueError(f"finetune=scratch trains from random weights, but "
                     f"weights={weights!r}; use finetune=full (or partial, "
                     "head) to start from those weights.")
  if finetune != "scratch" and weights == "none":
    raise ValueError(f"finetune={finetune} starts from pretrained weights; "
                     "pass weights=imagenet or weights=/path/to/" +
                     IMAGENET_FILE + ", or use finetune=scratch.")
  base = _resnet_base(input_shape, weights)
  _freeze(base, finetune)
  inputs = keras.Input(shape=input_shape, name="image")
  # ResNet50V2 was trained on inputs in [-1, 1] (its `preprocess_input`).
  x = keras.layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(inputs)
  # Frozen layers (batch norms included) run in inference mode; the
  # trainable ones follow the `training` argument of the call.
  x = base(x)
  x = keras.layers.Dropout(dropout, name="dropout")(x)
  outputs = layers_lib.classifier_head(num_classes)(x)
  return keras.Model(inputs, outputs, name=f"resnet_{finetune}")


def _resnet_base(input_shape, weights: str) -> keras.Model:
  """ResNet50V2 without top, global-average pooled, with `weights`."""
  if weights == "none":
    source = None
  elif weights == "imagenet":
    source = "imagenet"
    if not _imagenet_weights_available():
      raise RuntimeError(
          "weights=imagenet needs Keras to download " + IMAGENET_FILE +
          f" from {_IMAGENET_HOST[0]}, which cannot be reached (offline?). "
          "Download that file on a connected machine and pass its path: "
          "weights=/path/to/" + IMAGENET_FILE)
  else:
    if not os.path.isfile(weights):
      raise FileNotFoundError(
          f"weights={weights!r}: no such file. Pass none, imagenet, or the "
          "path of a ResNet50V2 no-top weights file such as " + IMAGENET_FILE)
    source = weights
  try:
    return keras.applications.ResNet50V2(
        include_top=False, weights=source, input_shape=tuple(input_shape),
        pooling="avg", name=BASE_NAME)
  except Exception as e:  # Keras raises a bare Exception on a failed fetch.
    if weights != "imagenet":
      raise
    raise RuntimeError(
        f"Downloading the ImageNet weights failed ({e}). Pass a local copy: "
        "weights=/path/to/" + IMAGENET_FILE) from e


def _imagenet_weights_available(timeout_s: float = 3.0) -> bool:
  """Whether Keras has the weights cached or can reach their host."""
  keras_home = os.environ.get("KERAS_HOME",
                              os.path.join(os.path.expanduser("~"), ".keras"))
  if os.path.isfile(os.path.join(keras_home, "models", IMAGENET_FILE)):
    return True
  try:
    socket.create_connection(_IMAGENET_HOST, timeout=timeout_s).close()
    return True
  except OSError:
    return False


def _freeze(base: keras.Model, finetune: str) -> None:
  """Sets which of the ResNet's layers train under `finetune`."""
  for layer in base.layers:
    if finetune in ("scratch", "full"):
      layer.trainable = True
    elif finetune == "partial":
      layer.trainable = layer.name.startswith(PARTIAL_TRAINABLE_PREFIXES)
    else:
      layer.trainable = False
  trainable = sum(1 for layer in base.layers
                  if layer.trainable and layer.weights)
  logging.info("resnet finetune=%s: %d of %d ResNet layers with weights train",
               finetune, trainable,
               sum(1 for layer in base.layers if layer.weights))


# The `--model` choices of `trainers.cats_dogs`, in the order its help lists
# them.
MODELS = {
    "perceptron": perceptron,
    "mlp_sigmoid": mlp_sigmoid,
    "deep10": deep10,
    "simple_cnn": simple_cnn,
    "resnet": resnet,
}
