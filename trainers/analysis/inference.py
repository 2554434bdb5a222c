"""Classifies image files with a trained model's export."""

from __future__ import annotations

from collections.abc import Sequence
import pathlib
from typing import Any

import tensorflow as tf

from tfds_builders.common import image_files


class ImageReadError(ValueError):
  """A file that cannot be read as an image; the message names it."""


def read_image(path: str | pathlib.Path) -> tf.Tensor:
  """Reads an image file as uint8 [height, width, channels].

  The image's size is read from its header first, so a small file that
  declares billions of pixels is refused before anything is decoded, with
  the limit the dataset builder uses (`image_files.MAX_PIXELS`).

  Args:
    path: A PNG, JPEG, GIF (first frame) or BMP file.

  Returns:
    The decoded image.

  Raises:
    ImageReadError: `path: reason` (missing, a folder, unreadable, not an
      image, or too large).
  """
  path = str(path)
  try:
    data = tf.io.read_file(path)
    image_files.check_size(data.numpy())
    # expand_animations=False: a GIF gives its first frame, always 3-D.
    return tf.io.decode_image(data, expand_animations=False, dtype=tf.uint8)
  except image_files.ImageTooLarge as e:
    raise ImageReadError(f"{path}: too large: {e}") from None
  except tf.errors.OpError as e:
    if isinstance(e, tf.errors.NotFoundError):
      reason = "no such file"
    elif tf.io.gfile.isdir(path):
      raise ImageReadError(f"{path}: a folder, not an image file") from None
    elif isinstance(e, tf.errors.InvalidArgumentError):
      reason = "not a PNG, JPEG, GIF or BMP image"
    else:
      reason = "cannot be read"
    # TF prefixes its op messages with graph details; keep the sentence.
    detail = e.message.split("}}")[-1].split("[Op:")[0].strip()
    raise ImageReadError(f"{path}: {reason}: {detail}") from None


def predict_file(loaded, class_names: Sequence[str], path: str,
                 top_k: int = 1) -> dict[str, Any]:
  """Classifies one image file.

  Args:
    loaded: An export from `export.load_export`.
    class_names: Its class names.
    path: An image file.
    top_k: How many of the most likely classes to return.

  Returns:
    `{"path", "predictions": [{"label", "probability"}, ...]}`, most likely
    first, or `{"path", "error"}` if the file is missing, a folder, not an
    image, or too large to decode.
  """
  try:
    image = read_image(path)
  except ImageReadError as e:
    return {"path": path, "error": str(e).removeprefix(f"{path}: ")}
  probabilities = loaded.serve_uint8(image[tf.newaxis])[0].numpy()
  top = probabilities.argsort()[::-1][:top_k]
  return {"path": path,
          "predictions": [{"label": class_names[i],
                           "probability": float(probabilities[i])}
                          for i in top]}
