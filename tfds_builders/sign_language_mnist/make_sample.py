r"""Writes a synthetic Sign Language MNIST in exactly the Kaggle CSV format.

Each letter gets a fixed "hand": a palm shared by every letter plus a few
finger-like strokes of its own. Every image draws that hand under a random
pose (rotation, scale, shift), lighting and background, then adds noise, so
no single pixel gives the class away and a small CNN needs a few epochs to
learn it.

Usage:
  python -m tfds_builders.sign_language_mnist.make_sample --out DIR \
      [--train_rows 1000] [--test_rows 300] [--scheme kaggle|contiguous] \
      [--header|--noheader] [--seed 0]
"""

from __future__ import annotations

import os

from absl import flags
import numpy as np

from tfds_builders.common import command
from tfds_builders.common import command_flags
from tfds_builders.sign_language_mnist import csv_source

_SIDE = csv_source.IMAGE_SIDE
_NUM_CLASSES = len(csv_source.LETTERS)
_FINGERS_PER_CLASS = 3
# Fixed so that every call, whatever its --seed, draws the same 24 hands:
# --seed varies the samples, never what a letter looks like.
_PROTOTYPE_SEED = 20240601


def _prototypes() -> np.ndarray:
  """Ellipses [class, part, (cx, cy, rx, ry, angle, intensity)].

  Part 0 is the shared palm; the rest are the letter's fingers, placed
  around the palm, so letters differ in shape rather than in one pixel.
  """
  rng = np.random.default_rng(_PROTOTYPE_SEED)
  parts = np.zeros((_NUM_CLASSES, 1 + _FINGERS_PER_CLASS, 6), np.float32)
  parts[:, 0] = (0.0, 0.2, 0.45, 0.4, 0.0, 0.75)
  for k in range(_NUM_CLASSES):
    angles = rng.uniform(-np.pi, 0.2 * np.pi, _FINGERS_PER_CLASS)
    reach = rng.uniform(0.4, 0.65, _FINGERS_PER_CLASS)
    parts[k, 1:, 0] = reach * np.cos(angles)
    parts[k, 1:, 1] = 0.15 + reach * np.sin(angles)
    parts[k, 1:, 2] = rng.uniform(0.08, 0.14, _FINGERS_PER_CLASS)
    parts[k, 1:, 3] = rng.uniform(0.25, 0.4, _FINGERS_PER_CLASS)
    parts[k, 1:, 4] = angles + np.pi / 2
    parts[k, 1:, 5] = rng.uniform(0.8, 1.0, _FINGERS_PER_CLASS)
  return parts


def render(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """Draws one image per class index.

  Args:
    labels: Class indices in 0..23, shape [n].
    rng: The source of all per-image randomness.

  Returns:
    uint8 images of shape [n, 28, 28].
  """
  n = len(labels)
  parts = _prototypes()[labels]  # [n, parts, 6]
  # Pose: per-image rotation (+-20 deg), scale and shift, applied to the
  # sampling grid (inverse mapping) so the whole hand moves rigidly.
  theta = rng.uniform(-np.pi / 9, np.pi / 9, (n, 1, 1))
  scale = rng.uniform(0.85, 1.15, (n, 1, 1))
  shift = rng.uniform(-0.12, 0.12, (n, 2, 1, 1))
  axis = (np.arange(_SIDE, dtype=np.float32) + 0.5) / _SIDE * 2 - 1
  gx, gy = np.meshgrid(axis, axis)
  x = gx[None] - shift[:, 0]
  y = gy[None] - shift[:, 1]
  u = (np.cos(theta) * x + np.sin(theta) * y) / scale
  v = (-np.sin(theta) * x + np.cos(theta) * y) / scale

  hand = np.zeros((n, _SIDE, _SIDE), np.float32)
  for p in range(parts.shape[1]):
    cx, cy, rx, ry, angle, level = (parts[:, p, i, None, None]
                                    for i in range(6))
    du, dv = u - cx, v - cy
    a = (np.cos(angle) * du + np.sin(angle) * dv) / rx
    b = (-np.sin(angle) * du + np.cos(angle) * dv) / ry
    # A soft edge instead of a hard mask keeps shapes anti-aliased.
    inside = 1 / (1 + np.exp(np.minimum(12 * (a * a + b * b - 1), 50)))
    hand = np.maximum(hand, level * inside)

  background = (rng.uniform(0.1, 0.45, (n, 1, 1)) +
                rng.uniform(-0.15, 0.15, (n, 1, 1)) * gx[None] +
                rng.uniform(-0.15, 0.15, (n, 1, 1)) * gy[None])
  brightness = rng.uniform(0.55, 0.95, (n, 1, 1))
  image = np.maximum(background, brightness * hand)
  image += rng.normal(0, 0.06, image.shape)
  return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)


