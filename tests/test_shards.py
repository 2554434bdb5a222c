"""Tests for checking and fingerprinting a prepared dataset's record files."""

from __future__ import annotations

import os
import shutil

import pytest
import tensorflow_datasets as tfds

from tfds_builders.common import shards

_REBUILD = "tfds build sign_language_mnist --overwrite ..."


@pytest.fixture
def data_dir(asl_data_dir, tmp_path):
  """A copy of the session's built dataset, to damage."""
  copy = tmp_path / "tfds"
  shutil.copytree(asl_data_dir, copy)
  return str(copy)


def _builder(data_dir):
  return tfds.builder("sign_language_mnist", data_dir=data_dir)


def test_split_strings_name_their_base_splits():
  assert shards.base_splits("train[:90%]+test") == ["train", "test"]
  assert shards.base_splits("validation") == ["validation"]


@pytest.mark.parametrize("damage", ["truncated", "zero-padded", "emptied"])
def test_a_damaged_shard_is_named_with_the_rebuild_command(data_dir, damage):
  builder = _builder(data_dir)
  (shard,) = builder.info.splits["train"].filepaths
  size = os.path.getsize(shard)
  if damage == "truncated":
    os.truncate(shard, size // 2)
  elif damage == "zero-padded":
    os.truncate(shard, size + 4096)
  else:
    os.truncate(shard, 0)
  shards.check(builder, ["test"], _REBUILD)  # The test split is whole.
  with pytest.raises(shards.DamagedShardError) as damaged:
    shards.check(builder, ["train[90%:]"], _REBUILD)
  message = str(damaged.value)
  assert message.startswith(
      f"Dataset sign_language_mnist/auto/1.0.0 is damaged: {shard}: ")
  assert message.endswith(f"Rebuild it: {_REBUILD}")


def test_the_fingerprint_follows_the_records_not_their_folder(
    data_dir, asl_data_dir, tmp_path):
  whole = shards.fingerprint(_builder(asl_data_dir), ["train[:90%]"])
  assert shards.fingerprint(_builder(data_dir), ["train"]) == whole
  assert shards.fingerprint(_builder(data_dir), ["test"]) != whole
  (shard,) = _builder(data_dir).info.splits["train"].filepaths
  with open(shard, "r+b") as f:
    f.seek(100)
    f.write(b"\xff")
  assert shards.fingerprint(_builder(data_dir), ["train"]) != whole
