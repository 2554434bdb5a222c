r"""Pictures of what a trained network learned.

  python -m trainers.visualize --workdir=WORKDIR --image=PATH --out=DIR

writes to DIR:
  filters_<layer>.png        the first conv layer's kernels, one per panel,
                             on one red-white-blue scale centred at zero
  feature_maps_<layer>.png   each conv layer's activations for the image,
                             one panel per channel, each with its range;
                             all-zero ("dead") maps marked
  curves.png                 loss and accuracy per epoch (metrics.json),
                             the best epoch marked
  grad_cam_<class>.png       the image beside its class activation map
                             (Grad-CAM) for the predicted class, or
                             `--class=NAME`, at the last conv layer, or
                             `--layer=NAME` (nested models' layers too)

`--workdir` (or `--model`) must be a run you trust.
"""

from __future__ import annotations

import pathlib

from absl import flags

from tfds_builders.common import command
from tfds_builders.common import command_flags


def _existing_file(path: str) -> None:
  if not pathlib.Path(path).is_file():
    raise ValueError("a folder, not an image file" if pathlib.Path(
        path).is_dir() else "no such file")


def define_flags(flag_values: flags.FlagValues) -> None:
  command_flags.define_workdir(flag_values, "The training run to draw; it "
                               "must be a run you trust.", read=True)
  flags.DEFINE_string("image", None, "Image whose feature maps to draw.",
                      required=True, flag_values=flag_values)
  command_flags.register_check(flag_values, "image", _existing_file)
  command_flags.define_out_dir(flag_values, "Directory for the PNGs.",
                               required=True)
  flags.DEFINE_string("class", None, "Class whose activation map to draw; "
                      "default: the predicted one.", flag_values=flag_values)
  flags.DEFINE_string("layer", None, "Conv layer of the activation map; "
                      "default: the last one.", flag_values=flag_values)


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  """Draws the pictures and prints the path of each."""
  command.no_arguments(args)
  # pylint: disable=g-import-not-at-top
  from trainers.analysis import explain
  from trainers.analysis import grad_cam
  from trainers.analysis import inference
  from trainers.analysis import introspection
  from trainers.run_dir import workdir as workdir_lib
  # pylint: enable=g-import-not-at-top
  image = flag_values.image
  try:
    # Read first: a file that is no image writes nothing.
    inference.read_image(image)
  except inference.ImageReadError as e:
    raise command.UsageError(f"--image={e}") from None
  run = flag_values.workdir
  for path in introspection.write_pictures(run, image, flag_values.out):
    print(path)
  model = workdir_lib.load_model(run)
  try:
    print(explain.write_figure(model, explain.class_names(run), image,
                               flag_values.out, flag_values["class"].value,
                               flag_values.layer))
  except grad_cam.NoConvLayerError as e:
    print(f"no class activation map: {e}")
  except ValueError as e:
    flag = "class" if "no class" in str(e) else "layer"
    raise command.UsageError(f"--{flag}: {e}") from None


if __name__ == "__main__":
  command.run(define_flags, main)
