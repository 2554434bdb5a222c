"""Comparing runs: a folder without a run is named, datasets are shown."""

from __future__ import annotations

import json
import shutil

import pytest

from trainers.analysis import comparison
from trainers.run_dir import workdir as workdir_lib


def test_compare_names_a_workdir_without_a_run(tmp_path):
  with pytest.raises(FileNotFoundError, match="config.json"):
    workdir_lib.load_run(tmp_path)


def test_runs_on_different_datasets_are_told_apart(finished_run, tmp_path,
                                                   capsys):
  other = tmp_path / "other"
  shutil.copytree(finished_run, other)
  config = json.loads((other / "config.json").read_text())
  (other / "config.json").write_text(
      json.dumps({**config, "dataset": "cats_dogs/folder"}))
  paths = comparison.compare([finished_run, other], tmp_path / "out")
  table = paths["markdown"].read_text()
  assert "| run | sign_language_mnist | dli_cnn | 2 |" in table
  assert "| other | cats_dogs/folder | dli_cnn | 2 |" in table
  assert ("the runs were trained on different datasets (cats_dogs/folder, "
          "sign_language_mnist)") in capsys.readouterr().out
