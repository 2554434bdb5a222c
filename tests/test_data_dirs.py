"""Whether a dataset of the package is built, answered without TFDS."""

from __future__ import annotations

import pytest

from tfds_builders.common import data_dirs


def test_the_package_datasets_are_found_from_the_layout():
  assert data_dirs.package_datasets() == ["cats_dogs", "sign_language_mnist"]


def test_a_dataset_never_built_is_named_with_its_build_command(tmp_path):
  with pytest.raises(FileNotFoundError) as info:
    data_dirs.check_built("sign_language_mnist", str(tmp_path))
  message = str(info.value)
  assert "\n" not in message
  assert f"not built in data_dir='{tmp_path}'" in message
  assert ("tfds build sign_language_mnist --imports=tfds_builders "
          f"--data_dir={tmp_path} --manual_dir=") in message
  assert not (tmp_path / "sign_language_mnist").exists()


def test_a_finished_build_of_any_config_leaves_the_answer_to_tfds(tmp_path):
  version = tmp_path / "cats_dogs" / "folder" / "1.0.0"
  version.mkdir(parents=True)
  with pytest.raises(FileNotFoundError):  # Started, never finished.
    data_dirs.check_built("cats_dogs/cats_dogs", str(tmp_path))
  (version / "dataset_info.json").write_text("{}")
  data_dirs.check_built("cats_dogs/cats_dogs", str(tmp_path))


def test_other_datasets_and_remote_dirs_are_left_to_tfds(tmp_path):
  data_dirs.check_built("mnist", str(tmp_path))
  data_dirs.check_built("sign_language_mnist", "gs://bucket/tensorflow_datasets")


def test_the_default_data_dir_is_tfds_own(monkeypatch):
  monkeypatch.delenv("TFDS_DATA_DIR", raising=False)
  assert data_dirs.data_dir_or_default(None) == "~/tensorflow_datasets"
  monkeypatch.setenv("TFDS_DATA_DIR", "/data")
  assert data_dirs.data_dir_or_default(None) == "/data"
