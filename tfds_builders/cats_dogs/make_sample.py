r"""Writes a synthetic cats/dogs photo folder in exactly the expected layout.

    OUT/train/{cats,dogs}/*.jpg  OUT/train/label.csv  (header, split-relative)
    OUT/test/{cats,dogs}/*.jpg   OUT/test/label.csv   (no header, root-relative)

Cats and dogs differ in shape only: a cat has a round face with pointy ears
on top, a dog a longer face, a larger muzzle and floppy ears hanging at its
sides. Colours, pose (rotation, scale, position), background clutter and
lighting are drawn from the same distributions for both, so a convolutional
network learns the shapes (about 94% after 250 steps at 64x64 on 800 images)
while a linear model on raw pixels stays near chance (about 52%).

Unless --noodd_files, the train split also gets the inputs real folders
contain: a zero-byte file, a truncated JPEG, a text file named .jpg, system
files (.DS_Store, an AppleDouble `._` file; Thumbs.db in test), an RGBA PNG,
a CMYK JPEG, 8- and 16-bit grayscale, a palette PNG, an EXIF-rotated JPEG, a
name with spaces and accents, a dog misfiled under cats/ (label.csv says
dog), and a label.csv row naming a file that does not exist.

Usage:
  python -m tfds_builders.cats_dogs.make_sample --out DIR [--per_class 100] \
      [--test_per_class 25] [--size 400] [--seed 0] [--noodd_files]
"""

from __future__ import annotations

import csv
import os

from absl import flags
import numpy as np
from PIL import Image

from tfds_builders.common import command
from tfds_builders.common import command_flags

CLASS_FOLDERS = ("cats", "dogs")
# What `odd_files` adds to train: decodable files (kept) and the rest.
ODD_IMAGES = 8


def _ellipse(u, v, cx, cy, rx, ry, angle=0.0):
  """Soft mask of a rotated ellipse (1 inside, 0 outside)."""
  du, dv = u - cx, v - cy
  a = (np.cos(angle) * du + np.sin(angle) * dv) / rx
  b = (-np.sin(angle) * du + np.cos(angle) * dv) / ry
  # A linear ramp across the edge: anti-aliased, and far cheaper than a
  # sigmoid on 400x400 images.
  return np.clip(0.5 - 10 * (a * a + b * b - 1), 0, 1)


def _ear_triangle(u, v, cx, base_y, half_width, height, tilt):
  """Soft mask of a pointy ear: a triangle standing on y = base_y."""
  du = u - cx - tilt * (base_y - v)
  rise = (base_y - v) / height  # 0 at the base, 1 at the tip.
  inside = np.minimum(np.minimum(rise, 1 - rise + 0.3),
                      half_width * (1 - rise) - np.abs(du))
  return np.clip(0.5 + 40 * inside, 0, 1)


