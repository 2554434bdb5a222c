"""Exact and near-duplicate search over hashes, in about linear time.

Exact duplicates come from sorting the pixel digests. Near duplicates come
from multi-index hashing: the 63-bit perceptual hash is cut into bands, and
two hashes within `max_distance` bits of each other must agree on some band
to within one bit (if every band differed in two or more bits they would
differ in at least twice the number of bands, which is more than
`max_distance`). So each hash is looked up, per band, under its own band
value and the values one bit away (its shifted hashes under their own
values): every pair within the distance is found, and no pair of the
dataset is compared unless it shares a band that closely.
"""

from __future__ import annotations

import numpy as np

from tfds_builders.report import hashing


def exact_groups(digests: np.ndarray) -> list[np.ndarray]:
  """Indices of rows with equal digests, one array per group of two or more.

  Args:
    digests: [n, d] integer digests.

  Returns:
    Groups in order of their first member; each group's indices ascending.
  """
  n = len(digests)
  if n == 0:
    return []
  order = np.lexsort(digests.T[::-1])
  ordered = digests[order]
  starts = np.flatnonzero(np.r_[True, np.any(ordered[1:] != ordered[:-1],
                                             axis=1)])
  sizes = np.diff(np.r_[starts, n])
  groups = [np.sort(order[start:start + size])
            for start, size in zip(starts, sizes) if size > 1]
  return sorted(groups, key=lambda group: group[0])


