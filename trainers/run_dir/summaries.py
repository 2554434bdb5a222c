"""TensorBoard scalars and images written with TensorFlow alone.

`tf.summary.scalar` and `tf.summary.image` live in the `tensorboard` package,
which TensorFlow no longer depends on; without it they raise. The event
format itself is TensorFlow's: `tf.summary.write` plus the plugin name that
TensorBoard's scalars and images dashboards look for is all they do, so the
files below read the same in TensorBoard.
"""

from __future__ import annotations

import tensorflow as tf


def _metadata(plugin: str) -> tf.compat.v1.SummaryMetadata:
  metadata = tf.compat.v1.SummaryMetadata()
  metadata.plugin_data.plugin_name = plugin
  return metadata


def scalar(name: str, value: float, step: int) -> None:
  """Writes one scalar to the default summary writer.

  Args:
    name: Tag, e.g. `loss`.
    value: The number.
    step: The x-axis value (the epoch, here).
  """
  tf.summary.write(name, tf.constant(value, tf.float32), step=step,
                   metadata=_metadata("scalars"))


def image(name: str, images: tf.Tensor, step: int) -> None:
  """Writes a batch of images to the default summary writer.

  Args:
    name: Tag, e.g. `augmented_inputs`.
    images: [N, H, W, C] float in [0, 1] with C in {1, 3, 4}.
    step: The x-axis value.
  """
  images = tf.convert_to_tensor(images)
  pixels = tf.image.convert_image_dtype(
      tf.clip_by_value(tf.cast(images, tf.float32), 0.0, 1.0), tf.uint8,
      saturate=True)
  height, width = images.shape[1], images.shape[2]
  # The images plugin's layout: width, height, then one PNG per image.
  tensor = tf.stack([tf.as_string(width), tf.as_string(height)] +
                    [tf.io.encode_png(p) for p in tf.unstack(pixels)])
  tf.summary.write(name, tensor, step=step, metadata=_metadata("images"))