def raw_labels(class_indices: np.ndarray, scheme: str) -> np.ndarray:
  """Numbers class indices the way a file of `scheme` does."""
  if scheme == csv_source.KAGGLE:
    return class_indices + (class_indices >= 9)
  return class_indices


def write_csv(path: str, images: np.ndarray, labels: np.ndarray,
              header: bool) -> None:
  """Writes `label,pixel1..pixel784` rows, optionally with the header."""
  # One lookup table of the 256 pixel strings makes joining ~25x faster than
  # formatting each integer.
  strings = np.array([str(i) for i in range(256)], dtype=object)
  flat = images.reshape(len(images), -1)
  with open(path, "w", newline="") as f:
    if header:
      f.write("label," + ",".join(
          f"pixel{i}" for i in range(1, csv_source.NUM_PIXELS + 1)) + "\n")
    for label, row in zip(labels.tolist(), flat):
      f.write(f"{label}," + ",".join(strings[row]) + "\n")


def make_sample(out_dir: str, *, train_rows: int = 1000, test_rows: int = 300,
                scheme: str = csv_source.KAGGLE, header: bool = True,
                seed: int = 0, test_name: str = "sign_mnist_test.csv"
                ) -> dict[str, str]:
  """Writes `sign_mnist_train.csv` and a test CSV into `out_dir`.

  Args:
    out_dir: Created if missing.
    train_rows: Rows in the train file.
    test_rows: Rows in the test file.
    scheme: Label numbering, `kaggle` or `contiguous`.
    header: Whether to write the `label,pixel1,...` header row.
    seed: Varies the samples (not what each letter looks like).
    test_name: `sign_mnist_test.csv` (Kaggle) or `sign_mnist_valid.csv`
      (course copy).

  Returns:
    Split name -> written path.
  """
  if scheme not in csv_source.SCHEMES:
    raise ValueError(f"scheme must be one of {csv_source.SCHEMES}, got "
                     f"{scheme!r}")
  os.makedirs(out_dir, exist_ok=True)
  rng = np.random.default_rng(seed)
  paths = {}
  for split, rows, name in (("train", train_rows, "sign_mnist_train.csv"),
                            ("test", test_rows, test_name)):
    # Every letter appears at least once when there is room, so a small
    # sample still exercises all 24 classes.
    classes = np.resize(rng.permutation(_NUM_CLASSES), rows)
    rng.shuffle(classes)
    paths[split] = os.path.join(out_dir, name)
    write_csv(paths[split], render(classes, rng), raw_labels(classes, scheme),
              header)
  return paths


def define_flags(flag_values: flags.FlagValues) -> None:
  """The command's flags, in its own `FlagValues` (none on import)."""
  fv = flag_values
  command_flags.define_out_dir(fv, "Directory to write the CSVs to.",
                               required=True)
  flags.DEFINE_integer("train_rows", 1000, "Training rows.", lower_bound=1,
                       flag_values=fv)
  flags.DEFINE_integer("test_rows", 300, "Test rows.", lower_bound=1,
                       flag_values=fv)
  flags.DEFINE_enum("scheme", csv_source.KAGGLE, list(csv_source.SCHEMES),
                    "Label numbering.", flag_values=fv)
  flags.DEFINE_boolean("header", True, "Write the header row.",
                       flag_values=fv)
  command_flags.define_seed(fv, 0, "Random seed.")
  flags.DEFINE_enum("test_name", "sign_mnist_test.csv",
                    ["sign_mnist_test.csv", "sign_mnist_valid.csv"],
                    "Name of the held-out file.", flag_values=fv)


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  """Writes the sample the flags describe and prints where."""
  command.no_arguments(args)
  f = flag_values
  paths = make_sample(f.out, train_rows=f.train_rows, test_rows=f.test_rows,
                      scheme=f.scheme, header=f.header, seed=f.seed,
                      test_name=f.test_name)
  for split, path in paths.items():
    print(f"{split}: {path}")


if __name__ == "__main__":
  command.run(define_flags, main)
