"""Every field of the builder configs is checked when the config is made,
and an error names the config and the field (configs come from JSON on the
`tfds build` command line, so a field may hold any JSON value)."""

from __future__ import annotations

import pytest

from tfds_builders import config_fields
from tfds_builders.cats_dogs import cats_dogs_dataset_builder as cats_dogs
from tfds_builders.sign_language_mnist import (
    sign_language_mnist_dataset_builder as asl)


@pytest.mark.parametrize("field, value, message", [
    ("max_side", "abc", "max_side must be a whole number of pixels, 1 or "
                        "more, or null (None) for no cap; got 'abc'."),
    ("max_side", 0, "max_side must be a whole number of pixels, 1 or more"),
    ("max_side", 25.5, "got 25.5."),
    ("max_side", True, "got True."),
    ("jpeg_quality", 500, "jpeg_quality must be a whole number, from 1 to "
                          "100; got 500."),
    ("jpeg_quality", -5, "got -5."),
    ("jpeg_quality", None, "got None."),
    ("jpeg_quality", "95", "got '95'."),
    ("workers", 0, "workers must be a whole number of threads, 1 or more, or "
                   "null (None) for every core; got 0."),
    ("workers", "all", "got 'all'."),
    ("layout", "tree", "layout must be one of 'cats_dogs', 'folder'; got "
                       "'tree'."),
    ("layout", None, "got None."),
])
def test_cats_dogs_config_names_the_bad_field(field, value, message):
  with pytest.raises(config_fields.ConfigError) as e:
    cats_dogs.CatsDogsConfig(name="mine", **{field: value})
  assert str(e.value).startswith(f"cats_dogs config 'mine': {field} must be")
  assert message in str(e.value)


@pytest.mark.parametrize("name", ["", "a/b", "..", 5, None, "sp ace"])
def test_a_config_name_that_is_no_folder_name_is_refused(name):
  with pytest.raises(config_fields.ConfigError,
                     match=r"^cats_dogs config: name must be"):
    cats_dogs.CatsDogsConfig(name=name)
  with pytest.raises(config_fields.ConfigError,
                     match=r"^sign_language_mnist config: name must be"):
    asl.SignLanguageMnistConfig(name=name, label_scheme="auto")


@pytest.mark.parametrize("scheme", ["Kaggle", "", None, 1])
def test_sign_language_mnist_config_names_the_bad_scheme(scheme):
  with pytest.raises(config_fields.ConfigError) as e:
    asl.SignLanguageMnistConfig(name="mine", label_scheme=scheme)
  assert str(e.value) == (
      "sign_language_mnist config 'mine': label_scheme must be one of "
      f"'auto', 'kaggle', 'contiguous'; got {scheme!r}.")


def test_good_configs_keep_their_values():
  config = cats_dogs.CatsDogsConfig(name="cats_dogs_max256", max_side=256,
                                    jpeg_quality=100, workers=2,
                                    layout="folder")
  assert (config.max_side, config.jpeg_quality, config.workers,
          config.layout) == (256, 100, 2, "folder")
  assert cats_dogs.CatsDogsConfig(name="x", max_side=None).max_side is None
  assert asl.SignLanguageMnistConfig(
      name="kaggle", label_scheme="kaggle").label_scheme == "kaggle"
  assert cats_dogs.capped_config(64).name == "cats_dogs_max64"
