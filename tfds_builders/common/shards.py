"""The record files of a prepared TFDS dataset: whole, and which they are.

A training run and a report read a prepared dataset's shards many times.
A shard truncated or overwritten after the build makes TensorFlow fail deep
in a pass with `DataLossError: truncated record at 149553`, naming neither
the file nor the dataset, possibly after an epoch trained on half of it.
`check` reads every record of the shards once, up front (CRCs and record
counts against the build's own `dataset_info.json`), and names the shard
and the command that rebuilds it. `fingerprint` hashes the shards' bytes,
so a run can tell that a rebuild changed what it trains on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import hashlib
import re

import tensorflow as tf
import tensorflow_datasets as tfds

_CHUNK = 1 << 20


class DamagedShardError(RuntimeError):
  """A record file of a prepared dataset cannot be read whole."""


def base_splits(split: str) -> list[str]:
  """The named splits a TFDS split string reads: "train[:90%]+test" ->
  ["train", "test"]."""
  names = [re.split(r"[\[(]", part.strip())[0]
           for part in split.split("+")]
  return [n for n in names if n]


def files(builder: tfds.core.DatasetBuilder,
          splits: Iterable[str]) -> list[str]:
  """The record files holding `splits` (split strings), in a fixed order.

  Returns:
    Paths, or [] for a builder whose examples are not in record files (a
    mocked dataset, an in-memory folder reader).
  """
  paths = []
  for name in sorted({b for s in splits for b in base_splits(s)}):
    try:
      info = builder.info.splits[name]
      paths += [str(p) for p in info.filepaths]
    except (KeyError, AttributeError, TypeError, ValueError):
      continue
  return [p for p in paths if tf.io.gfile.exists(p)]


def check(builder: tfds.core.DatasetBuilder, splits: Sequence[str],
          rebuild: str) -> None:
  """Reads every record of `splits` once: raises naming a damaged shard.

  Args:
    builder: A prepared builder.
    splits: The split strings about to be read.
    rebuild: The command that rebuilds the dataset, for the message.

  Raises:
    DamagedShardError: a shard fails its record checksums or holds another
      number of records than the build wrote.
  """
  expected = {}
  for name in {b for s in splits for b in base_splits(s)}:
    try:
      info = builder.info.splits[name]
      expected.update(zip((str(p) for p in info.filepaths),
                          info.shard_lengths))
    except (KeyError, AttributeError, TypeError, ValueError):
      continue
  for path in files(builder, splits):
    try:
      count = int(tf.data.TFRecordDataset(path).reduce(
          tf.constant(0, tf.int64), lambda n, _: n + 1))
    except tf.errors.OpError as e:
      raise DamagedShardError(_message(builder, path, _detail(e), rebuild)
                              ) from None
    if path in expected and count != expected[path]:
      raise DamagedShardError(_message(
          builder, path, f"{count} records where the build wrote "
          f"{expected[path]}", rebuild))


def fingerprint(builder: tfds.core.DatasetBuilder,
                splits: Sequence[str]) -> str | None:
  """A SHA-256 of the bytes of the shards holding `splits`.

  A rebuild from other source files changes it; the same build repeated
  (TFDS writes deterministically) does not. None when there are no record
  files to hash.
  """
  paths = files(builder, splits)
  if not paths:
    return None
  digest = hashlib.sha256()
  for path in paths:
    digest.update(path.rsplit("/", 1)[-1].encode() + b"\0")
    with tf.io.gfile.GFile(path, "rb") as f:
      while chunk := f.read(_CHUNK):
        digest.update(chunk)
  return digest.hexdigest()


def _detail(error: tf.errors.OpError) -> str:
  return error.message.strip().splitlines()[0].split(" [Op:")[0]


def _message(builder, path: str, detail: str, rebuild: str) -> str:
  return (f"Dataset {builder.info.full_name} is damaged: {path}: {detail}. "
          f"Rebuild it: {rebuild}")
