"""The trainer's data: its identity, its damage, its service passes."""

from __future__ import annotations

import collections
import os
import shutil

import pytest

import asl_pipeline
from tests import helpers
from tfds_builders.common import shards
from trainers.command_line import config as config_lib
from trainers.training import data as data_lib


def test_a_training_pass_through_the_service_repeats_no_example(
    asl_data_dir, service_cluster):
  config = config_lib.Config(data_dir=asl_data_dir, batch_size=16).validate()
  spec = data_lib.DataSpec.create(config)
  split = collections.Counter(helpers.example_keys(asl_pipeline.eval_dataset(
      "sign_language_mnist", batch_size=96, split=config.train_split,
      data_dir=asl_data_dir)))
  held_out = set(helpers.example_keys(spec.validation()))
  assert len(held_out) == 48
  for key in held_out:
    del split[key]  # Validated on, never trained on.
  served = asl_pipeline.service.distribute(spec.service_epoch(16),
                                           service_cluster.address)
  got = collections.Counter(helpers.example_keys(served))
  assert max(got.values()) == 1 and set(got) <= set(split)
  # Each of the 2 service workers drops at most its last partial batch.
  assert len(got) >= sum(split.values()) - 2 * 15


def test_the_identity_names_dataset_examples_and_records(asl_data_dir):
  spec = data_lib.DataSpec.create(config_lib.Config(data_dir=asl_data_dir))
  assert spec.identity["dataset"] == "sign_language_mnist/auto/1.0.0"
  assert spec.identity["train_examples"] == 432  # train[:90%] of 480.
  assert len(spec.identity["records"]) == 64


def test_a_damaged_shard_stops_a_run_before_any_work(asl_data_dir, tmp_path):
  data_dir = tmp_path / "tfds"
  shutil.copytree(asl_data_dir, data_dir)
  (shard,) = (data_dir / "sign_language_mnist" / "auto" / "1.0.0").glob(
      "*-test.tfrecord-*")
  os.truncate(shard, shard.stat().st_size - 10)
  with pytest.raises(shards.DamagedShardError,
                     match=rf"{shard}: .*Rebuild it: tfds build "
                     "sign_language_mnist --imports=tfds_builders "
                     "--config=auto --overwrite"):
    data_lib.DataSpec.create(config_lib.Config(data_dir=str(data_dir)))
