"""Shipped flagfiles are found from any directory, without TensorFlow."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from tests import helpers
from trainers import configs

SHIPPED = helpers.CONFIGS


def test_names_and_paths_of_the_shipped_configs(tmp_path, monkeypatch):
  assert {"asl", "asl_demo", "cats_dogs_cnn"} <= set(configs.names())
  monkeypatch.chdir(tmp_path)  # not a checkout
  for name in ("asl", "asl.flags", "trainers/configs/asl.flags"):
    assert configs.path(name) == SHIPPED / "asl.flags"
  own = tmp_path / "asl.flags"  # a file of the user's wins over the shipped
  own.write_text("--epochs=1\n")
  assert configs.path("asl.flags") == pathlib.Path("asl.flags")
  with pytest.raises(FileNotFoundError, match=r"'asll'.*asl, asl_demo"):
    configs.path("asll")
  with pytest.raises(FileNotFoundError):
    configs.path("elsewhere/asl.flags")  # a path that is not the checkout's


def test_resolve_argv_rewrites_only_flagfile_values(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  argv = ["prog", "--flagfile=asl", "--flagfile", "cats_dogs_cnn",
          "--epochs=3", "asl", "--", "--flagfile=asl"]
  assert configs.resolve_argv(argv) == [
      "prog", f"--flagfile={SHIPPED / 'asl.flags'}", "--flagfile",
      str(SHIPPED / "cats_dogs_cnn.flags"), "--epochs=3", "asl", "--",
      "--flagfile=asl"]
  with pytest.raises(FileNotFoundError, match="No flagfile 'nope'"):
    configs.resolve_argv(["prog", "--flagfile=nope"])


def test_command_prints_paths_from_anywhere_without_tensorflow(tmp_path):
  def run(*args):
    return subprocess.run(
        [sys.executable, "-c",
         "import runpy, sys; sys.argv[1:] = " + repr(list(args)) + "\n"
         "try:\n  runpy.run_module('trainers.configs', run_name='__main__')\n"
         "finally:\n  assert 'tensorflow' not in sys.modules\n"],
        cwd=tmp_path, env={"PYTHONPATH": str(helpers.ROOT)},
        capture_output=True, text=True, timeout=60, check=False)
  listing = run()
  assert listing.returncode == 0, listing.stderr
  rows = dict(line.split() for line in listing.stdout.splitlines())
  assert rows["asl_demo"] == str(SHIPPED / "asl_demo.flags")
  assert set(rows) == set(configs.names())
  one = run("asl")
  assert one.stdout.strip() == str(SHIPPED / "asl.flags")
  bad = run("asll")
  assert bad.returncode == 2 and "shipped configs" in bad.stderr
