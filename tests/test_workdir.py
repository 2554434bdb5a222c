"""The run directory: outputs replaced whole, models loaded safely."""

from __future__ import annotations

import json
import os

import keras
import pytest

from trainers.run_dir import workdir as workdir_lib


def test_outputs_are_replaced_whole_or_not_at_all(tmp_path):
  target = tmp_path / "metrics.json"
  workdir_lib.write_json(target, {"old": 1})
  with pytest.raises(RuntimeError):
    with workdir_lib.atomic_file(target) as tmp:
      tmp.write_text('{"half')
      raise RuntimeError("killed while writing")
  assert json.loads(target.read_text()) == {"old": 1}
  assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]

  export = tmp_path / "export"
  workdir_lib.replace_dir(export, lambda d: (d.mkdir(), (
      d / "saved_model.pb").write_text("old")))

  def half_written(d):
    d.mkdir()
    (d / "saved_model.pb").write_text("new, half")
    raise RuntimeError("killed while exporting")

  with pytest.raises(RuntimeError):
    workdir_lib.replace_dir(export, half_written)
  assert (export / "saved_model.pb").read_text() == "old"
  # A kill between the two renames leaves the old export where it is found.
  os.rename(export, tmp_path / "export.old")
  assert workdir_lib.find_export(tmp_path) == tmp_path / "export.old"


def test_keras_files_load_in_safe_mode(trained_asl_workdir, tmp_path):
  inputs = keras.Input((2,))
  outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
  keras.Model(inputs, outputs).save(tmp_path / "model.keras")
  (tmp_path / "config.json").write_text(
      (trained_asl_workdir / "config.json").read_text())
  with pytest.raises(ValueError, match="safe_mode"):
    workdir_lib.load_run(tmp_path)
