r"""Writes a 4x8 grid of training images, as the pipeline feeds them.

Usage:
  python -m asl_pipeline.preview --dataset sign_language_mnist \
      --data_dir DIR --out grid.png [--seed 0] [--noaugment] [--image_size N]

Each tile is titled with its class name, so a look at the grid shows both
what the augmentation does and that labels still match their images.
"""

from __future__ import annotations

from collections.abc import Sequence

from absl import app
from absl import flags
import matplotlib
import numpy as np

from asl_pipeline import pipeline
from asl_pipeline import sources

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
            image_size: int | None = None) -> None:
  """Draws one batch of `train_dataset` and saves it as a grid.

  Args:
    dataset: A TFDS dataset name.
    out: Output image path.
    data_dir: The TFDS data directory.
    seed: Shuffling and augmentation seed.
    augment: Apply the course augmentation (`augment="pipeline"`).
    image_size: As in `train_dataset`; needed for variable-size images.
  """
  names = sources.info(dataset, data_dir).class_names
  ds = pipeline.train_dataset(
      dataset, batch_size=ROWS * COLS, data_dir=data_dir,
      image_size=image_size, augment="pipeline" if augment else "none",
      seed=seed)
  images, labels = next(iter(ds))
  what = "augmented" if augment else "un-augmented"
  save_grid(images.numpy(), [names[i] for i in labels.numpy()], out,
            suptitle=f"{dataset}: {what} training batch (seed {seed})")


def _define_flags() -> None:
  """Defines the CLI's flags, only when run as a program.

  Names as common as --out and --seed would clash with other modules' flags
  if merely importing this one defined them.
  """
  flags.DEFINE_string("dataset", "sign_language_mnist", "TFDS dataset name.")
  flags.DEFINE_string("data_dir", None, "TFDS data directory.")
  flags.DEFINE_string("out", "grid.png", "Output image path.")
  flags.DEFINE_integer("seed", 0, "Shuffle and augmentation seed.")
  flags.DEFINE_boolean("augment", True,
                       "Show augmented images (--noaugment: raw).")
  flags.DEFINE_integer("image_size", None,
                       "Resize to this side (needed for cats_dogs).",
                       lower_bound=1)


def main(argv: Sequence[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  flag = flags.FLAGS
  preview(flag.dataset, flag.out, data_dir=flag.data_dir, seed=flag.seed,
          augment=flag.augment, image_size=flag.image_size)
  print(f"Wrote {flag.out}")


if __name__ == "__main__":
  _define_flags()
  app.run(main)
