"""Per-example fingerprints of decoded images, computed in one tf.data pass.

For every image:
- an exact digest of the decoded pixels and their shape, 128 bits from two
  independent 64-bit fingerprints, so equal digests mean equal images;
- the material of a perceptual hash (pHash-style): the image in grayscale,
  resized to 32x32, and the 63 lowest DCT frequencies but the constant
  term, scaled to unit length. Low frequencies barely move under a change
  of brightness (the constant term, dropped) or contrast (the scale,
  undone) or JPEG re-encoding; a shift of one pixel moves them more on a
  28x28 image, so each image is also hashed shifted by one pixel each way.
  `perceptual_hashes` turns them into 63-bit hashes once the dataset's
  medians are known;
- the 32x32 thumbnail, to check candidate pairs pixel by pixel.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

# Side of the grayscale thumbnail the DCT is taken of, and of the block of
# lowest frequencies kept: 8x8 but the constant term = 63 bits.
THUMB_SIDE = 32
LOW_FREQUENCIES = 8
HASH_BITS = LOW_FREQUENCIES * LOW_FREQUENCIES - 1  # All but the constant.
# Any fixed byte: the second digest hashes every byte XOR this one.
_DIGEST_MASK = 0xA5
_BATCH = 512


@dataclasses.dataclass
class Fingerprints:
  """Hashes and facts of every example of one or more splits, in order.

  Attributes:
    split: [n] split name of each example.
    key: [n] TFDS id of each example (`tfds.ReadConfig(add_tfds_id=True)`).
    label: [n] int class index.
    height: [n] stored image height.
    width: [n] stored image width.
    digest: [n, 2] int64 digest of the decoded pixels and their shape.
    low: [n, len(SHIFTS), 63] float16 low frequencies of the image shifted
      by each of `SHIFTS`; `CENTER` is the image itself.
    thumb: [n, 32, 32] uint8 grayscale thumbnail.
  """
  split: np.ndarray
  key: np.ndarray
  label: np.ndarray
  height: np.ndarray
  width: np.ndarray
  digest: np.ndarray
  low: np.ndarray
  thumb: np.ndarray

  def __len__(self) -> int:
    return len(self.key)

  @classmethod
  def concatenate(cls, parts: list[Fingerprints]) -> Fingerprints:
    """One `Fingerprints` holding every part's examples, in order."""
    return cls(**{
        field.name: np.concatenate([getattr(p, field.name) for p in parts])
        for field in dataclasses.fields(cls)})


def _grayscale(image: tf.Tensor) -> tf.Tensor:
  """uint8 [..., c] -> float32 [..., 1], whatever c is (1, 3 or 4)."""
  image = tf.cast(image, tf.float32)
  channels = image.shape[-1]
  if channels == 1:
    return image
  if channels in (3, 4):
    return tf.image.rgb_to_grayscale(image[..., :3])
  raise ValueError(f"Cannot hash images with {channels} channels.")


# Shifts, in stored pixels, under which each image is also hashed: a copy
# moved by one pixel hashes close to one of these variants, while on a
# 28x28 image the unshifted hashes of the two may differ in a third of
# their bits. All eight directions: undoing a shift from the copy's side
# cannot bring back the row and column it lost, so the pair is reliably
# found only from the original's side.
MAX_SHIFT = 1
SHIFTS = tuple((dy, dx) for dy in range(-MAX_SHIFT, MAX_SHIFT + 1)
               for dx in range(-MAX_SHIFT, MAX_SHIFT + 1))
CENTER = SHIFTS.index((0, 0))


def _shifted(images: tf.Tensor) -> tf.Tensor:
  """[b, h, w, 1] -> [b * len(SHIFTS), h, w, 1], edges repeated into gaps."""
  pad = MAX_SHIFT
  padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]],
                  mode="SYMMETRIC")
  height, width = tf.shape(images)[1], tf.shape(images)[2]
  shifted = tf.stack([padded[:, pad - dy:pad - dy + height,
                             pad - dx:pad - dx + width] for dy, dx in SHIFTS],
                     axis=1)
  return tf.reshape(shifted, (-1, height, width, 1))


def _digests(images: tf.Tensor) -> tf.Tensor:
  """int64 [b, 2]: two independent 64-bit hashes of each image and shape."""
  count = tf.shape(images)[0]
  flat = tf.reshape(images, (count, -1))
  shape = tf.bitcast(tf.shape(images)[1:], tf.uint8)
  shape = tf.tile(tf.reshape(shape, (1, -1)), (count, 1))
  first = tf.fingerprint(tf.concat([shape, flat], axis=1))
  # The same hash of other bytes: independent of the first for any image.
  second = tf.fingerprint(tf.bitwise.bitwise_xor(
      tf.concat([flat, shape], axis=1), tf.constant(_DIGEST_MASK, tf.uint8)))
  return tf.bitcast(tf.stack([first, second], axis=1), tf.int64)


