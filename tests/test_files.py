"""Tests for files and folders written whole or not at all."""

from __future__ import annotations

import json

import pytest

from tfds_builders.common import files


def test_files_and_folders_are_replaced_whole_or_not_at_all(tmp_path):
  target = tmp_path / "metrics.json"
  files.write_json(target, {"old": 1})
  with pytest.raises(RuntimeError):
    with files.atomic_path(target) as tmp:
      tmp.write_text('{"half')
      raise RuntimeError("killed while writing")
  assert json.loads(target.read_text()) == {"old": 1}
  assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]

  export = tmp_path / "export"
  files.replace_dir(export, lambda d: (d.mkdir(), (
      d / "saved_model.pb").write_text("old")))

  def half_written(d):
    d.mkdir()
    (d / "saved_model.pb").write_text("new, half")
    raise RuntimeError("killed while exporting")

  with pytest.raises(RuntimeError):
    files.replace_dir(export, half_written, previous=tmp_path / "export.old")
  assert (export / "saved_model.pb").read_text() == "old"

