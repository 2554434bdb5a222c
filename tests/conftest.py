"""Shared fixtures: small datasets built once per test session."""

from __future__ import annotations

import os

# Keep TensorFlow's C++ start-up banner out of test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # pylint: disable=g-import-not-at-top
import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top

import tfds_builders  # pylint: disable=g-import-not-at-top,unused-import
from tfds_builders.sign_language_mnist import make_sample  # pylint: disable=g-import-not-at-top

ASL_TRAIN_ROWS = 480
ASL_TEST_ROWS = 96


def build_sign_language_mnist(csv_dir, data_dir, **sample_kwargs):
  """Writes a synthetic CSV sample and builds it with TFDS.

  Returns:
    The TFDS builder of the prepared dataset.
  """
  make_sample.make_sample(str(csv_dir), **sample_kwargs)
  builder = tfds.builder("sign_language_mnist", data_dir=str(data_dir))
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(csv_dir)))
  return builder


@pytest.fixture(scope="session")
def asl_data_dir(tmp_path_factory):
  """A TFDS data_dir holding a small prepared `sign_language_mnist`."""
  root = tmp_path_factory.mktemp("asl")
  build_sign_language_mnist(root / "csv", root / "tfds",
                            train_rows=ASL_TRAIN_ROWS,
                            test_rows=ASL_TEST_ROWS, seed=0)
  return str(root / "tfds")


@pytest.fixture(scope="session")
def trained_asl_workdir(asl_data_dir, tmp_path_factory):
  """A finished two-epoch DLI CNN run (export included), read-only to tests.

  Two epochs, so that the training curves have a line to draw.
  """
  # Imported here: collecting tests that never train should not load Keras.
  from trainers.command_line import config as config_lib  # pylint: disable=g-import-not-at-top
  from trainers.training import loop  # pylint: disable=g-import-not-at-top
  path = tmp_path_factory.mktemp("asl_run")
  loop.train_and_evaluate(config_lib.Config(
      data_dir=asl_data_dir, epochs=2, batch_size=16, steps_per_epoch=2,
      eval_batch_size=96, summary_images=0), path)
  return path
