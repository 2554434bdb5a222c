"""Checks a split's images on Apache Beam workers.

Used when the dataset is built with Beam (`tfds build ...
--beam_pipeline_options=...`). The launcher has already listed and labelled
every file (each check that can fail the build runs there, before any worker
starts); it writes that listing beside the dataset being built. Workers read
it, decode, check and re-encode each image as the in-process build does, and
tally what they skipped or changed into a summary file that the launcher
reads back into the dataset's metadata once the pipeline has run.

The listing and the summary live in the dataset's temporary build folder, so
a cluster runner needs that folder where its workers can reach it, as it does
for the records themselves.
"""

from __future__ import annotations

import collections
import json

from absl import logging
import apache_beam as beam
from etils import epath

from tfds_builders.cats_dogs import folder_source
from tfds_builders.common import files
from tfds_builders.common import image_files

# Skipped files named in the metadata per reason, the first in listing order;
# the in-process build keeps as many.
MAX_EXAMPLE_KEYS = 20
# Count key of the images stored, as the in-process build names it.
EXAMPLES = "examples"
COUNTER_NAMESPACE = "cats_dogs"

_NOTES = "notes"
_SKIPPED = "skipped"


def listing_path(workdir: epath.Path, split: str) -> epath.Path:
  """Where `CheckImages` writes a split's listing for the workers."""
  return workdir / f"cats_dogs-{split}.listing.jsonl"


def summary_path(workdir: epath.Path, split: str) -> epath.Path:
  """Where the workers' tallies of a split are written."""
  return workdir / f"cats_dogs-{split}.summary.json"


class CheckImages(beam.PTransform):
  """Checks the images of one split: PBegin -> (key, example).

  Constructing it writes the split's listing into `workdir`; the examples
  have the same keys and features as the in-process build's.
  """

  def __init__(self, source: folder_source.SplitSource, workdir: epath.Path,
               *, max_side: int | None, quality: int):
    """Writes the listing of `source` for the workers.

    Args:
      source: The split's labelled files.
      workdir: A folder every worker can read and write (the dataset's
        temporary build folder).
      max_side: Longest stored side, or None.
      quality: JPEG quality of re-encoded images.
    """
    super().__init__()
    self._split = source.name
    self._listing = listing_path(workdir, source.name)
    self._summary = summary_path(workdir, source.name)
    self._max_side = max_side
    self._quality = quality
    # A file rather than `beam.Create`: Create embeds its values in the job
    # description, which cluster runners cap at a few megabytes; a listing of
    # a million photos is a hundred. Each line carries the file's place in
    # the listing, so that skipped files are reported in listing order.
    files.write_text(self._listing, "".join(
        json.dumps([index, entry.key, str(entry.path), entry.label]) + "\n"
        for index, entry in enumerate(source.entries)))

  def expand(self, pipeline):
    checked = (
        pipeline
        | "ReadListing" >> beam.io.ReadFromText(str(self._listing))
        # One worker reads the listing; shuffling it hands the files out
        # across all of them.
        | "Spread" >> beam.Reshuffle()
        | "Check" >> beam.ParDo(
            _CheckImage(self._split, self._max_side, self._quality)
        ).with_outputs(_NOTES, _SKIPPED, main=EXAMPLES))
    counts = (
        (checked[_NOTES], checked[_SKIPPED] | "Reasons" >> beam.Keys())
        | "AllNotes" >> beam.Flatten()
        | "Count" >> beam.combiners.Count.PerElement()
        | "Counts" >> beam.combiners.ToDict())
    first_skipped = (
        checked[_SKIPPED]
        | "FirstSkipped" >> beam.combiners.Top.SmallestPerKey(MAX_EXAMPLE_KEYS)
        | "SkippedByReason" >> beam.combiners.ToDict())
    _ = counts | "WriteSummary" >> beam.Map(
        _write_summary, path=str(self._summary),
        first_skipped=beam.pvalue.AsSingleton(first_skipped))
    return checked[EXAMPLES]


class _CheckImage(beam.DoFn):
  """Listing line -> (key, example); notes and skips to tagged outputs."""

  def __init__(self, split: str, max_side: int | None, quality: int):
    super().__init__()
    self._split = split
    self._max_side = max_side
    self._quality = quality

  def setup(self):
    # Live progress in the runner's UI; the metadata comes from the summary,
    # which a retried bundle cannot count twice.
    self._stored = beam.metrics.Metrics.counter(
        COUNTER_NAMESPACE, f"{self._split}_{EXAMPLES}")
    self._skipped = beam.metrics.Metrics.counter(
        COUNTER_NAMESPACE, f"{self._split}_skipped")

  def process(self, line: str):
    index, key, path, label = json.loads(line)
    try:
      result = image_files.to_rgb_jpeg(
          image_files.read_file(path), max_side=self._max_side,
          quality=self._quality)
    except image_files.SkippedImage as e:
      logging.warning("cats_dogs: skipping %s (%s)", key, e)
      self._skipped.inc()
      yield beam.pvalue.TaggedOutput(_SKIPPED, (e.reason, (index, key)))
      return
    self._stored.inc()
    for note in result.notes + (EXAMPLES,):
      yield beam.pvalue.TaggedOutput(_NOTES, note)
    yield key, {"image": result.jpeg, "label": label, "file_name": key}


def _write_summary(counts: dict[str, int], path: str,
                   first_skipped: dict[str, list[tuple[int, str]]]) -> None:
  """Writes one split's tallies as JSON (see `read_summary`)."""
  files.write_text(epath.Path(path), json.dumps({
      "counts": counts,
      "skipped": {reason: [key for _, key in sorted(firsts)]
                  for reason, firsts in first_skipped.items()},
  }))


def read_summary(source: folder_source.SplitSource, workdir: epath.Path
                 ) -> tuple[collections.Counter, dict[str, list[str]]]:
  """Counts and skipped keys of a split, listing and workers together.

  Removes the split's listing and summary files, which are not part of the
  dataset.

  Args:
    source: The split's listing, as `CheckImages` was given it.
    workdir: The folder `CheckImages` was given.

  Returns:
    Count key -> count, and reason -> the first skipped keys, as the
    in-process build records them.
  """
  path = summary_path(workdir, source.name)
  summary = json.loads(path.read_text(encoding="utf-8"))
  path.unlink()
  listing_path(workdir, source.name).unlink()
  counts = collections.Counter(source.counts)
  counts.update(summary["counts"])
  examples = {reason: list(keys) for reason, keys in source.examples.items()}
  for reason, keys in summary["skipped"].items():
    examples.setdefault(reason, []).extend(keys)
  return counts, examples
