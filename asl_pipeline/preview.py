r"""Writes a 4x8 grid of training images, as the pipeline feeds them.

Usage:
  python -m asl_pipeline.preview --dataset=sign_language_mnist \
      --data_dir=DATA_DIR --out=DIR [--seed=0] [--noaugment] \
      [--image_size=N or H,W]

writes `DIR/<dataset>_augmented.png` (`_raw.png` with `--noaugment`). Each
tile is titled with its class name, so a look at the grid shows both what
the augmentation does and that labels still match their images. Datasets
whose images vary in size (`cats_dogs`) need `--image_size`.
"""

from __future__ import annotations

from collections.abc import Sequence
import pathlib

from absl import flags
import numpy as np

from tfds_builders.common import command
from tfds_builders.common import command_flags
from tfds_builders.common import data_dirs

ROWS, COLS = 4, 8


def save_grid(images: np.ndarray, titles: Sequence[str], out: str,
              suptitle: str = "") -> None:
  """Saves up to ROWS x COLS images in [0, 1] as a titled grid.

  Args:
    images: `[n, h, w, c]` floats in [0, 1], c = 1 or 3.
    titles: One title per image.
    out: Output path; the extension picks the format (png, pdf, ...).
    suptitle: Title over the whole grid.
  """
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")  # Files only: no display needed.
  from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, axes = plt.subplots(ROWS, COLS, figsize=(COLS * 1.3, ROWS * 1.5))
  for ax, image, title in zip(axes.flat, images, titles):
    gray = image.shape[-1] == 1
    ax.imshow(image[..., 0] if gray else image, cmap="gray" if gray else None,
              vmin=0.0, vmax=1.0)
    ax.set_title(title, fontsize=10)
  for ax in axes.flat:
    ax.axis("off")
  if suptitle:
    fig.suptitle(suptitle)
  fig.tight_layout()
  fig.savefig(out, dpi=100)
  plt.close(fig)


def preview(dataset: str, out: str, *, data_dir: str | None = None,
            seed: int = 0, augment: bool = True,
            image_size: int | tuple[int, int] | None = None) -> None:
  """Draws one batch of `train_dataset` and saves it as a grid.

  Args:
    dataset: A TFDS dataset name.
    out: Output image path.
    data_dir: The TFDS data directory.
    seed: Shuffling and augmentation seed.
    augment: Apply the course augmentation (`augment="pipeline"`).
    image_size: As in `train_dataset`; needed for variable-size images.
  """
  # pylint: disable=g-import-not-at-top
  from asl_pipeline import pipeline
  from asl_pipeline import sources
  # pylint: enable=g-import-not-at-top
  names = sources.info(dataset, data_dir).class_names
  ds = pipeline.train_dataset(
      dataset, batch_size=ROWS * COLS, data_dir=data_dir,
      image_size=image_size, augment="pipeline" if augment else "none",
      seed=seed)
  images, labels = next(iter(ds))
  what = "augmented" if augment else "un-augmented"
  save_grid(images.numpy(), [names[i] for i in labels.numpy()], out,
            suptitle=f"{dataset}: {what} training batch (seed {seed})")


def define_flags(flag_values: flags.FlagValues) -> None:
  command_flags.define_dataset(flag_values, "sign_language_mnist")
  command_flags.define_data_dir(flag_values)
  command_flags.define_out_dir(flag_values, "Directory for the grid PNG.",
                               default=".")
  command_flags.define_seed(flag_values, 0, "Shuffle and augmentation seed.")
  flags.DEFINE_boolean("augment", True, "Show augmented images "
                       "(--noaugment: as stored).", flag_values=flag_values)
  command_flags.define_image_size(
      flag_values, None, "Resize to this size (needed for datasets whose "
      "images vary in size, such as cats_dogs).")


def grid_path(out_dir: str, dataset: str, augment: bool) -> pathlib.Path:
  """Where the grid of `dataset` goes in `out_dir`."""
  kind = "augmented" if augment else "raw"
  return pathlib.Path(out_dir) / f"{dataset.replace('/', '_')}_{kind}.png"


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  """Checks the dataset, then draws and writes the grid."""
  command.no_arguments(args)
  name, data_dir = flag_values.dataset, flag_values.data_dir
  data_dirs.check_built(name, data_dir)
  from asl_pipeline import sources  # pylint: disable=g-import-not-at-top
  with command.blame("dataset", name):
    shape = sources.info(name, data_dir).image_shape
  if None in shape[:2] and not flag_values.image_size:
    raise command.UsageError(
        f"--image_size is needed: the images of {name!r} vary in size "
        "(give N or HEIGHT,WIDTH, e.g. --image_size=160)")
  out = grid_path(flag_values.out, name, flag_values.augment)
  out.parent.mkdir(parents=True, exist_ok=True)
  preview(name, str(out), data_dir=data_dir, seed=flag_values.seed,
          augment=flag_values.augment, image_size=flag_values.image_size)
  print(f"Wrote {out}")


if __name__ == "__main__":
  command.run(define_flags, main)
