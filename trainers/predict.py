r"""Letters for photos, from a trained model's export.

  python -m trainers.predict --model=WORKDIR photo.jpg hand.png [--top_k=3]
      [--json]

Any PNG, JPEG, GIF or BMP works, color or grayscale, any size: the exported
model converts it like the course did (grayscale, 28x28, /255). A file that
cannot be read as an image gets an error line of its own; the others are
still answered, and the exit code is 1.
"""

from __future__ import annotations

from collections.abc import Sequence
import json
import pathlib
import sys
from typing import Any

from absl import app
from absl import flags
import tensorflow as tf

from trainers import export

_MODEL = flags.DEFINE_string("model", None, "A training WORKDIR (its export/ "
                             "is used) or an export directory.", required=True)
_TOP_K = flags.DEFINE_integer("top_k", 1, "Classes to show per image.",
                              lower_bound=1)
_JSON = flags.DEFINE_bool("json", False, "Print one JSON list instead of "
                          "text lines.")


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


def main(argv: Sequence[str]) -> int:
  paths = argv[1:]
  if not paths:
    raise app.UsageError("Name at least one image file.")
  try:
    loaded, class_names = export.load_export(find_export(_MODEL.value))
  except FileNotFoundError as e:
    raise app.UsageError(f"--model: {e}") from None
  results = [predict_file(loaded, class_names, p, _TOP_K.value) for p in paths]
  if _JSON.value:
    print(json.dumps(results, indent=2))
  for r in results:
    if "error" in r:
      print(f"{r['path']}: error: {r['error']}", file=sys.stderr)
    elif not _JSON.value:
      guesses = ", ".join(f"{p['label']} {p['probability']:.3f}"
                          for p in r["predictions"])
      print(f"{r['path']}: {guesses}")
  return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
  app.run(main)
