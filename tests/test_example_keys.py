"""The keys examples are named by: CSV FILE:LINE, photo file names, ids."""

from __future__ import annotations

import pathlib

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from tfds_builders.sign_language_mnist import source_rows
from trainers.analysis import example_keys


def _ids(builder, split, count=None):
  ds = builder.as_dataset(split=split, shuffle_files=False,
                          read_config=tfds.ReadConfig(add_tfds_id=True))
  examples = list(ds.as_numpy_iterator())
  return examples[:count] if count else examples


def test_sign_language_mnist_keys_are_the_csv_lines(asl_data_dir):
  builder = tfds.builder("sign_language_mnist", data_dir=asl_data_dir)
  examples = _ids(builder, "test", 40)
  keys = example_keys.keys("sign_language_mnist", asl_data_dir,
                           [e["tfds_id"].decode() for e in examples])
  csv = pathlib.Path(builder.info.metadata["sources"]["test"])
  lines = csv.read_text().split("\n")
  for example in examples:
    name, _, line = keys[example["tfds_id"].decode()].partition(":")
    assert name == "sign_mnist_test.csv"
    row = [int(v) for v in lines[int(line) - 1].split(",")]
    assert np.array_equal(np.array(row[1:]).reshape(28, 28, 1),
                          example["image"])
    # Kaggle numbering: 9 (J) is skipped.
    assert row[0] - (row[0] > 9) == example["label"]
  assert len(set(keys.values())) == len(examples)


def test_split_is_read_from_the_id():
  assert source_rows.split_of(
      "sign_language_mnist-train.tfrecord-00000-of-00001__5") == "train"
  assert source_rows.split_of("cats_dogs-test.tfrecord-00001-of-00002__0"
                              ) == "test"


class NamedPhotos(tfds.core.GeneratorBasedBuilder):
  """Six tiny photos, named like the cats_dogs builder names them."""

  VERSION = tfds.core.Version("1.0.0")
  pkg_dir_path = epath.Path(__file__).parent

  def _info(self):
    return self.dataset_info_from_configs(features=tfds.features.FeaturesDict({
        "image": tfds.features.Image(shape=(None, None, 3),
                                     encoding_format="jpeg"),
        "label": tfds.features.ClassLabel(names=["cats", "dogs"]),
        "file_name": tfds.features.Text()}))

  def _split_generators(self, dl_manager):
    del dl_manager
    return {"train": self._generate_examples()}

  def _generate_examples(self):
    for i in range(6):
      name = f"train/{'cats' if i % 2 else 'dogs'}/photo_{i}.jpg"
      yield name, {"image": np.full((8, 8, 3), 40 * i, np.uint8),
                   "label": i % 2, "file_name": name}


def test_photo_keys_are_their_file_names(tmp_path):
  builder = NamedPhotos(data_dir=str(tmp_path))
  builder.download_and_prepare()
  examples = _ids(builder, "train")
  keys = example_keys.keys(builder, None,
                           [e["tfds_id"].decode() for e in examples])
  for example in examples:
    assert keys[example["tfds_id"].decode()] == example["file_name"].decode()
    value = int(example["file_name"].decode()[-5])
    assert abs(int(example["image"].mean()) - 40 * value) <= 3


def test_moved_source_keeps_the_ids(asl_data_dir, monkeypatch):
  builder = tfds.builder("sign_language_mnist", data_dir=asl_data_dir)
  ids = [e["tfds_id"].decode() for e in _ids(builder, "test", 3)]
  monkeypatch.setattr(source_rows, "source_file", lambda recorded: None)
  assert example_keys.keys("sign_language_mnist", asl_data_dir, ids) == {
      i: i for i in ids}


def test_eval_dataset_with_ids_names_each_example(asl_data_dir):
  import asl_pipeline  # pylint: disable=g-import-not-at-top
  builder = tfds.builder("sign_language_mnist", data_dir=asl_data_dir)
  stored = {e["tfds_id"].decode(): e for e in _ids(builder, "test")}
  ds = asl_pipeline.eval_dataset("sign_language_mnist", batch_size=32,
                                 data_dir=asl_data_dir, with_ids=True)
  seen = []
  for images, labels, ids in ds.as_numpy_iterator():
    for image, label, key in zip(images, labels, ids):
      example = stored[key.decode()]
      assert label == example["label"]
      assert np.array_equal(np.rint(image * 255), example["image"])
      seen.append(key.decode())
  assert sorted(seen) == sorted(stored)
