"""Tests for reading a run directory back."""

from __future__ import annotations

import keras
import pytest

from tfds_builders.common import files
from trainers.run_dir import workdir as workdir_lib


def test_a_folder_swap_interrupted_between_its_renames_leaves_the_old_one(
    tmp_path):
  export = tmp_path / "export"
  files.replace_dir(export, lambda d: (d.mkdir(), (
      d / "saved_model.pb").write_text("old")))
  # A kill between the two renames: the old export waits aside, where
  # `find_export` looks for it.
  export.rename(tmp_path / workdir_lib.OLD_EXPORT)
  assert workdir_lib.find_export(tmp_path) == tmp_path / workdir_lib.OLD_EXPORT


def test_keras_files_load_in_safe_mode(tmp_path):
  inputs = keras.Input((2,))
  outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
  keras.Model(inputs, outputs).save(tmp_path / "model.keras")
  with pytest.raises(ValueError, match="safe_mode"):
    workdir_lib.load_model(tmp_path)
