r"""Letters for photos, from a trained model's export.

  python -m trainers.predict --model=WORKDIR photo.jpg hand.png [--top_k=3]
      [--json]

Any PNG, JPEG, GIF or BMP works, color or grayscale, any size up to
`image_files.MAX_PIXELS` pixels: the exported model converts it like the
course did (grayscale, 28x28, /255). An argument that cannot be read as an
image (missing, a folder, not an image, too large) gets an error line of its
own; the others are still answered, and the exit code is 1.

`--model` must be a run you trust: loading a SavedModel runs its graph, and
a crafted one can read and write files.
"""

from __future__ import annotations

from collections.abc import Sequence
import json
import sys

from absl import app
from absl import flags

from tfds_builders.common import console

if __name__ == "__main__":
  # First, before anything loads TensorFlow (see tfds_builders/common/console.py).
  console.quiet()

# pylint: disable=g-import-not-at-top,wrong-import-position
from trainers.run_dir import export
from trainers.analysis import inference
from trainers.run_dir import workdir as workdir_lib

_MODEL = flags.DEFINE_string(
    "model", None, "A training WORKDIR (its export/ is used) or an export "
    "directory. It must be a run you trust: a SavedModel runs whatever graph "
    "it holds.", required=True)
_TOP_K = flags.DEFINE_integer("top_k", 1, "Classes to show per image.",
                              lower_bound=1)
_JSON = flags.DEFINE_bool("json", False, "Print one JSON list instead of "
                          "text lines.")


def main(argv: Sequence[str]) -> int:
  paths = argv[1:]
  if not paths:
    raise app.UsageError("Name at least one image file.")
  try:
    loaded, class_names = export.load_export(
        workdir_lib.find_export(_MODEL.value))
  except FileNotFoundError as e:
    raise app.UsageError(f"--model: {e}") from None
  results = [inference.predict_file(loaded, class_names, p, _TOP_K.value)
             for p in paths]
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
