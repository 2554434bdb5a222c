r"""How the near-duplicate thresholds were chosen: measured on generated images.

Draws images with both datasets' sample generators, makes copies of some
of them (shifted by a pixel, brighter, re-encoded as JPEG), and prints, per
kind of copy, the largest hash distance and the smallest similarity between
an image and its copy, and over pairs of different images of one class the
smallest hash distance and the largest similarity:

  python -m tfds_builders.report.calibrate [--asl 3000] [--cats 200]

`MEASURED` keeps the numbers of the default run; `leaks.MAX_HASH_DISTANCE`
and `leaks.MIN_SIMILARITY` sit between them.
"""

from __future__ import annotations

from collections.abc import Callable
import io
import json

from absl import flags

from tfds_builders.common import console

if __name__ == "__main__":
  # Run as a program: quiet the console before TensorFlow loads below; the
  # runner's own call (in `command.run`) comes after this module's imports.
  console.quiet()

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np
from PIL import Image
import tensorflow as tf

from tfds_builders.cats_dogs import make_sample as cats_dogs_sample
from tfds_builders.common import command
from tfds_builders.report import duplicates
from tfds_builders.report import hashing
from tfds_builders.sign_language_mnist import make_sample as asl_sample

# `python -m tfds_builders.report.calibrate` (3,000 Sign MNIST images, 200
# cats and dogs of 160x160): per kind of copy, [largest hash distance,
# smallest similarity]; for different images of one class, the smallest
# distance and the largest similarity. `not_found` (measured once, not
# among `COPIES`) shows where finding stops: a 28x28 image loses most of
# its fine detail to JPEG at quality 75, and a bright photo made 20%
# brighter clips enough to move its hash 7 bits. The largest similarity of two
# different images seen so far is 0.807 (two dogs of the 160x160 demo
# sample, `make_sample --per_class 300 --size 160`).
MEASURED = {
    "sign_language_mnist": {
        "copies": {"shift_1px": [0, 0.922], "brighter_20": [1, 0.998],
                   "brighter_10pct": [2, 0.996], "jpeg_q90": [2, 0.962]},
        "different_same_class": {"min_distance": 1, "max_similarity": 0.65},
        "not_found": {"jpeg_q75": [5, 0.812]},
    },
    "cats_dogs": {
        "copies": {"shift_1px": [0, 0.895], "brighter_20": [4, 0.994],
                   "brighter_10pct": [5, 0.992], "jpeg_q90": [2, 0.995]},
        "different_same_class": {"min_distance": 6, "max_similarity": 0.704},
        "not_found": {"brighter_20pct_clipped": [7, 0.985]},
    },
}


def shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
  """The image moved by (dy, dx) pixels, its edge repeated into the gap."""
  height, width = image.shape[:2]
  pad = max(abs(dy), abs(dx))
  padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
  return padded[pad - dy:pad - dy + height, pad - dx:pad - dx + width]


def brighter(image: np.ndarray, add: float = 0, scale: float = 1
             ) -> np.ndarray:
  """`image * scale + add`, clipped to 0..255."""
  return np.clip(image.astype(np.float32) * scale + add, 0,
                 255).round().astype(np.uint8)


def reencode(image: np.ndarray, quality: int) -> np.ndarray:
  """The image after a round trip through JPEG at `quality`."""
  buffer = io.BytesIO()
  Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image).save(
      buffer, format="JPEG", quality=quality)
  decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())))
  return decoded.reshape(image.shape)


COPIES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "shift_1px": lambda image: shift(image, 1, 1),
    "brighter_20": lambda image: brighter(image, add=20),
    "brighter_10pct": lambda image: brighter(image, scale=1.1),
    "jpeg_q90": lambda image: reencode(image, 90),
}


def fingerprint_arrays(images: np.ndarray,
                       labels: np.ndarray) -> hashing.Fingerprints:
  """Fingerprints of in-memory images of one size."""
  ds = tf.data.Dataset.from_tensor_slices({
      "image": images, "label": labels,
      "tfds_id": [f"image{i}" for i in range(len(images))]})
  return hashing.fingerprint_dataset(ds, "generated")


def measure(images: np.ndarray, labels: np.ndarray, copies: int) -> dict:
  """Distances and similarities of copies and of look-alikes.

  Args:
    images: uint8 [n, h, w, c] different images.
    labels: [n] their classes.
    copies: How many of the images get a copy of each kind.

  Returns:
    As one dataset's entry of `MEASURED`.
  """
  base = images[:copies]
  everything = np.concatenate(
      [images] + [np.stack([copy(image) for image in base])
                  for copy in COPIES.values()])
  fingerprints = fingerprint_arrays(
      everything, np.concatenate([labels] + [labels[:copies]] * len(COPIES)))
  # Medians of the originals only, as a dataset without copies has them.
  medians = np.median(
      fingerprints.low[:len(images), hashing.CENTER].astype(np.float32), 0)
  hashes = hashing.pack_bits(fingerprints.low.astype(np.float32) > medians)
  result = {"copies": {}}
  originals = np.arange(copies)
  for i, name in enumerate(COPIES):
    pairs = np.stack([originals, len(images) + i * copies + originals], 1)
    result["copies"][name] = [
        int(duplicates.hash_distance(hashes, pairs).max()),
        round(float(duplicates.similarity(fingerprints.thumb, pairs).min()),
              3)]
  same_class = [np.stack(np.triu_indices(np.sum(labels == c), 1), 1)
                for c in np.unique(labels)]
  pairs = np.concatenate([np.flatnonzero(labels == c)[p] for c, p in
                          zip(np.unique(labels), same_class)])
  distances = duplicates.hash_distance(hashes, pairs)
  # Similarity only where the hash would let a pair through (cost).
  close = pairs[distances <= 12]
  result["different_same_class"] = {
      "min_distance": int(distances.min()),
      "max_similarity": round(float(duplicates.similarity(
          fingerprints.thumb, close).max()), 3) if len(close) else None}
  return result


def generated(dataset: str, count: int, seed: int = 1
              ) -> tuple[np.ndarray, np.ndarray]:
  """`count` different images drawn by a sample generator, with labels."""
  rng = np.random.default_rng(seed)
  if dataset == "sign_language_mnist":
    labels = rng.integers(0, 24, count)
    return asl_sample.render(labels, rng)[..., None], labels
  labels = np.arange(count) % 2
  return np.stack([cats_dogs_sample.render(bool(label), rng, 160, 160)
                   for label in labels]), labels


def define_flags(flag_values: flags.FlagValues) -> None:
  """The command's flags, in its own `FlagValues` (none on import)."""
  flags.DEFINE_integer("asl", 3000, "Sign MNIST images.", lower_bound=2,
                       flag_values=flag_values)
  flags.DEFINE_integer("cats", 200, "Cat and dog images.", lower_bound=2,
                       flag_values=flag_values)
  flags.DEFINE_integer("copies", 240, "Images copied, per kind of copy.",
                       lower_bound=1, flag_values=flag_values)


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  """Measures both datasets' copies and look-alikes; prints JSON."""
  command.no_arguments(args)
  f = flag_values
  result = {}
  for dataset, count in (("sign_language_mnist", f.asl),
                         ("cats_dogs", f.cats)):
    images, labels = generated(dataset, count)
    result[dataset] = measure(images, labels, min(f.copies, count))
  print(json.dumps(result, indent=2))


if __name__ == "__main__":
  command.run(define_flags, main)
