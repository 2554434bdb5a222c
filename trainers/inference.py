"""Classifies image files with a trained model's export."""

from __future__ import annotations

from collections.abc import Sequence
import pathlib
from typing import Any

import tensorflow as tf


def find_export(model: str | pathlib.Path) -> pathlib.Path:
  """The export directory of a WORKDIR, or `model` itself if it is one."""
  model = pathlib.Path(model)
  return model if (model / "saved_model.pb").exists() else model / "export"


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
    first, or `{"path", "error"}` if the file is missing or not an image.
  """
  try:
    data = tf.io.read_file(path)
    # expand_animations=False: a GIF gives its first frame, always 3-D.
    image = tf.io.decode_image(data, expand_animations=False, dtype=tf.uint8)
  except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError) as e:
    reason = ("no such file" if isinstance(e, tf.errors.NotFoundError) else
              "not a PNG, JPEG, GIF or BMP image")
    # TF prefixes its op messages with graph details; keep the sentence.
    detail = e.message.split("}}")[-1].split("[Op:")[0].strip()
    return {"path": path, "error": f"{reason}: {detail}"}
  probabilities = loaded.serve_uint8(image[tf.newaxis])[0].numpy()
  top = probabilities.argsort()[::-1][:top_k]
  return {"path": path,
          "predictions": [{"label": class_names[i],
                           "probability": float(probabilities[i])}
                          for i in top]}
