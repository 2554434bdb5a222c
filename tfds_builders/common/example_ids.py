"""Keeping or dropping examples by their TFDS id, inside a tf.data graph.

The ids are matched as 64-bit fingerprints against a sorted constant, not
through a lookup-table resource: the filter is then a pure function of the
example, so the dataset can still be sent to the tf.data service or copied
to several input pipelines. Two different ids share a fingerprint with
probability about 2^-63 per pair.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import tensorflow as tf

ID_KEY = "tfds_id"
_BUCKETS = 2**63 - 1


def _fingerprints(ids) -> tf.Tensor:
  return tf.strings.to_hash_bucket_fast(ids, _BUCKETS)


def _membership(ds: tf.data.Dataset, keys: Iterable[str], key: str):
  """A predicate `example -> bool`: is `example[key]` one of `keys`?"""
  spec = ds.element_spec
  if not isinstance(spec, dict) or key not in spec:
    found = list(spec) if isinstance(spec, dict) else spec
    raise ValueError(
        f"Examples have no {key!r} to match ids against (they have "
        f"{found}); read the dataset with "
        "tfds.ReadConfig(add_tfds_id=True).")
  keys = [str(k) for k in keys]
  table = tf.constant(np.unique(_fingerprints(keys).numpy())
                      if keys else np.zeros([0], np.int64))

  def contains(example):
    if not keys:
      return tf.constant(False)
    probe = _fingerprints(example[key])
    index = tf.minimum(tf.searchsorted(table, probe[None],
                                       out_type=tf.int64)[0],
                       tf.size(table, out_type=tf.int64) - 1)
    return tf.equal(table[index], probe)

  return contains


def drop_keys(ds: tf.data.Dataset, keys: Iterable[str], *,
              key: str = ID_KEY) -> tf.data.Dataset:
  """Removes the examples whose id is in `keys`.

  Args:
    ds: Unbatched example dicts read with
      `tfds.ReadConfig(add_tfds_id=True)` (or holding another string id
      under `key`).
    keys: Ids to remove, e.g. from `leaks.cross_split_duplicate_keys`.
    key: The example field holding the id.

  Returns:
    The dataset without those examples, otherwise unchanged and in order.

  Raises:
    ValueError: the examples carry no `key` field.
  """
  contains = _membership(ds, keys, key)
  return ds.filter(lambda example: tf.logical_not(contains(example)))


def select_keys(ds: tf.data.Dataset, keys: Iterable[str], *,
                key: str = ID_KEY) -> tf.data.Dataset:
  """Keeps only the examples whose id is in `keys` (see `drop_keys`)."""
  return ds.filter(_membership(ds, keys, key))
