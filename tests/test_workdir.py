"""Tests for reading a run directory back."""

from __future__ import annotations

import os

import keras
import pytest

from tfds_builders.common import files
from trainers.run_dir import export as export_lib
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


@pytest.mark.parametrize("name", ["model.keras", "config.json",
                                  "metrics.json"])
def test_a_damaged_run_file_is_named_with_what_to_do(finished_run, name):
  path = finished_run / name
  os.truncate(path, path.stat().st_size // 2)
  read = {"model.keras": workdir_lib.load_model,
          "config.json": workdir_lib.read_config,
          "metrics.json": workdir_lib.read_metrics}[name]
  with pytest.raises(workdir_lib.DamagedFileError,
                     match=rf"^{path} is damaged \(.*\); rerun the trainer "
                     "with the same --workdir to write it again.$"):
    read(finished_run)


def test_a_damaged_export_is_named(finished_run):
  (variables,) = (finished_run / "export" / "variables").glob("*.data-*")
  os.truncate(variables, variables.stat().st_size // 2)
  with pytest.raises(workdir_lib.DamagedFileError,
                     match=f"^{finished_run / 'export'} is damaged"):
    export_lib.load_export(finished_run / "export")
