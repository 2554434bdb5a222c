r"""Pictures of what a trained network learned.

  python -m trainers.visualize --model=WORKDIR --image=PATH --out=DIR

writes to DIR:
  filters_<layer>.png        the first conv layer's kernels, one per panel
  feature_maps_<layer>.png   each conv layer's activations for the image,
                             one panel per channel, titled with the layer
  curves.png                 loss and accuracy per epoch (metrics.json)
"""

from __future__ import annotations

from collections.abc import Sequence
import json
import pathlib

from absl import app
from absl import flags

from trainers import introspect
from trainers import plots

_MODEL = flags.DEFINE_string("model", None, "Training WORKDIR.", required=True)
_IMAGE = flags.DEFINE_string("image", None, "Image whose feature maps to draw.",
                             required=True)
_OUT = flags.DEFINE_string("out", None, "Output directory.", required=True)


def visualize(workdir: str | pathlib.Path, image_path: str | pathlib.Path,
              out_dir: str | pathlib.Path) -> list[pathlib.Path]:
  """Writes the filter, feature-map and curve PNGs.

  Args:
    workdir: A finished training WORKDIR.
    image_path: An image file, converted like `trainers.predict` does.
    out_dir: Where the PNGs go (created if needed).

  Returns:
    The PNGs written.
  """
  workdir, out_dir = pathlib.Path(workdir), pathlib.Path(out_dir)
  model, _ = introspect.load_run(workdir)
  name, filters = introspect.first_conv_filters(model)
  written = [plots.plot_grid(
      filters, [str(i) for i in range(len(filters))],
      f"{name}: {len(filters)} filters", out_dir / f"filters_{name}.png",
      cmap="gray")]
  image = introspect.load_image(image_path, model)
  for name, maps in introspect.feature_maps(model, image):
    written.append(plots.plot_grid(
        maps, [str(i) for i in range(len(maps))],
        f"{name}: {len(maps)} feature maps of {pathlib.Path(image_path).name}",
        out_dir / f"feature_maps_{name}.png"))
  metrics_path = workdir / "metrics.json"
  if metrics_path.exists():
    history = json.loads(metrics_path.read_text()).get("history")
    if history:
      written.append(plots.plot_curves(history, out_dir / "curves.png"))
  return written


def main(argv: Sequence[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  try:
    written = visualize(_MODEL.value, _IMAGE.value, _OUT.value)
  except FileNotFoundError as e:
    raise app.UsageError(str(e)) from None
  for path in written:
    print(path)


if __name__ == "__main__":
  app.run(main)
