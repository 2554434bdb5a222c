"""The comparison of runs: what it refuses."""

from __future__ import annotations

import pytest

from trainers import compare


def test_compare_names_a_workdir_without_a_run(tmp_path):
  with pytest.raises(FileNotFoundError, match="config.json"):
    compare.load_run(tmp_path)
