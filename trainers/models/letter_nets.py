"""The Sign Language MNIST models: the course CNN, LeNet-5, AlexNet, an MLP.

Every model takes float images in [0, 1], NHWC, and returns class
probabilities (a float32 softmax, so that it stays exact under a
mixed-precision policy).
"""

from __future__ import annotations

import keras

from trainers.models import layers as layers_lib


def dli_cnn(*, input_shape, num_classes) -> keras.Model:
  """The NVIDIA DLI course CNN: 264,049 parameters at 28x28x1, 24 classes."""
  layers = keras.layers
  return keras.Sequential([
      keras.Input(shape=input_shape, name="image"),
      layers.Conv2D(75, 3, padding="same", activation="relu", name="conv1"),
      layers.BatchNormalization(name="bn1"),
      layers.MaxPool2D(2, strides=2, padding="same", name="pool1"),
      layers.Conv2D(50, 3, padding="same", activation="relu", name="conv2"),
      layers.Dropout(0.2, name="dropout1"),
      layers.BatchNormalization(name="bn2"),
      layers.MaxPool2D(2, strides=2, padding="same", name="pool2"),
      layers.Conv2D(25, 3, padding="same", activation="relu", name="conv3"),
      layers.BatchNormalization(name="bn3"),
      layers.MaxPool2D(2, strides=2, padding="same", name="pool3"),
      layers.Flatten(name="flatten"),
      layers.Dense(512, activation="relu", name="dense"),
      layers.Dropout(0.3, name="dropout2"),
      layers_lib.classifier_head(num_classes),
  ], name="dli_cnn")


def lenet5(*, input_shape, num_classes, activation="tanh") -> keras.Model:
  """LeCun et al. (1998): two conv/avg-pool stages, then 120-84 dense."""
  layers = keras.layers
  return keras.Sequential([
      keras.Input(shape=input_shape, name="image"),
      # "same" on the first conv plays the part of the original 32x32 input.
      layers.Conv2D(6, 5, padding="same", activation=activation, name="conv1"),
      layers.AveragePooling2D(2, name="pool1"),
      layers.Conv2D(16, 5, activation=activation, name="conv2"),
      layers.AveragePooling2D(2, name="pool2"),
      layers.Flatten(name="flatten"),
      layers.Dense(120, activation=activation, name="dense1"),
      layers.Dense(84, activation=activation, name="dense2"),
      layers_lib.classifier_head(num_classes),
  ], name="lenet5")


def alexnet_lrn(*, input_shape, num_classes, width=0.5,
                dropout=0.5) -> keras.Model:
  """AlexNet's layout scaled to 28x28, with local response normalization.

  Five convolutions (the first two followed by LRN and overlapping 3x3/2
  max-pooling, as in Krizhevsky et al. 2012), then two dropout-regularized
  dense layers. The 11x11/4 first convolution becomes 5x5/1 because the
  input is 8x smaller; `width` scales every channel and unit count.
  """
  layers = keras.layers

  def scaled(n):
    return max(1, int(round(n * width)))

  return keras.Sequential([
      keras.Input(shape=input_shape, name="image"),
      layers.Conv2D(scaled(96), 5, padding="same", activation="relu",
                    name="conv1"),
      layers_lib.LocalResponseNormalization(name="lrn1"),
      layers.MaxPool2D(3, strides=2, padding="same", name="pool1"),
      layers.Conv2D(scaled(256), 5, padding="same", activation="relu",
                    name="conv2"),
      layers_lib.LocalResponseNormalization(name="lrn2"),
      layers.MaxPool2D(3, strides=2, padding="same", name="pool2"),
      layers.Conv2D(scaled(384), 3, padding="same", activation="relu",
                    name="conv3"),
      layers.Conv2D(scaled(384), 3, padding="same", activation="relu",
                    name="conv4"),
      layers.Conv2D(scaled(256), 3, padding="same", activation="relu",
                    name="conv5"),
      layers.MaxPool2D(3, strides=2, padding="same", name="pool3"),
      layers.Flatten(name="flatten"),
      layers.Dense(scaled(2048), activation="relu", name="dense1"),
      layers.Dropout(dropout, name="dropout1"),
      layers.Dense(scaled(2048), activation="relu", name="dense2"),
      layers.Dropout(dropout, name="dropout2"),
      layers_lib.classifier_head(num_classes),
  ], name="alexnet_lrn")


def mlp(*, input_shape, num_classes, hidden_units=(512, 512),
        activation="relu") -> keras.Model:
  """The dense baseline: flattened pixels through fully connected layers."""
  layers = keras.layers
  hidden = [layers.Dense(int(units), activation=activation, name=f"dense{i}")
            for i, units in enumerate(hidden_units, start=1)]
  return keras.Sequential([
      keras.Input(shape=input_shape, name="image"),
      layers.Flatten(name="flatten"),
      *hidden,
      layers_lib.classifier_head(num_classes),
  ], name="mlp")


# The `--model` choices of `trainers.asl`, in the order its help lists them.
MODELS = {
    "dli_cnn": dli_cnn,
    "lenet5": lenet5,
    "alexnet_lrn": alexnet_lrn,
    "mlp": mlp,
}
