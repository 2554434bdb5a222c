"""Sign Language MNIST: 28x28 grayscale hand signs for 24 static letters."""

from __future__ import annotations

from absl import logging
from etils import epath
import numpy as np
import tensorflow_datasets as tfds
from tensorflow_datasets.core.utils.lazy_imports_utils import tensorflow as tf

from tfds_builders import config_fields
from tfds_builders.common import reuse_notice
from tfds_builders.sign_language_mnist import csv_source

_TRAIN_FILE = "sign_mnist_train.csv"
# Kaggle ships a test file; the course copy calls the same split "valid".
_TEST_FILES = ("sign_mnist_test.csv", "sign_mnist_valid.csv")
AUTO = "auto"
_DATASET = "sign_language_mnist"


class SignLanguageMnistConfig(tfds.core.BuilderConfig):
  """How the labels in the CSVs are numbered.

  Attributes:
    label_scheme: `kaggle` (0-24 with 9 absent), `contiguous` (0-23), or
      `auto` to detect it from the data.
  """

  def __init__(self, *, label_scheme: str, **kwargs):
    """Checks every field, naming the one that is wrong.

    Raises:
      config_fields.ConfigError: A field holds a value it cannot take (a
        config given as JSON may hold any).
    """
    super().__init__(**kwargs)
    name = config_fields.check_name(_DATASET, self.name)
    self.label_scheme = config_fields.check_choice(
        _DATASET, name, "label_scheme", label_scheme,
        (AUTO, *csv_source.SCHEMES))


def scheme_config(scheme: str) -> SignLanguageMnistConfig:
  """A config that forces one label scheme instead of detecting it.

  Args:
    scheme: `kaggle` (0-24 with 9 absent) or `contiguous` (0-23).

  Returns:
    A config named after the scheme, for `tfds.builder(..., config=...)`.
  """
  if scheme not in csv_source.SCHEMES:
    raise ValueError(f"label scheme must be one of {csv_source.SCHEMES}, got "
                     f"{scheme!r}")
  return SignLanguageMnistConfig(
      name=scheme, label_scheme=scheme,
      description=f"Labels numbered with the {scheme} scheme.")


class Builder(reuse_notice.SaysWhenReused, tfds.core.GeneratorBasedBuilder):
  """DatasetBuilder for the Sign Language MNIST CSVs."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {
      "1.0.0": "Initial release.",
  }
  MANUAL_DOWNLOAD_INSTRUCTIONS = """\
  Download the data from Kaggle:
  https://www.kaggle.com/datasets/datamunge/sign-language-mnist
  and place in `manual_dir` either the zip as downloaded (any name ending in
  .zip) or, loose or in sub-folders, the files:

      sign_mnist_train.csv
      sign_mnist_test.csv   (or sign_mnist_valid.csv, as in the course copy)

  No data? `python -m tfds_builders.sign_language_mnist.make_sample --out DIR`
  writes a synthetic set in the same format.
  """
  # One registered config, so that a plain `tfds build` writes one dataset.
  # An explicit scheme is a config built on the fly (see `scheme_config`):
  #   tfds build ... --config='{"name": "kaggle", "label_scheme": "kaggle"}'
  # and is loaded back as `tfds.load("sign_language_mnist/kaggle", ...)`.
  BUILDER_CONFIGS = [
      SignLanguageMnistConfig(
          name=AUTO, label_scheme=AUTO,
          description="Label scheme detected from the data (a 9 present "
                      "means contiguous 0-23, otherwise Kaggle 0-24)."),
  ]

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
        features=tfds.features.FeaturesDict({
            "image": tfds.features.Image(
                shape=(csv_source.IMAGE_SIDE, csv_source.IMAGE_SIDE, 1)),
            "label": tfds.features.ClassLabel(
                names=list(csv_source.LETTERS)),
        }),
        supervised_keys=("image", "label"),
        homepage="https://www.kaggle.com/datasets/datamunge/sign-language-mnist",
        metadata=tfds.core.MetadataDict(),
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    """Parses and validates every CSV before a single example is written."""
    manual_dir = epath.Path(dl_manager.manual_dir)
    sources = {
        "train": csv_source.find_source(manual_dir, _TRAIN_FILE),
        # Both names at once: a test file and a valid file that differ could
        # come from two copies with different label schemes.
        "test": csv_source.single_source(
            csv_source.find_copies(manual_dir, _TEST_FILES),
            " or ".join(_TEST_FILES)),
    }
    if sources["train"] is None:
      raise FileNotFoundError(
          f"No {_TRAIN_FILE} found in {manual_dir} (loose, in a sub-folder, "
          f"or in a .zip).\n{self.MANUAL_DOWNLOAD_INSTRUCTIONS}")
    if sources["test"] is None:
      # A train file alone is a dataset too: the trainers then validate on a
      # held-out part of it and run no final test.
      logging.warning(
          "No %s in %s: building the train split only.",
          " or ".join(_TEST_FILES), manual_dir)
      del sources["test"]

    parsed = {split: csv_source.parse_csv(source)
              for split, source in sources.items()}
    scheme = self._resolve_scheme(parsed)
    why = (csv_source.why_contiguous(parsed.values())
           if self.builder_config.label_scheme == AUTO and
           scheme == csv_source.CONTIGUOUS else "")
    labels = {split: csv_source.to_class_index(rows, scheme, why)
              for split, rows in parsed.items()}

    self.info.metadata.update({
        "label_scheme": scheme,
        "rows": {split: len(rows.raw_labels) for split, rows in parsed.items()},
        "sources": {split: str(rows.source) for split, rows in parsed.items()},
    })
    return {
        split: self._generate_examples(rows, labels[split])
        for split, rows in parsed.items()
    }

  def _resolve_scheme(self, parsed) -> str:
    scheme = self.builder_config.label_scheme
    if scheme != AUTO:
      if scheme not in csv_source.SCHEMES:
        raise ValueError(f"label_scheme must be one of {csv_source.SCHEMES} "
                         f"or {AUTO!r}, got {scheme!r}")
      return scheme
    scheme, conclusive = csv_source.detect_scheme(
        rows.raw_labels for rows in parsed.values())
    if not conclusive:
      logging.warning(
          "Neither label 9 nor 24 appears in the data, so the label scheme "
          "cannot be told apart; assuming %r. Build the `kaggle` or "
          "`contiguous` config to choose explicitly.", scheme)
    logging.info("Label scheme: %s", scheme)
    return scheme

  def _generate_examples(self, rows: csv_source.ParsedSplit,
                         labels: np.ndarray):
    """Yields examples keyed by their line in the source file."""
    encoded = _encode_pngs(rows.images)
    for line, image, label in zip(rows.line_numbers.tolist(), encoded,
                                  labels.tolist()):
      yield line, {"image": image, "label": label}


def _encode_pngs(images: np.ndarray):
  """Yields PNG bytes for a stack of images, encoded in parallel by tf.data.

  The `Image` feature would encode each array with its own graph call, which
  dominates the build; one parallel map over the whole array does not.
  """
  dataset = tf.data.Dataset.from_tensor_slices(images).map(
      tf.io.encode_png, num_parallel_calls=tf.data.AUTOTUNE,
      deterministic=True).batch(1024).prefetch(1)
  for batch in dataset.as_numpy_iterator():
    yield from batch
