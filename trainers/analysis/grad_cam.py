"""Class activation maps (Grad-CAM): where in an image a class's evidence is.

Grad-CAM (Selvaraju et al., 2017) weights a conv layer's output by the
gradient of the class score (the logit) and keeps the positive part of the
channel sum: a coarse map, at the conv layer's resolution, of the pixels
that raised the class. The gradient is taken position by position
(HiResCAM), which equals Grad-CAM for a globally pooled head and stays
faithful for a flatten head.

Models are walked layer by layer at the top level, so a nested model (the
ResNet inside the photo models) is entered to reach its conv layers.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


class NoConvLayerError(ValueError):
  """A model without a conv layer: it has no class activation map."""


def _conv_layers(model: keras.Model) -> list[tuple[keras.layers.Layer, str]]:
  """Every Conv2D layer, nested models entered, as (layer, top-level name)."""
  found = []
  for top in model.layers:
    if isinstance(top, keras.layers.Conv2D):
      found.append((top, top.name))
    elif isinstance(top, keras.Model):
      found += [(l, top.name) for l, _ in _conv_layers(top)]
  return found


def conv_layer_names(model: keras.Model) -> list[str]:
  """The names of the model's Conv2D layers (nested ones too), in order."""
  return [l.name for l, _ in _conv_layers(model)]


def _target(model: keras.Model, layer: str | None):
  """The conv layer to map and the top-level layer that holds it."""
  found = _conv_layers(model)
  if not found:
    raise NoConvLayerError(
        f"model {model.name!r} has no conv layer, so it has no class "
        "activation map (Grad-CAM needs a layer that keeps the image's "
        "layout).")
  if layer is None:
    return found[-1]
  for conv, holder in found:
    if conv.name == layer:
      return conv, holder
  names = ", ".join(l.name for l, _ in found)
  raise ValueError(f"no conv layer named {layer!r} in model {model.name!r}; "
                   f"its conv layers: {names}")


def _is_softmax_head(layer) -> bool:
  return (isinstance(layer, keras.layers.Dense)
          and layer.activation is keras.activations.softmax)


def _forward(model: keras.Model, image: tf.Tensor, conv, holder: str):
  """Runs the model: (target conv output, class scores, probabilities).

  The scores are the softmax head's logits, as Grad-CAM defines them: the
  probability's gradient also holds the evidence against the other
  classes, which would mark where their cues are missing.
  """
  x, conv_out = image, None
  layers = [l for l in model.layers
            if not isinstance(l, keras.layers.InputLayer)]
  for i, top in enumerate(layers):
    if i == len(layers) - 1 and _is_softmax_head(top):
      logits = tf.matmul(tf.cast(x, tf.float32), top.kernel) + top.bias
      return conv_out, logits, tf.nn.softmax(logits)
    if top.name != holder:
      x = top(x, training=False)
    elif top is conv:
      x = conv_out = top(x, training=False)
    else:
      # One sub-model with two outputs computes the conv output once, on
      # the path to the holder's output, so the gradient flows through it.
      probe = keras.Model(top.inputs, [conv.output, top.output])
      conv_out, x = probe(x, training=False)
  return conv_out, tf.math.log(x + 1e-12), x


def grad_cam(model: keras.Model, image: tf.Tensor, class_index: int | None =
             None, layer: str | None = None) -> tuple[np.ndarray, int, float]:
  """The class activation map of one image.

  Args:
    model: A classifier with a Conv2D layer (nested models entered). Its top
      level must be a chain of layers, as every built-in model is.
    image: [1, H, W, C] model input.
    class_index: The class to explain; None for the predicted one.
    layer: The conv layer's name; None for the last conv layer.

  Returns:
    `(map, class index, probability)`: the map is float32 [h, w] in [0, 1]
    at the conv layer's resolution (all zero if nothing raised the class).

  Raises:
    NoConvLayerError: The model has no conv layer.
    ValueError: No conv layer is named `layer`.
  """
  conv, holder = _target(model, layer)
  image = tf.convert_to_tensor(image, tf.float32)
  with tf.GradientTape() as tape:
    conv_out, scores, probabilities = _forward(model, image, conv, holder)
    if class_index is None:
      class_index = int(tf.argmax(probabilities[0]))
    score = scores[0, class_index]
  grads = tape.gradient(score, conv_out)[0]
  # Gradient times activation, summed over channels (HiResCAM): equal to
  # Grad-CAM after global pooling, and faithful after a flatten head too,
  # where the gradient's spatial mean mixes evidence from all positions.
  cam = tf.nn.relu(tf.reduce_sum(conv_out[0] * grads, axis=-1)).numpy()
  top = cam.max()
  cam = cam / top if top > 0 else cam
  return (cam.astype(np.float32), class_index,
          float(probabilities[0, class_index]))


def upsample(cam: np.ndarray, height: int, width: int) -> np.ndarray:
  """The map resized (bilinear) to an image's size, float32 [height, width]."""
  resized = tf.image.resize(cam[..., np.newaxis], (height, width),
                            method="bilinear")
  return np.clip(resized.numpy()[..., 0], 0.0, 1.0)


def overlay(image: np.ndarray, cam: np.ndarray,
            alpha: float = 0.45) -> np.ndarray:
  """The map as a heat colour over an image, both at the image's size.

  Args:
    image: [H, W, C] (C 1 to 4) uint8, or float in [0, 1].
    cam: [h, w] map in [0, 1], resized here to the image.
    alpha: The heat colour's weight.

  Returns:
    uint8 [H, W, 3].
  """
  # pylint: disable=g-import-not-at-top
  from matplotlib import colormaps
  # pylint: enable=g-import-not-at-top
  image = np.asarray(image)
  if image.dtype == np.uint8:
    image = image.astype(np.float32) / 255.0
  rgb = image[..., :3] if image.shape[-1] >= 3 else np.repeat(
      image[..., :1], 3, axis=-1)
  heat = colormaps["jet"](upsample(cam, *rgb.shape[:2]))[..., :3]
  blended = (1 - alpha) * rgb + alpha * heat
  return np.round(np.clip(blended, 0, 1) * 255).astype(np.uint8)
