"""The trainer's data: what a training pass through the tf.data service sees."""

from __future__ import annotations

import collections

import asl_pipeline
from tests import helpers
from trainers.command_line import config as config_lib
from trainers.training import data as data_lib


def test_a_training_pass_through_the_service_repeats_no_example(
    asl_data_dir, service_cluster):
  config = config_lib.Config(data_dir=asl_data_dir, batch_size=16).validate()
  spec = data_lib.DataSpec.create(config)
  split = collections.Counter(helpers.example_keys(asl_pipeline.eval_dataset(
      "sign_language_mnist", batch_size=96, split=config.train_split,
      data_dir=asl_data_dir)))
  served = asl_pipeline.service.distribute(spec.service_epoch(16),
                                           service_cluster.address)
  got = collections.Counter(helpers.example_keys(served))
  assert max(got.values()) == 1 and set(got) <= set(split)
  # Each of the 2 service workers drops at most its last partial batch.
  assert len(got) >= sum(split.values()) - 2 * 15