def render(is_dog: bool, rng: np.random.Generator, height: int,
           width: int) -> np.ndarray:
  """Draws one animal face; returns uint8 RGB [height, width, 3]."""
  half = min(height, width) / 2
  ys = ((np.arange(height) + 0.5 - height / 2) / half).astype(np.float32)
  xs = ((np.arange(width) + 0.5 - width / 2) / half).astype(np.float32)
  gx, gy = np.meshgrid(xs, ys)
  # Pose, applied to the sampling grid so the whole face moves rigidly.
  theta = rng.uniform(-0.45, 0.45)
  scale = rng.uniform(0.55, 0.85)
  sx, sy = rng.uniform(-0.25, 0.25, 2)
  u = (np.cos(theta) * (gx - sx) + np.sin(theta) * (gy - sy)) / scale
  v = (-np.sin(theta) * (gx - sx) + np.cos(theta) * (gy - sy)) / scale

  fur = rng.uniform(0.15, 0.95, 3)
  # Ears clearly darker or clearly lighter than the face, at random: their
  # outline always shows, while their brightness (which a linear model on
  # pixels would pick up, as ears sit in different places per class) says
  # nothing about the class. The muzzle likewise.
  if rng.random() < 0.5:
    ears = fur * rng.uniform(0.35, 0.6)
  else:
    ears = fur + (1 - fur) * rng.uniform(0.4, 0.7)
  muzzle = np.clip(fur * rng.uniform(0.6, 1.5), 0, 1)
  layers = []  # (mask, colour), painted in order.
  # A blob of background clutter, the same for both classes.
  layers.append((_ellipse(gx, gy, *rng.uniform(-1, 1, 2),
                          *rng.uniform(0.1, 0.4, 2), rng.uniform(0, np.pi)),
                 rng.uniform(0, 1, 3)))
  if is_dog:
    for side in (-1, 1):
      layers.append((_ellipse(u, v, side * 0.72, 0.25, 0.22, 0.55,
                              side * rng.uniform(0.1, 0.4)), ears))
    layers.append((_ellipse(u, v, 0, 0.05, 0.7, 0.85), fur))
    layers.append((_ellipse(u, v, 0, 0.5, 0.38, 0.3), muzzle))
  else:
    for side in (-1, 1):
      layers.append((_ear_triangle(u, v, side * 0.48, -0.3, 0.32, 0.75,
                                   side * rng.uniform(0.1, 0.35)), ears))
    layers.append((_ellipse(u, v, 0, 0.1, 0.8, 0.7), fur))
    layers.append((_ellipse(u, v, 0, 0.38, 0.26, 0.18), muzzle))
  for side in (-1, 1):
    layers.append((_ellipse(u, v, side * 0.3, -0.12, 0.1, 0.12), fur * 0.2))
  layers.append((_ellipse(u, v, 0, 0.3, 0.1, 0.07),
                 np.array([0.1, 0.05, 0.05])))  # Nose.

  level, slope_x, slope_y = (
      rng.uniform(low, high, 3).astype(np.float32)
      for low, high in ((0.1, 0.9), (-0.3, 0.3), (-0.3, 0.3)))
  image = level + slope_x * gx[..., None] + slope_y * gy[..., None]
  for mask, colour in layers:
    image += mask[..., None] * (colour.astype(np.float32) - image)
  image *= rng.uniform(0.7, 1.2)
  image += 0.04 * rng.standard_normal(image.shape, dtype=np.float32)
  return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)


def _save_jpeg(path: str, pixels: np.ndarray, quality: int, **kwargs):
  Image.fromarray(pixels).save(path, format="JPEG", quality=quality, **kwargs)


