"""`--drop_label_issues=FILE`: the file is read, and a bad one named."""

from __future__ import annotations

import json

import pytest

from trainers.analysis import issues_file
from trainers.command_line import config as config_lib


def _write(path, value):
  path.write_text(value if isinstance(value, str) else json.dumps(value))
  return path


GOOD = {"dataset": "sign_language_mnist/auto/1.0.0", "split": "train",
        "issues": [{"rank": 1, "key": "sign_mnist_train.csv:7",
                    "tfds_id": "sign_language_mnist-train.tfrecord-0__3"},
                   {"rank": 2, "key": "b", "tfds_id": "x__9"}]}


def test_a_label_issues_file_is_read(tmp_path):
  listed = issues_file.read(_write(tmp_path / "li.json", GOOD))
  assert listed.dataset == "sign_language_mnist/auto/1.0.0"
  assert listed.ids == {"sign_language_mnist-train.tfrecord-0__3", "x__9"}


@pytest.mark.parametrize("content, why", [
    ("{not json", "not readable as JSON"),
    ([1, 2], "not a label issues list"),
    ({"dataset": "d", "issues": {}}, "not a label issues list"),
    ({"issues": []}, "names no 'dataset'"),
    ({"dataset": "d", "issues": [{"key": "a"}]}, "issue 1 has no 'tfds_id'"),
    ("\xff", "not readable as JSON"),
])
def test_bad_files_are_one_line_errors_naming_the_file(tmp_path, content,
                                                       why):
  path = tmp_path / "bad.json"
  if content == "\xff":
    path.write_bytes(b"\xff\xfe{")
  else:
    _write(path, content)
  with pytest.raises(ValueError) as raised:
    issues_file.read(path)
  message = str(raised.value)
  assert message.startswith(f"{path}: ") and why in message
  assert "\n" not in message


def test_missing_file_and_directory(tmp_path):
  with pytest.raises(ValueError, match="no such file"):
    issues_file.read(tmp_path / "none.json")
  with pytest.raises(ValueError, match="is a directory"):
    issues_file.read(tmp_path)


def test_the_trainer_config_names_flag_and_file(tmp_path):
  path = _write(tmp_path / "bad.json", {"issues": []})
  with pytest.raises(config_lib.ConfigError) as raised:
    config_lib.Config(drop_label_issues=str(path)).validate()
  assert str(raised.value).startswith("--drop_label_issues=")
  assert str(path) in str(raised.value)
  good = _write(tmp_path / "good.json", GOOD)
  assert config_lib.Config(drop_label_issues=str(good)).validate()


def test_the_trainer_command_line_takes_the_flag(tmp_path):
  from tests import helpers  # pylint: disable=g-import-not-at-top
  from trainers import asl  # pylint: disable=g-import-not-at-top
  from trainers.command_line import flags as trainer_flags  # pylint: disable=g-import-not-at-top
  good = _write(tmp_path / "good.json", GOOD)
  flag_values = helpers.parse_flags(asl.DEFAULTS, "--workdir=/tmp/w",
                                    f"--drop_label_issues={good}")
  config = trainer_flags.config_from_flags(flag_values, asl.DEFAULTS)
  assert config.drop_label_issues == str(good)


def test_a_list_of_another_dataset_is_refused_naming_the_file(asl_data_dir,
                                                               tmp_path):
  from trainers.training import exclusions  # pylint: disable=g-import-not-at-top
  other = _write(tmp_path / "other.json",
                 {**GOOD, "dataset": "cats_dogs/folder/1.0.0"})
  config = config_lib.Config(data_dir=asl_data_dir,
                             drop_label_issues=str(other))
  with pytest.raises(config_lib.ConfigError) as raised:
    exclusions.label_issues(config, 100)
  assert str(other) in str(raised.value)
  assert "sign_language_mnist/auto/1.0.0" in str(raised.value)
  same = _write(tmp_path / "same.json", GOOD)
  assert exclusions.label_issues(
      config_lib.Config(data_dir=asl_data_dir, drop_label_issues=str(same)),
      100) == {"sign_language_mnist-train.tfrecord-0__3", "x__9"}