def _hash_inputs(images: tf.Tensor) -> dict[str, tf.Tensor]:
  """Digests and thumbnails of a batch of uint8 images of one size."""
  count = tf.shape(images)[0]
  # Antialiased: a large photo is averaged down rather than sampled, so
  # its thumbnail does not depend on which pixels a resize happens to hit.
  # Images known to be no larger than the thumbnail are only scaled up,
  # where plain bilinear gives the same pixels several times faster.
  height, width = images.shape[1:3]
  small = None not in (height, width) and max(height, width) <= THUMB_SIDE
  thumbs = tf.image.resize(_shifted(_grayscale(images)),
                           (THUMB_SIDE, THUMB_SIDE), antialias=not small)
  thumbs = tf.reshape(thumbs, (count, len(SHIFTS), THUMB_SIDE, THUMB_SIDE))
  low = low_frequencies(tf.reshape(thumbs, (-1, THUMB_SIDE, THUMB_SIDE)))
  return {"digest": _digests(images),
          "low": tf.reshape(low, (count, len(SHIFTS), HASH_BITS)),
          # Kept to check candidate pairs pixel by pixel.
          "thumb": tf.cast(tf.round(tf.clip_by_value(
              thumbs[:, CENTER], 0, 255)), tf.uint8)}


def _facts(examples: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
  shape = tf.shape(examples["image"])
  return {"key": examples["tfds_id"],
          "label": tf.cast(examples["label"], tf.int64),
          "height": shape[-3], "width": shape[-2]}


def _per_batch(examples: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
  """Everything about a batch of same-size images, in a few batched ops."""
  facts = _facts(examples)
  count = tf.shape(examples["image"])[0]
  facts["height"] = tf.fill([count], facts["height"])
  facts["width"] = tf.fill([count], facts["width"])
  return {**facts, **_hash_inputs(examples["image"])}


def _per_example(example: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
  """Everything about one image, for datasets whose sizes vary."""
  inputs = _hash_inputs(example["image"][None])
  return {**_facts(example),
          **{name: value[0] for name, value in inputs.items()}}


def _dct_matrix(n: int) -> np.ndarray:
  """The orthonormal DCT-II as an [n, n] matrix: X = C @ x."""
  k = np.arange(n)[:, None]
  i = np.arange(n)[None, :]
  matrix = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2 / n)
  matrix[0] /= np.sqrt(2)
  return matrix.astype(np.float32)


# Only the lowest frequencies are needed: two small matrix products.
_LOW_DCT = _dct_matrix(THUMB_SIDE)[:LOW_FREQUENCIES]


def low_frequencies(thumbs: tf.Tensor) -> tf.Tensor:
  """The image's shape at low resolution, blind to brightness and contrast.

  Args:
    thumbs: float32 [batch, 32, 32].

  Returns:
    float32 [batch, 63]: the 8x8 lowest DCT coefficients but the constant
    term (which only says how bright the image is), scaled to unit length
    (which undoes a change of contrast).
  """
  low = tf.einsum("ki,bij,lj->bkl", _LOW_DCT, thumbs, _LOW_DCT)
  low = tf.reshape(low, (-1, LOW_FREQUENCIES * LOW_FREQUENCIES))[:, 1:]
  return tf.math.l2_normalize(low, axis=1, epsilon=1e-6)


def pack_bits(bits: np.ndarray) -> np.ndarray:
  """bool [..., 64] -> uint64 [...], bit 63 first."""
  packed = np.packbits(bits.astype(np.uint8), axis=-1)  # Big-endian bytes.
  return np.ascontiguousarray(packed).view(">u8")[..., 0].astype(np.uint64)


def fingerprint_dataset(ds: tf.data.Dataset, split: str) -> Fingerprints:
  """Hashes every example of a TFDS split in one parallel pass.

  Args:
    ds: Decoded examples with `image`, `label` and `tfds_id` (read with
      `tfds.ReadConfig(add_tfds_id=True)`), in any order.
    split: The split's name, recorded with each example.

  Returns:
    The split's `Fingerprints`.
  """
  if ds.element_spec["image"].shape.is_fully_defined():
    # Images of one size: batch first, so each op runs once per batch.
    ds = ds.batch(_BATCH).map(_per_batch, num_parallel_calls=tf.data.AUTOTUNE)
  else:
    ds = ds.map(_per_example, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(_BATCH)
  ds = ds.prefetch(tf.data.AUTOTUNE)
  columns = {name: [] for name in ("key", "label", "height", "width",
                                   "digest", "low", "thumb")}
  for batch in ds.as_numpy_iterator():
    for name, values in batch.items():
      columns[name].append(values)
  if not columns["key"]:
    raise ValueError(f"Split {split!r} has no examples to hash.")
  merged = {name: np.concatenate(parts) for name, parts in columns.items()}
  return Fingerprints(
      split=np.full(len(merged["key"]), split, dtype=object),
      key=np.array([key.decode() for key in merged["key"]], dtype=object),
      label=merged["label"], height=merged["height"],
      width=merged["width"], digest=merged["digest"],
      low=merged["low"].astype(np.float16), thumb=merged["thumb"])


def perceptual_hashes(low: np.ndarray) -> np.ndarray:
  """The 63-bit hashes of `Fingerprints.low`, balanced over the dataset.

  Bit k is set where coefficient k exceeds its median over the dataset's
  unshifted images: each bit then splits the dataset in half, so hashes
  spread evenly over their values, and images that look alike (all hands,
  all faces) still get hashes far apart unless they are copies.

  Args:
    low: float [n, shifts, 63], as `Fingerprints.low`.

  Returns:
    uint64 [n, shifts].
  """
  low = np.asarray(low, np.float32)
  medians = np.median(low[:, CENTER], axis=0)
  return pack_bits(low > medians)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  """Number of differing bits between two arrays of uint64 hashes."""
  return np.bitwise_count(np.bitwise_xor(a, b)).astype(np.int64)
