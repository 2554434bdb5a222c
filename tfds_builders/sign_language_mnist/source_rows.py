"""Which CSV line each built Sign Language MNIST example came from.

The builder keys every example by its line in the source file, but TFDS
stores examples in the order of a hash of their keys and keeps only the
record's position (`tfds_id`), not the key. The build does record where
each split came from (`metadata["sources"]`), so the line of an example
is found by reading that file again and matching the example's pixels to
its rows: exact, since PNG is lossless, and independent of how a TFDS
version orders records. Rows with identical pixels are told apart by
their label, then given out in line order.

Nothing here changes the stored dataset: a dataset whose source file has
moved simply gets no lines (callers fall back to the TFDS id).
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
import re

from etils import epath
import tensorflow as tf
import tensorflow_datasets as tfds

from tfds_builders.common import example_ids
from tfds_builders.sign_language_mnist import csv_source


def split_of(tfds_id: str) -> str | None:
  """The split a TFDS id's record file belongs to, e.g. `train`.

  TFDS ids read `NAME-SPLIT.tfrecord-00000-of-00001__INDEX`.
  """
  found = re.match(r"^[^-]+-([^.]+)\.", tfds_id)
  return found[1] if found else None


def source_file(recorded: str) -> csv_source.SourceFile | None:
  """The `SourceFile` a build recorded as `str(source)`, if still there.

  Args:
    recorded: `PATH` or, for a zip member, `ARCHIVE!MEMBER`.

  Returns:
    The file, or None when it no longer exists.
  """
  path, member = epath.Path(recorded), None
  if not path.exists() and "!" in recorded:
    archive, _, member = recorded.rpartition("!")
    path = epath.Path(archive)
  return csv_source.SourceFile(path, member) if path.exists() else None


def display_name(source: csv_source.SourceFile) -> str:
  """The file name a user knows the CSV by: `sign_mnist_train.csv`."""
  return (source.member or str(source.path)).rsplit("/", 1)[-1]


def _rows_by_pixels(parsed: csv_source.ParsedSplit
                    ) -> dict[bytes, list[tuple[int, int]]]:
  """Pixel bytes -> [(raw label, line)] of the rows holding them."""
  rows = collections.defaultdict(list)
  for image, label, line in zip(parsed.images, parsed.raw_labels.tolist(),
                                parsed.line_numbers.tolist()):
    rows[image.tobytes()].append((label, line))
  return rows


def _examples(builder: tfds.core.DatasetBuilder, split: str,
              ids: set[str]) -> list[tuple[str, bytes, int]]:
  """`(tfds_id, pixel bytes, class index)` of the chosen examples."""
  ds = builder.as_dataset(split=split, shuffle_files=False,
                          read_config=tfds.ReadConfig(add_tfds_id=True))
  ds = example_ids.select_keys(ds, ids).map(
      lambda e: (e["tfds_id"], e["image"], tf.cast(e["label"], tf.int64)))
  return [(key.decode(), image.tobytes(), int(label))
          for key, image, label in ds.as_numpy_iterator()]


def lines(builder: tfds.core.DatasetBuilder,
          ids: Iterable[str]) -> dict[str, str]:
  """`FILE:LINE` of each example, by TFDS id.

  Args:
    builder: A prepared `sign_language_mnist` builder.
    ids: TFDS ids of its examples, of any splits.

  Returns:
    `{tfds_id: "sign_mnist_train.csv:LINE"}` for every id whose split's
    source file still exists and holds the example's pixels; other ids are
    left out.
  """
  sources = dict((builder.info.metadata or {}).get("sources", {}))
  scheme = (builder.info.metadata or {}).get("label_scheme",
                                             csv_source.KAGGLE)
  by_split = collections.defaultdict(set)
  for key in ids:
    by_split[split_of(key)].add(key)
  found = {}
  for split, wanted in sorted(by_split.items(), key=lambda kv: str(kv[0])):
    source = source_file(sources[split]) if split in sources else None
    if source is None:
      continue
    parsed = csv_source.parse_csv(source)
    rows = _rows_by_pixels(parsed)
    classes = csv_source.to_class_index(parsed, scheme, "")
    class_of_line = dict(zip(parsed.line_numbers.tolist(), classes.tolist()))
    taken = set()
    for key, pixels, label in sorted(_examples(builder, split, wanted)):
      candidates = [line for _, line in rows.get(pixels, ())
                    if line not in taken]
      # Identical pixels: the row with the example's label, else any.
      same = [line for line in candidates if class_of_line[line] == label]
      if candidates:
        line = (same or candidates)[0]
        taken.add(line)
        found[key] = f"{display_name(source)}:{line}"
  return found

