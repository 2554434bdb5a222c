"""The wheel carries what users of an installed package need."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from tests import helpers


def test_wheel_carries_builder_metadata_and_flagfiles(tmp_path):
  subprocess.run([sys.executable, "-m", "pip", "wheel", str(helpers.ROOT),
                  "--no-deps",
                  "--quiet", "-w", str(tmp_path)], check=True, timeout=300,
                 cwd=tmp_path)
  (wheel,) = tmp_path.glob("*.whl")
  names = set(zipfile.ZipFile(wheel).namelist())
  for dataset in ("sign_language_mnist", "cats_dogs"):
    for data_file in ("README.md", "CITATIONS.bib", "TAGS.txt"):
      assert f"tfds_builders/{dataset}/{data_file}" in names
    assert f"tfds_builders/{dataset}/{dataset}_dataset_builder.py" in names
  assert "trainers/configs/asl.flags" in names
  # The resolver that finds them from any directory.
  assert {"trainers/configs/__init__.py", "trainers/configs/__main__.py",
          "tfds_builders/common/console.py"} <= names
  for package in ("asl_pipeline", "tfds_builders", "trainers"):
    assert f"{package}/__init__.py" in names
  assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)
