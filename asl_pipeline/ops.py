"""Preprocessing ops: small factories that return pure dict -> dict functions.

In the manner of big_vision's `pp` ops, each factory takes its settings and
returns a function of one example dict (`{"image": ..., "label": ...}`), so
pipelines are a readable list of steps and every op can be tested alone.
All ops are TensorFlow graph code, safe inside `Dataset.map`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import numbers

import tensorflow as tf

Example = dict[str, tf.Tensor]
Op = Callable[[Example], Example]


def image_size_hw(image_size: int | Sequence[int]) -> tuple[int, int]:
  """Normalizes an `image_size` argument to `(height, width)`.

  Args:
    image_size: One int for square images, or `(height, width)`.

  Returns:
    `(height, width)`, both positive ints.

  Raises:
    ValueError: anything else.
  """
  size = ((image_size, image_size)
          if isinstance(image_size, numbers.Integral) else image_size)
  try:
    height, width = size
  except (TypeError, ValueError):
    height = width = None
  if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
             and s > 0 for s in (height, width)):
    raise ValueError(f"image_size must be a positive int or (height, width) "
                     f"of positive ints, got {image_size!r}.")
  return int(height), int(width)


def compose(*ops: Op) -> Op:
  """One op that applies `ops` left to right (one `Dataset.map` call)."""
  def apply(example: Example) -> Example:
    for op in ops:
      example = op(example)
    return example
  return apply


def resize_short_side_and_center_crop(image_size: int | Sequence[int],
                                      key: str = "image") -> Op:
  """Scales the image, keeping its aspect ratio, then crops the center.

  The scale is the smallest one at which the image covers `image_size`
  (for a square target: the short side becomes `image_size`), so nothing is
  stretched and the crop loses only the long side's margins. The result
  stays uint8 so that a cache after this op holds small images.

  Args:
    image_size: Target side, or `(height, width)`.
    key: The image's key in the example.

  Returns:
    The op, producing a uint8 `[height, width, channels]` image.
  """
  height, width = image_size_hw(image_size)

  def apply(example: Example) -> Example:
    image = example[key]
    shape = tf.shape(image)
    in_h = tf.cast(shape[0], tf.float32)
    in_w = tf.cast(shape[1], tf.float32)
    scale = tf.maximum(height / in_h, width / in_w)
    # ceil keeps the scaled image at least as large as the crop.
    new_h = tf.maximum(height, tf.cast(tf.math.ceil(in_h * scale), tf.int32))
    new_w = tf.maximum(width, tf.cast(tf.math.ceil(in_w * scale), tf.int32))
    resized = tf.image.resize(image, (new_h, new_w), antialias=True)
    top = (new_h - height) // 2
    left = (new_w - width) // 2
    cropped = resized[top:top + height, left:left + width]
    # Round back to uint8: 4x less memory in cache and shuffle buffer.
    cropped = tf.cast(tf.clip_by_value(tf.round(cropped), 0, 255), tf.uint8)
    channels = image.shape[-1]
    return {**example,
            key: tf.ensure_shape(cropped, (height, width, channels))}
  return apply


def ensure_static_shape(shape: Sequence[int | None], key: str = "image") -> Op:
  """Declares the image's shape so that batches get a static shape."""
  def apply(example: Example) -> Example:
    return {**example, key: tf.ensure_shape(example[key], shape)}
  return apply


def cast_label(dtype: tf.DType = tf.int32, key: str = "label") -> Op:
  """Casts the label to `dtype` (int32: what Keras losses and GPUs prefer)."""
  def apply(example: Example) -> Example:
    return {**example, key: tf.cast(example[key], dtype)}
  return apply


def normalize(images: tf.Tensor) -> tf.Tensor:
  """uint8 images (any rank) -> float32 in [0, 1]."""
  return tf.cast(images, tf.float32) * (1.0 / 255.0)


def to_tuple(image_key: str = "image", label_key: str = "label"
             ) -> Callable[[Example], tuple[tf.Tensor, tf.Tensor]]:
  """Example dict -> `(image, label)`, the form `model.fit` unpacks."""
  def apply(example: Example) -> tuple[tf.Tensor, tf.Tensor]:
    return example[image_key], example[label_key]
  return apply