def bands(max_distance: int,
          bits: int = hashing.HASH_BITS) -> list[tuple[int, int]]:
  """(shift, width) of each band: enough bands for one-bit probes to suffice.

  Args:
    max_distance: Largest Hamming distance to be found.
    bits: Hash length.

  Returns:
    `max_distance // 2 + 1` bands covering the hash, widths differing by at
    most one bit.
  """
  if not 0 <= max_distance < bits:
    raise ValueError(f"max_distance must be in 0..{bits - 1}, got "
                     f"{max_distance}.")
  count = max_distance // 2 + 1
  widths = [bits // count + (i < bits % count) for i in range(count)]
  shifts = np.cumsum([0] + widths[:-1]).tolist()
  return list(zip(shifts, widths))


def _band_candidates(index: np.ndarray, probes: np.ndarray,
                     rows: np.ndarray) -> np.ndarray:
  """Pairs where a probe equals an indexed band value.

  Args:
    index: [n] uint64 band values of every unshifted hash, sorted.
    probes: [q, p] uint64 values looked up for each queried hash.
    rows: [q] the queried hashes' row numbers.

  Returns:
    int64 [m, 2] pairs (query row, position in `index`), may repeat.
  """
  low = np.searchsorted(index, probes, side="left").ravel()
  counts = np.searchsorted(index, probes, side="right").ravel() - low
  total = int(counts.sum())
  queried = np.repeat(np.repeat(rows, probes.shape[1]), counts)
  # Positions low, low+1, ..., high-1 of every probe, flattened.
  offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
  return np.stack([queried, np.repeat(low, counts) + offsets], axis=1)


def hash_distance(phashes: np.ndarray, pairs: np.ndarray) -> np.ndarray:
  """Bits apart of each pair, at the shift that brings them closest.

  Args:
    phashes: [n, shifts] uint64, as `hashing.perceptual_hashes` returns.
    pairs: int64 [m, 2].

  Returns:
    int64 [m]: the fewest differing bits between one image's hash and any
    shifted hash of the other, either way round.
  """
  first, second = pairs[:, 0], pairs[:, 1]
  center = hashing.CENTER
  one_way = hashing.hamming(phashes[first], phashes[second, center, None])
  other_way = hashing.hamming(phashes[second], phashes[first, center, None])
  return np.minimum(one_way.min(axis=1), other_way.min(axis=1))


def candidate_pairs(phashes: np.ndarray, max_distance: int,
                    chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
  """The pairs of images whose hashes are at most `max_distance` apart.

  Every pair whose unshifted hashes are that close is found; a pair that
  is that close only once one image is shifted is found when the shifted
  hash agrees exactly with the other on one band, which is certain up to
  `len(bands(max_distance)) - 1` bits (a copy moved by a pixel and nothing
  else is 0 or 1 bit away). Shifted hashes probing one-bit neighbours too
  would cost nine times the lookups.

  Args:
    phashes: [n, shifts] uint64, as `hashing.perceptual_hashes` returns.
    max_distance: Largest `hash_distance` reported.
    chunk: Hashes queried at once (bounds the memory used).

  Returns:
    `(pairs, distances)`: int64 [m, 2] index pairs, i < j, in ascending
    order; int64 [m] their `hash_distance`.
  """
  phashes = np.asarray(phashes, dtype=np.uint64)
  n = len(phashes)
  found = [np.zeros([0], np.int64)]
  shifted = [i for i in range(phashes.shape[1]) if i != hashing.CENTER]
  for shift, width in bands(max_distance):
    mask = np.uint64((1 << width) - 1)
    values = np.bitwise_and(np.right_shift(phashes, np.uint64(shift)), mask)
    order = np.argsort(values[:, hashing.CENTER], kind="stable")
    index = values[order, hashing.CENTER]
    # The unshifted hash probes its band value and every value one bit
    # away; the shifted hashes only their own values (see `candidate_pairs`).
    flips = np.r_[np.uint64(0), np.left_shift(
        np.uint64(1), np.arange(width, dtype=np.uint64))]
    for start in range(0, n, chunk):
      rows = np.arange(start, min(start + chunk, n))
      probes = np.concatenate([
          np.bitwise_xor(values[rows, hashing.CENTER, None], flips),
          values[rows][:, shifted]], axis=1)
      pairs = _band_candidates(index, probes, rows)
      pairs[:, 1] = order[pairs[:, 1]]
      pairs = np.sort(pairs, axis=1)
      pairs = pairs[pairs[:, 0] != pairs[:, 1]]
      # One int64 per pair makes removing repeats a 1-D unique.
      flat = np.unique(pairs @ np.array([n, 1]))
      pairs = np.stack([flat // n, flat % n], axis=1)
      # Only the close ones are kept, so memory stays that of the result.
      found.append(flat[hash_distance(phashes, pairs) <= max_distance])
  flat = np.unique(np.concatenate(found))
  pairs = np.stack([flat // max(n, 1), flat % max(n, 1)], axis=1)
  return pairs, hash_distance(phashes, pairs)


def _detail(images: np.ndarray) -> np.ndarray:
  """What is left of each image once a 3x3 box blur is taken away.

  Fine detail (texture, grain, sensor noise) is what two different photos
  of one pose never share, while a copy keeps it through small shifts,
  brightness changes and re-encoding.
  """
  images = images.astype(np.float32)
  side = images.shape[1]
  padded = np.pad(images, ((0, 0), (1, 1), (1, 1)), mode="edge")
  blur = sum(padded[:, 1 + dy:1 + dy + side, 1 + dx:1 + dx + side]
             for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9
  return images - blur


def similarity(thumbs: np.ndarray, pairs: np.ndarray, max_shift: int = 1,
               chunk: int = 8192) -> np.ndarray:
  """Correlation of each pair's fine detail, at their best alignment.

  The normalized correlation of the thumbnails' detail (`_detail`) over
  their overlap ignores brightness and contrast; trying every shift up to
  `max_shift` thumbnail pixels undoes small moves.

  Args:
    thumbs: [n, side, side] uint8 grayscale thumbnails.
    pairs: int64 [m, 2].
    max_shift: Largest shift tried, in thumbnail pixels.
    chunk: Pairs compared at once (bounds the memory used).

  Returns:
    float32 [m], at most 1 (for images equal up to brightness and
    contrast); a flat image correlates 0 with anything.
  """
  side = thumbs.shape[1]
  used, inverse = np.unique(pairs, return_inverse=True)
  inverse = inverse.reshape(pairs.shape)
  detail = _detail(thumbs[used])
  detail -= detail.mean(axis=(1, 2), keepdims=True)
  # Integral images of the squared detail: the energy of any overlap in
  # four lookups, so each shift is normalized by what it compares.
  energy = np.zeros((len(used), side + 1, side + 1), np.float32)
  energy[:, 1:, 1:] = np.cumsum(np.cumsum(detail * detail, axis=1), axis=2)
  result = np.full(len(pairs), -1.0, np.float32)
  for start in range(0, len(pairs), chunk):
    part = inverse[start:start + chunk]
    a, b = detail[part[:, 0]], detail[part[:, 1]]
    best = result[start:start + chunk]
    for dy in range(-max_shift, max_shift + 1):
      for dx in range(-max_shift, max_shift + 1):
        ra = (max(0, dy), side + min(0, dy), max(0, dx), side + min(0, dx))
        rb = (max(0, -dy), side + min(0, -dy), max(0, -dx),
              side + min(0, -dx))
        x = a[:, ra[0]:ra[1], ra[2]:ra[3]]
        y = b[:, rb[0]:rb[1], rb[2]:rb[3]]
        norms = np.sqrt(_area(energy, part[:, 0], *ra) *
                        _area(energy, part[:, 1], *rb))
        # A flat image correlates with nothing; 0 rather than 0/0.
        corr = np.einsum("bij,bij->b", x, y) / np.maximum(norms, 1e-6)
        np.maximum(best, corr, out=best)
  return result


def _area(integral: np.ndarray, rows: np.ndarray, top: int, bottom: int,
          left: int, right: int) -> np.ndarray:
  """Sums over [top:bottom, left:right] of the images `rows` of `integral`."""
  return (integral[rows, bottom, right] - integral[rows, top, right] -
          integral[rows, bottom, left] + integral[rows, top, left])
