r"""Pictures of what a trained network learned.

  python -m trainers.visualize --model=WORKDIR --image=PATH --out=DIR

writes to DIR:
  filters_<layer>.png        the first conv layer's kernels, one per panel,
                             on one red-white-blue scale centred at zero
  feature_maps_<layer>.png   each conv layer's activations for the image,
                             one panel per channel, each with its range;
                             all-zero ("dead") maps marked
  curves.png                 loss and accuracy per epoch (metrics.json),
                             the best epoch marked
"""

from __future__ import annotations

from collections.abc import Sequence

from absl import app
from absl import flags

from tfds_builders.common import console

if __name__ == "__main__":
  # First, before anything loads TensorFlow (see tfds_builders/common/console.py).
  console.quiet()

# pylint: disable=g-import-not-at-top,wrong-import-position
from trainers.analysis import inference
from trainers.analysis import introspection as introspect

_MODEL = flags.DEFINE_string("model", None, "Training WORKDIR; it must be a "
                             "run you trust.", required=True)
_IMAGE = flags.DEFINE_string("image", None, "Image whose feature maps to draw.",
                             required=True)
_OUT = flags.DEFINE_string("out", None, "Output directory.", required=True)


def main(argv: Sequence[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  try:
    written = introspect.write_pictures(_MODEL.value, _IMAGE.value,
                                        _OUT.value)
  except FileNotFoundError as e:
    raise app.UsageError(str(e)) from None
  except inference.ImageReadError as e:
    raise app.UsageError(f"--image: {e}") from None
  for path in written:
    print(path)


if __name__ == "__main__":
  app.run(main)
