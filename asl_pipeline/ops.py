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


def _cover_scale(in_h, in_w, height: int, width: int):
  """The smallest scale at which an in_h x in_w image covers the target."""
  return tf.maximum(height / in_h, width / in_w)


def decode_jpeg_for_size(image_size: int | Sequence[int], channels: int,
                         key: str = "image") -> Op:
  """Decodes JPEG bytes at the coarsest DCT scale that still covers a size.

  libjpeg can decode at 1/2, 1/4 or 1/8 scale by dropping DCT
  coefficients: a proper low-pass, so later downscaling has less to do and
  aliases less, and the decoder does less work. A photo four times the
  target size is decoded at 1/2 scale, never below the target.

  Args:
    image_size: The size the image will be resized to, `(height, width)` or
      one int.
    channels: Channels to decode to (1 or 3).
    key: The key of the encoded bytes in the example.

  Returns:
    The op, producing a uint8 `[h, w, channels]` image at least as large as
    what `resize_short_side_and_center_crop(image_size)` needs.
  """
  height, width = image_size_hw(image_size)
  ratios = (1, 2, 4, 8)

  def apply(example: Example) -> Example:
    contents = example[key]
    shape = tf.cast(tf.image.extract_jpeg_shape(contents), tf.float32)
    # How many times larger than needed the image is; decoding at 1/r keeps
    # ceil(side / r) pixels, so r <= that factor still covers the target.
    slack = 1.0 / _cover_scale(shape[0], shape[1], height, width)
    branch = tf.reduce_sum(tf.cast(
        tf.constant(ratios[1:], tf.float32) <= slack, tf.int32))
    # decode_jpeg's ratio is a static attribute: one branch per ratio.
    image = tf.switch_case(branch, [
        lambda r=r: tf.io.decode_jpeg(contents, channels=channels, ratio=r)
        for r in ratios])
    return {**example, key: image}
  return apply


def resize_short_side_and_center_crop(image_size: int | Sequence[int],
                                      key: str = "image") -> Op:
  """Scales the image, keeping its aspect ratio, then crops the center.

  The scale is the smallest one at which the image covers `image_size`
  (for a square target: the short side becomes `image_size`), so nothing is
  stretched and the crop loses only the long side's margins. The center
  window is cut first and only it is resized, so no work goes into margins
  that are thrown away. The result stays uint8 so that a cache
  after this op holds small images.

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
    scale = _cover_scale(in_h, in_w, height, width)
    # The source window that maps onto the target, centered.
    crop_h = tf.clip_by_value(tf.cast(tf.round(height / scale), tf.int32), 1,
                              shape[0])
    crop_w = tf.clip_by_value(tf.cast(tf.round(width / scale), tf.int32), 1,
                              shape[1])
    top = (shape[0] - crop_h) // 2
    left = (shape[1] - crop_w) // 2
    window = image[top:top + crop_h, left:left + crop_w]
    # Bilinear sampling only aliases when shrinking by more than 2x; the
    # antialiasing filter costs ~3x more, so it runs only then (a JPEG
    # decoded at reduced scale has already been low-passed down to < 2x).
    resized = tf.cond(
        scale < 0.5,
        lambda: tf.image.resize(window, (height, width), antialias=True),
        lambda: tf.image.resize(window, (height, width)))
    # Round back to uint8: 4x less memory in cache and shuffle buffer.
    resized = tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)
    channels = image.shape[-1]
    return {**example,
            key: tf.ensure_shape(resized, (height, width, channels))}
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
