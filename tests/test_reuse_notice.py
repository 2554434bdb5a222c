"""Tests for the warning when `tfds build` keeps an earlier build."""

from __future__ import annotations

import logging

import tensorflow_datasets as tfds


def test_a_kept_build_is_a_warning_naming_overwrite(asl_data_dir, caplog):
  builder = tfds.builder("sign_language_mnist", data_dir=asl_data_dir)
  with caplog.at_level(logging.WARNING):
    builder.download_and_prepare()
  (warning,) = [r.getMessage() for r in caplog.records
                if r.levelno == logging.WARNING]
  assert warning.startswith("sign_language_mnist/auto/1.0.0 is already "
                            f"built in {builder.data_dir}")
  assert "add --overwrite" in warning
