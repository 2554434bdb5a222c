"""Classifies image files with a trained model (its export or LiteRT)."""

from __future__ import annotations

import pathlib
from typing import Any

import tensorflow as tf

from tfds_builders.common import image_files
from trainers.analysis import backends


class ImageReadError(ValueError):
  """A file that cannot be read as an image; the message names it."""


# Why `image_files` skipped a file, as a user reads it after the path.
_REASONS = {
    image_files.EMPTY: "empty file",
    image_files.UNDECODABLE: "not a PNG, JPEG or other image Pillow reads",
    image_files.TOO_LARGE: "too large",
    image_files.UNCONVERTIBLE: "an image Pillow cannot convert to RGB",
}


def read_image(path: str | pathlib.Path) -> tf.Tensor:
  """Reads an image file as uint8 [height, width, channels].

  The file is decoded as the dataset builder decodes it
  (`image_files.to_pixels`), so a file gives the model the pixels the
  builder would store: EXIF orientation applied, transparency composited
  on white, 16-bit, 32-bit and float images scaled by their range, CMYK and
  palette images made RGB. The image's size is read from its header first,
  so a small file that declares billions of pixels is refused before
  anything is decoded, with the builder's limit (`image_files.MAX_PIXELS`).

  Args:
    path: Any image file Pillow reads (PNG, JPEG, GIF's first frame, BMP,
      TIFF, WebP, ...).

  Returns:
    The decoded image: 3 channels, or 1 for an image without colour.

  Raises:
    ImageReadError: `path: reason` (missing, a folder, unreadable, not an
      image, too large, or one Pillow fails on).
  """
  path = str(path)
  try:
    data = tf.io.read_file(path).numpy()
  except tf.errors.OpError as e:
    if isinstance(e, tf.errors.NotFoundError):
      reason = "no such file"
    elif tf.io.gfile.isdir(path):
      raise ImageReadError(f"{path}: a folder, not an image file") from None
    else:
      reason = "cannot be read"
    # TF prefixes its op messages with graph details; keep the sentence.
    detail = e.message.split("}}")[-1].split("[Op:")[0].strip()
    raise ImageReadError(f"{path}: {reason}: {detail}") from None
  try:
    return tf.constant(image_files.to_pixels(data))
  except image_files.SkippedImage as e:
    reason = _REASONS.get(e.reason, e.reason)
    if e.reason != image_files.EMPTY and e.detail != image_files.UNIDENTIFIED:
      reason += f": {e.detail}"  # What Pillow said, when it says more.
    raise ImageReadError(f"{path}: {reason}") from None


def predict_file(backend, path: str, top_k: int = 1) -> dict[str, Any]:
  """Classifies one image file.

  Args:
    backend: The model, a `trainers.analysis.backends.Backend` (a run's
      export or a LiteRT file).
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
  batch = backends.fit_to_model(image[tf.newaxis].numpy(), backend)
  probabilities = backend.predict_probabilities(batch)[0]
  top = probabilities.argsort()[::-1][:top_k]
  return {"path": path,
          "predictions": [{"label": backend.class_names[i],
                           "probability": float(probabilities[i])}
                          for i in top]}
