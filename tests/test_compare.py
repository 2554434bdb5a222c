"""Reading runs back: a folder without a run is named."""

from __future__ import annotations

import pytest

from trainers.run_dir import workdir as workdir_lib


def test_compare_names_a_workdir_without_a_run(tmp_path):
  with pytest.raises(FileNotFoundError, match="config.json"):
    workdir_lib.load_run(tmp_path)
