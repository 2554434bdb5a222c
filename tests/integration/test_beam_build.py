"""The cats_dogs builder on Apache Beam gives the in-process build's dataset."""

from __future__ import annotations

import shutil

import apache_beam as beam
import pytest
import tensorflow_datasets as tfds

from tests import helpers
from tfds_builders.cats_dogs import cats_dogs_dataset_builder
from tfds_builders.cats_dogs import folder_source
from tfds_builders.common import image_files
from tfds_builders.cats_dogs import make_sample


def _beam_options():
  # The DirectRunner's engine, in this process, one worker: the same pipeline
  # as on a cluster without starting worker processes. `flags=[]` keeps
  # pytest's own arguments away from Beam's parser.
  return beam.options.pipeline_options.PipelineOptions(
      flags=[], runner="FnApiRunner", direct_num_workers=1,
      direct_running_mode="in_memory")


def _build(manual_dir, data_dir, config, beam_options=None):
  builder = helpers.build_dataset("cats_dogs", manual_dir, data_dir, config,
                                  beam_options)
  # Read back from disk: what a later `tfds.load` sees.
  return tfds.builder_from_directory(str(builder.data_dir))


def _records(builder):
  """Split -> key -> (label, stored JPEG bytes) of every example."""
  return {
      split: {ex["file_name"].decode(): (int(ex["label"]), ex["image"])
              for ex in tfds.as_numpy(builder.as_dataset(
                  split=split,
                  decoders={"image": tfds.decode.SkipDecoding()}))}
      for split in builder.info.splits}


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
  """A small tree with broken, odd, misfiled and unlisted files in it."""
  src = tmp_path_factory.mktemp("cats_dogs_beam") / "src"
  make_sample.make_sample(str(src), per_class=2, test_per_class=1, size=16,
                          seed=3)
  return src


@pytest.mark.parametrize("config", [cats_dogs_dataset_builder.CATS_DOGS,
                                    cats_dogs_dataset_builder.FOLDER])
def test_beam_build_equals_in_process_build(photos, tmp_path, config,
                                            monkeypatch):
  local = _build(photos, tmp_path / "local", config)

  def no_thread_pool(*args, **kwargs):
    raise AssertionError("images checked in process, not by Beam workers")

  # Beam's workers check the images; the in-process thread pool stays idle.
  monkeypatch.setattr(image_files, "ordered_map", no_thread_pool)
  on_beam = _build(photos, tmp_path / "beam", config, _beam_options())

  expected = _records(local)
  assert set(expected) == {"train", "test"}
  # Skipped files are in the sample, so the tallies below are not all zero.
  assert local.info.metadata["counts"]["train"]["undecodable_files"] == 2
  assert _records(on_beam) == expected
  assert {s: i.num_examples for s, i in on_beam.info.splits.items()} == {
      s: len(records) for s, records in expected.items()}
  assert on_beam.info.features["label"].names == (
      local.info.features["label"].names)
  # metadata.json: class names, every count and the skipped files named.
  assert on_beam.info.metadata == local.info.metadata
  # The workers' listing and summary files are gone; the shards match.
  assert sorted(p.name for p in on_beam.data_path.iterdir()) == sorted(
      p.name for p in local.data_path.iterdir())


def test_bad_label_csv_fails_a_beam_build_before_any_worker(photos, tmp_path):
  src = tmp_path / "src"
  shutil.copytree(photos, src)
  with open(src / "train" / "label.csv", "a", encoding="utf-8") as f:
    f.write("cats/cat_0000.jpg,horse\n")
  # The listing's own error, not a worker failure wrapped by the runner.
  with pytest.raises(folder_source.LabelCsvError,
                     match=r"train/label\.csv:\d+: label 'horse' is neither"):
    _build(src, tmp_path / "tfds", cats_dogs_dataset_builder.CATS_DOGS,
           _beam_options())
  assert not list((tmp_path / "tfds").glob("cats_dogs/**/*.tfrecord*"))
