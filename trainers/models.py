"""Model registry and the Sign Language MNIST seed models.

Every model takes float images in [0, 1], NHWC, and returns class
probabilities (a float32 softmax, so that it stays exact under a
mixed-precision policy). Another module adds its own models with the
`register` decorator:

  @models.register("my_net")
  def my_net(*, input_shape, num_classes, width=64):
    ...

and `build_model("my_net", input_shape=..., num_classes=..., width=32)` builds
it, rejecting options the builder does not take with a message that lists the
ones it does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import inspect
from typing import Any

import keras
import tensorflow as tf

ModelBuilder = Callable[..., keras.Model]

_REGISTRY: dict[str, ModelBuilder] = {}

# The Sign Language MNIST models, in the order the `--model` flag lists them.
MODEL_NAMES = ("dli_cnn", "lenet5", "alexnet_lrn", "mlp")


def register(name: str) -> Callable[[ModelBuilder], ModelBuilder]:
  """Registers a model builder under `name`.

  Args:
    name: The name `build_model` and the `--model` flags use.

  Returns:
    A decorator that records the builder and returns it unchanged. The
    builder takes keyword-only `input_shape`, `num_classes` and its own
    options, and returns an unbuilt-or-built `keras.Model`.

  Raises:
    ValueError: if another builder already has this name.
  """

  def decorator(builder: ModelBuilder) -> ModelBuilder:
    if name in _REGISTRY and _REGISTRY[name] is not builder:
      raise ValueError(f"A model named {name!r} is already registered "
                       f"(by {_REGISTRY[name].__module__}); pick another name.")
    _REGISTRY[name] = builder
    return builder

  return decorator


def registered_names() -> tuple[str, ...]:
  """Every registered model name, sorted."""
  return tuple(sorted(_REGISTRY))


def model_options(name: str) -> tuple[str, ...]:
  """The extra keyword options the model `name` accepts.

  Args:
    name: A registered model name.

  Returns:
    The option names, excluding `input_shape` and `num_classes`.
  """
  params = inspect.signature(_builder(name)).parameters
  return tuple(p for p in params if p not in ("input_shape", "num_classes"))


def build_model(name: str, *, input_shape: Sequence[int], num_classes: int,
                **options: Any) -> keras.Model:
  """Builds a registered model.

  Args:
    name: A registered model name, e.g. `dli_cnn`.
    input_shape: Image shape (height, width, channels).
    num_classes: Size of the softmax output.
    **options: Model-specific options, e.g. `activation="relu"`.

  Returns:
    A built `keras.Model` mapping [0, 1] images to class probabilities.

  Raises:
    ValueError: for an unknown name, an option the model does not take, or
      a bad shape or class count.
  """
  builder = _builder(name)
  if len(input_shape) != 3 or any(int(d) < 1 for d in input_shape):
    raise ValueError(f"input_shape must be (height, width, channels) with "
                     f"positive sizes, got {tuple(input_shape)}")
  if num_classes < 2:
    raise ValueError(f"num_classes must be at least 2, got {num_classes}")
  unknown = sorted(set(options) - set(model_options(name)))
  if unknown:
    raise ValueError(f"Model {name!r} takes no option(s) {unknown}; it takes "
                     f"{list(model_options(name)) or 'none'}.")
  return builder(input_shape=tuple(int(d) for d in input_shape),
                 num_classes=int(num_classes), **options)


def _builder(name: str) -> ModelBuilder:
  try:
    return _REGISTRY[name]
  except KeyError:
    raise ValueError(f"Unknown model {name!r}; choose one of "
                     f"{list(registered_names())}.") from None


def classifier_head(num_classes: int) -> keras.layers.Layer:
  """The softmax output layer every model ends with.

  Args:
    num_classes: Number of classes.

  Returns:
    A Dense softmax layer computing in float32, because a float16 softmax
    under mixed precision loses the small probabilities the loss needs.
  """
  return keras.layers.Dense(num_classes, activation="softmax",
                            dtype="float32", name="probabilities")


@keras.saving.register_keras_serializable(package="trainers")
class LocalResponseNormalization(keras.layers.Layer):
  """`tf.nn.local_response_normalization` as a saveable Keras layer.

  Args:
    depth_radius: Half-width of the normalization window over channels.
    bias: Offset added to the windowed sum of squares.
    alpha: Scale of the windowed sum of squares.
    beta: Exponent.
    **kwargs: Standard layer arguments (name, dtype).
  """

  def __init__(self, depth_radius: int = 2, bias: float = 1.0,
               alpha: float = 1e-4, beta: float = 0.75, **kwargs):
    super().__init__(**kwargs)
    self.depth_radius = depth_radius
    self.bias = bias
    self.alpha = alpha
    self.beta = beta

  def call(self, inputs):
    # The op has no float16 kernel on every device, and its sum of squares
    # overflows float16 easily, so it always runs in float32.
    outputs = tf.nn.local_response_normalization(
        tf.cast(inputs, tf.float32), depth_radius=self.depth_radius,
        bias=self.bias, alpha=self.alpha, beta=self.beta)
    return tf.cast(outputs, inputs.dtype)

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    return {**super().get_config(), "depth_radius": self.depth_radius,
            "bias": self.bias, "alpha": self.alpha, "beta": self.beta}


@register("dli_cnn")
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
      classifier_head(num_classes),
  ], name="dli_cnn")


@register("lenet5")
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
      classifier_head(num_classes),
  ], name="lenet5")


@register("alexnet_lrn")
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
      LocalResponseNormalization(name="lrn1"),
      layers.MaxPool2D(3, strides=2, padding="same", name="pool1"),
      layers.Conv2D(scaled(256), 5, padding="same", activation="relu",
                    name="conv2"),
      LocalResponseNormalization(name="lrn2"),
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
      classifier_head(num_classes),
  ], name="alexnet_lrn")


@register("mlp")
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
      classifier_head(num_classes),
  ], name="mlp")


# The cats/dogs models register themselves on import; importing them here
# makes every model known wherever `build_model` is (configs, tools, resume).
from trainers import cats_dogs_models  # pylint: disable=g-import-not-at-top,unused-import,wrong-import-position