def _write_odd_files(split_dir: str, rng, size: int, quality: int
                     ) -> list[tuple[str, int]]:
  """Writes the unusual inputs; returns (split-relative path, label) rows."""
  cats, dogs = (os.path.join(split_dir, c) for c in CLASS_FOLDERS)
  draw = lambda dog, h=size, w=size: render(dog, rng, h, w)
  open(os.path.join(cats, "empty.jpg"), "wb").close()
  _save_jpeg(os.path.join(dogs, "truncated.jpg"), draw(True), quality)
  with open(os.path.join(dogs, "truncated.jpg"), "r+b") as f:
    f.truncate(os.path.getsize(f.name) // 2)
  with open(os.path.join(cats, "notes.jpg"), "w") as f:
    f.write("not an image, only named like one\n")
  for junk in (os.path.join(split_dir, ".DS_Store"),
               os.path.join(cats, ".DS_Store"),
               os.path.join(dogs, "._dog_0000.jpg")):
    with open(junk, "wb") as f:
      f.write(b"\x00\x05\x16\x07" + bytes(60))

  rgba = np.dstack([draw(False), np.full((size, size), 255, np.uint8)])
  rgba[: size // 6, :, 3] = 0  # A transparent band along the top.
  Image.fromarray(rgba, "RGBA").save(os.path.join(cats, "transparent_cat.png"))
  Image.fromarray(draw(True)).convert("CMYK").save(
      os.path.join(dogs, "cmyk_dog.jpg"), quality=quality)
  Image.fromarray(draw(False)).convert("L").save(
      os.path.join(cats, "gray_cat.jpg"), quality=quality)
  gray16 = draw(True).mean(axis=-1).astype(np.uint16) * 257
  Image.fromarray(gray16).save(os.path.join(dogs, "gray16_dog.png"))
  Image.fromarray(draw(False)).quantize(64).save(
      os.path.join(cats, "palette_cat.png"))
  # Stored sideways with orientation 6 ("rotate 90 degrees clockwise to
  # view"), as phone cameras do; upright it is wider than tall.
  upright = draw(True, size * 3 // 4, size)
  exif = Image.Exif()
  exif[0x0112] = 6
  Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90).save(
      os.path.join(dogs, "rotated_dog.jpg"), quality=quality, exif=exif)
  _save_jpeg(os.path.join(cats, "chat été 1.jpg"), draw(False), quality)
  _save_jpeg(os.path.join(cats, "misfiled_dog.jpg"), draw(True), quality)
  return [("cats/chat été 1.jpg", 0), ("cats/misfiled_dog.jpg", 1),
          ("cats/deleted.jpg", 0)]


def make_sample(out_dir: str, *, per_class: int = 100,
                test_per_class: int | None = None, size: int = 400,
                seed: int = 0, odd_files: bool = True,
                quality: int = 90) -> dict[str, int]:
  """Writes the train and test trees with their label.csv files.

  Args:
    out_dir: Created if missing.
    per_class: Regular train images per class.
    test_per_class: Test images per class (default per_class // 4, >= 1).
    size: Side of the square images in pixels.
    seed: Varies the images.
    odd_files: Add the unusual and broken inputs to train (and a Thumbs.db
      to test).
    quality: JPEG quality of the written images.

  Returns:
    Split name -> number of images a correct build keeps.
  """
  if test_per_class is None:
    test_per_class = max(1, per_class // 4)
  rng = np.random.default_rng(seed)
  kept = {}
  for split, count in (("train", per_class), ("test", test_per_class)):
    split_dir = os.path.join(out_dir, split)
    rows = []
    for label, folder in enumerate(CLASS_FOLDERS):
      os.makedirs(os.path.join(split_dir, folder), exist_ok=True)
      for i in range(count):
        name = f"{folder}/{folder[:-1]}_{i:04d}.jpg"
        _save_jpeg(os.path.join(split_dir, name),
                   render(bool(label), rng, size, size), quality)
        rows.append((name, label))
    kept[split] = len(rows)
    if odd_files and split == "train":
      rows += _write_odd_files(split_dir, rng, size, quality)
      kept[split] += ODD_IMAGES
    if odd_files and split == "test":
      with open(os.path.join(split_dir, "dogs", "Thumbs.db"), "wb") as f:
        f.write(bytes(64))
    # Train lists paths from its own folder under a header; test lists them
    # from the root without one: both forms occur in the wild.
    with open(os.path.join(split_dir, "label.csv"), "w", newline="",
              encoding="utf-8") as f:
      writer = csv.writer(f)
      if split == "train":
        writer.writerow(("file", "label"))
        writer.writerows(rows)
      else:
        writer.writerows((f"{split}/{name}", label) for name, label in rows)
  return kept


def define_flags(flag_values: flags.FlagValues) -> None:
  """The command's flags, in its own `FlagValues` (none on import)."""
  fv = flag_values
  command_flags.define_out_dir(fv, "Directory to write the tree to.",
                               required=True)
  flags.DEFINE_integer("per_class", 100, "Train images per class.",
                       lower_bound=1, flag_values=fv)
  flags.DEFINE_integer("test_per_class", None,
                       "Test images per class (default per_class/4).",
                       lower_bound=1, flag_values=fv)
  flags.DEFINE_integer("size", 400, "Image side in pixels.", lower_bound=8,
                       flag_values=fv)
  command_flags.define_seed(fv, 0, "Random seed.")
  flags.DEFINE_boolean("odd_files", True, "Mix broken and unusual files in.",
                       flag_values=fv)


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  """Writes the sample the flags describe and prints where."""
  command.no_arguments(args)
  f = flag_values
  kept = make_sample(f.out, per_class=f.per_class,
                     test_per_class=f.test_per_class, size=f.size,
                     seed=f.seed, odd_files=f.odd_files)
  for split, count in kept.items():
    print(f"{split}: {count} images in {os.path.join(f.out, split)}")


if __name__ == "__main__":
  command.run(define_flags, main)
