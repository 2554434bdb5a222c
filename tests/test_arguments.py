"""Tests for the pipelines' argument checks: each error names its argument."""

from __future__ import annotations

import numpy as np
import pytest

import asl_pipeline as ap


@pytest.mark.parametrize("arguments,message", [
    (dict(seed="abc"), "seed must be an int from 0 to 4294967295, got 'abc'"),
    (dict(seed=2**70), "seed must be an int from 0 to 4294967295"),
    (dict(seed=-1), "seed must be an int from 0 to 4294967295, got -1"),
    (dict(exclude_ids="abc"), "exclude_ids must be a collection of TFDS id "
     "strings"),
    (dict(exclude_ids=[1, 2]), "exclude_ids must hold TFDS id strings, got"),
    (dict(shuffle_buffer="x"), "shuffle_buffer must be an int of at least 1"),
    (dict(start_batch=1.5), "start_batch must be an int of at least 0"),
    (dict(cache="no"), "cache must be True or False, got 'no'"),
    (dict(batch_size=True), "batch_size must be an int of at least 1"),
])
def test_train_dataset_names_the_bad_argument(arguments, message):
  kwargs = dict(batch_size=8, **{k: v for k, v in arguments.items()
                                 if k != "batch_size"})
  if "batch_size" in arguments:
    kwargs["batch_size"] = arguments["batch_size"]
  with pytest.raises(ValueError, match=message):
    ap.train_dataset("never_looked_up", **kwargs)


def test_numpy_integers_and_none_seeds_are_taken(asl_data_dir):
  for seed in (np.int64(3), None, 2**32 - 1):
    ap.train_dataset("sign_language_mnist", batch_size=np.int32(8),
                     data_dir=asl_data_dir, seed=seed)


def test_eval_dataset_refuses_a_string_for_include_ids():
  with pytest.raises(ValueError, match="include_ids must be a collection"):
    ap.eval_dataset("never_looked_up", batch_size=8, include_ids="abc")
