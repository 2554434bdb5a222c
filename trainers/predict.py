r"""Letters for photos, from a trained model's export or a LiteRT file.

  python -m trainers.predict --workdir=WORKDIR photo.jpg hand.png \
      [--top_k=3] [--json] [--explain=DIR]
  python -m trainers.predict --workdir=WORKDIR/litert/model_int8.tflite \
      photo.jpg

Any PNG, JPEG, GIF or BMP works, color or grayscale, any size up to
`image_files.MAX_PIXELS` pixels: the exported model converts it like the
course did (grayscale, 28x28, /255). A `.tflite` file from
`trainers.export` is given the same pixels, converted and resized before
it, and answers in the same format. An argument that cannot be read as an
image (missing, a folder, not an image, too large) gets an error line of its
own; the others are still answered, and the exit status is 1.

`--workdir` (or `--model`) must be a run you trust: loading a SavedModel
runs its graph, and a crafted one can read and write files.

`--explain=DIR` also writes, for each photo, its class activation map
(Grad-CAM of the predicted class at the last conv layer) over the photo at
the photo's own size, from the run's `model.keras`.
"""

from __future__ import annotations

import json
import sys

from absl import flags

from tfds_builders.common import command
from tfds_builders.common import command_flags


def define_flags(flag_values: flags.FlagValues) -> None:
  command_flags.define_workdir(
      flag_values, "A training run's directory (its export/ is used), an "
      "export directory, or a LiteRT .tflite file from trainers.export. It "
      "must be a run you trust: a SavedModel runs whatever graph it holds.",
      read=True, litert=True)
  flags.DEFINE_integer("top_k", 1, "Classes to show per image.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_bool("json", False, "Print one JSON list instead of text "
                    "lines.", flag_values=flag_values)
  flags.DEFINE_string("explain", None, "Directory for one class activation "
                      "map overlay per photo (needs a run's model.keras).",
                      flag_values=flag_values)


def main(flag_values: flags.FlagValues, paths: list[str]) -> int:
  """Prints the classes of each image; 1 if any could not be read."""
  if not paths:
    raise command.UsageError("name at least one image file, e.g. `python -m "
                             "trainers.predict --workdir=RUN photo.jpg`")
  # pylint: disable=g-import-not-at-top
  from trainers.analysis import backends
  from trainers.analysis import inference
  # pylint: enable=g-import-not-at-top
  run = flag_values.workdir
  if flag_values.explain and run.endswith(".tflite"):
    raise command.UsageError("--explain: needs a run's model.keras; "
                             f"--workdir={run} is a LiteRT model")
  with command.blame("workdir", run):
    backend = backends.load(run)
  results = [inference.predict_file(backend, p, flag_values.top_k)
             for p in paths]
  if flag_values.explain:
    _explain(run, backend.class_names, paths, flag_values.explain, results)
  if flag_values.json:
    print(json.dumps(results, indent=2))
  for r in results:
    if "error" in r:
      print(f"{r['path']}: error: {r['error']}", file=sys.stderr)
    elif not flag_values.json:
      guesses = ", ".join(f"{p['label']} {p['probability']:.3f}"
                          for p in r["predictions"])
      print(f"{r['path']}: {guesses}")
  return 1 if any("error" in r for r in results) else 0


def _explain(run, class_names, paths, out_dir, results) -> None:
  """Adds each drawn overlay's path to its result as "explanation"."""
  # pylint: disable=g-import-not-at-top
  from trainers.analysis import explain
  from trainers.analysis import grad_cam
  from trainers.run_dir import workdir as workdir_lib
  # pylint: enable=g-import-not-at-top
  with command.blame("workdir", run):
    model = workdir_lib.load_model(run)
  try:
    written = explain.write_overlays(model, class_names, paths, out_dir)
  except grad_cam.NoConvLayerError as e:
    print(f"--explain: no class activation map: {e}", file=sys.stderr)
    return
  for r in results:
    if r["path"] in written:
      r["explanation"] = written[r["path"]]


if __name__ == "__main__":
  command.run(define_flags, main)
