"""The pipelines over any TFDS image dataset: builders, mocks, feature names."""

from __future__ import annotations

import pathlib

from etils import epath
import keras
import numpy as np
from PIL import Image
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import asl_pipeline as ap
from asl_pipeline import sources

CLASSES = ("apple", "banana", "cherry")
PER_CLASS = 8


class _SourcesBuilder(tfds.core.GeneratorBasedBuilder):
  """Abstract (TFDS does not register it): shared by the builders below."""

  VERSION = tfds.core.Version("1.0.0")
  # Test modules are not packages: tell TFDS where the (absent) metadata is.
  pkg_dir_path = epath.Path(__file__).parent

  def _split_generators(self, dl_manager):
    del dl_manager
    return {"train": self._generate_examples(24),
            "test": self._generate_examples(6)}

  def _generate_examples(self, count):
    for i in range(count):
      # The value of the picture gives its class.
      yield i, {"picture": np.full((8, 8, 3), 40 + 80 * (i % 3), np.uint8),
                "category": i % 3, "caption": f"picture {i}",
                "mask": np.zeros((8, 8, 1), np.uint8)}


class PicturesAndCategories(_SourcesBuilder):
  """Colour pictures under `picture`, classes under `category`, and more."""

  def _info(self):
    return self.dataset_info_from_configs(features=tfds.features.FeaturesDict({
        "picture": tfds.features.Image(shape=(8, 8, 3)),
        "category": tfds.features.ClassLabel(names=CLASSES),
        "caption": tfds.features.Text(),
    }))

  def _generate_examples(self, count):
    for key, example in super()._generate_examples(count):
      del example["mask"]
      yield key, example


class PicturesAndMasks(_SourcesBuilder):
  """Two image features: which is the input is not for the pipeline to guess."""

  def _info(self):
    return self.dataset_info_from_configs(features=tfds.features.FeaturesDict({
        "picture": tfds.features.Image(shape=(8, 8, 3)),
        "mask": tfds.features.Image(shape=(8, 8, 1)),
        "category": tfds.features.ClassLabel(names=CLASSES),
        "caption": tfds.features.Text(),
    }))


@pytest.fixture(scope="module")
def renamed_dir(tmp_path_factory) -> str:
  data_dir = str(tmp_path_factory.mktemp("renamed"))
  PicturesAndCategories(data_dir=data_dir).download_and_prepare()
  PicturesAndMasks(data_dir=data_dir).download_and_prepare()
  return data_dir


@pytest.fixture(scope="module")
def image_root(tmp_path_factory):
  """`root/{train,test}/<class>/*.png`: grayscale and colour PNGs mixed.

  Every picture is flat, its value giving its class (40, 120 or 200).
  """
  root = tmp_path_factory.mktemp("folder")
  for split, count in (("train", PER_CLASS), ("test", 2)):
    for label, name in enumerate(CLASSES):
      folder = root / split / name
      folder.mkdir(parents=True)
      for i in range(count):
        shape = (10 + i, 14) if i % 2 else (12, 12, 3)  # gray, RGB
        Image.fromarray(np.full(shape, 40 + 80 * label, np.uint8)).save(
            folder / f"{i}.png")
  return root


def _tiny_model(shape, classes):
  keras.utils.set_random_seed(0)
  model = keras.Sequential([keras.Input(shape), keras.layers.Flatten(),
                            keras.layers.Dense(classes, activation="softmax")])
  model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
  return model


def _fits_two_steps(ds, shape, classes):
  model = _tiny_model(shape, classes)
  history = model.fit(ds, steps_per_epoch=2, epochs=1, verbose=0)
  assert int(model.optimizer.iterations) == 2
  assert np.isfinite(history.history["loss"]).all()


def _class_of(images):
  """The class a flat test picture stands for, from its value."""
  values = np.asarray(images).reshape(len(images), -1).mean(axis=1) * 255
  return np.rint((values - 40) / 80).astype(int)


# --- ImageFolder --------------------------------------------------------------


def test_model_fit_trains_from_an_image_folder(image_root):
  builder = tfds.folder_dataset.ImageFolder(str(image_root))
  info = ap.info(builder)
  assert info.class_names == CLASSES
  assert info.splits == {"train": 24, "test": 6}
  ds = ap.train_dataset(builder, batch_size=4, image_size=8, seed=0)
  assert ds.element_spec[0].shape == (4, 8, 8, 3)
  _fits_two_steps(ds, (8, 8, 3), 3)


def test_image_folder_labels_stay_with_their_images(image_root):
  builder = tfds.folder_dataset.ImageFolder(str(image_root))
  ev = ap.eval_dataset(builder, batch_size=5, split="train", image_size=6)
  assert len(ev) == 5
  labels = []
  for images, batch_labels in ev:
    np.testing.assert_array_equal(_class_of(images), batch_labels)
    labels.extend(batch_labels.numpy())
  assert sorted(labels) == sorted(list(range(3)) * PER_CLASS)


def test_image_folder_batches_follow_the_seed(image_root):
  # ImageFolder shuffles its files unseeded when asked: the pipeline must
  # not ask, so that its own seeded shuffle decides the order.
  def labels(seed):
    builder = tfds.folder_dataset.ImageFolder(str(image_root))
    ds = ap.train_dataset(builder, batch_size=24, image_size=6, seed=seed,
                          augment="none", repeat=False)
    return [y.numpy().tolist() for _, y in ds]
  first = labels(3)
  assert all(labels(3) == first for _ in range(3))
  assert labels(4) != first


def test_image_folder_slices_and_shards(image_root):
  builder = tfds.folder_dataset.ImageFolder(str(image_root))
  assert sources.num_examples(builder, "train[:50%]") == 12
  half, count = sources.load(builder, split="train[:50%]")
  rest, _ = sources.load(builder, split="train[50%:]+test")
  assert count == len(list(half)) == 12 and len(list(rest)) == 18
  whole = [e["image"].tobytes() for e in
           sources.load(builder, split="train")[0].as_numpy_iterator()]
  shards = []
  for index in range(3):
    context = tf.distribute.InputContext(num_input_pipelines=3,
                                         input_pipeline_id=index)
    shard, count = sources.load(builder, split="train", input_context=context)
    shards.append([e["image"].tobytes() for e in shard.as_numpy_iterator()])
    assert count == len(shards[-1]) == 8
  assert sorted(sum(shards, [])) == sorted(whole)
  with pytest.raises(ValueError, match="Bad split='valid'"):
    ap.eval_dataset(builder, batch_size=2, split="valid", image_size=6)


def test_image_folder_without_ids_cannot_exclude_them(image_root):
  builder = tfds.folder_dataset.ImageFolder(str(image_root))
  with pytest.raises(ValueError, match="exclude_ids="):
    sources.load(builder, split="train", exclude_ids=["x"])


# --- tfds.testing.mock_data ---------------------------------------------------


def test_model_fit_trains_under_mock_data():
  with tfds.testing.mock_data(num_examples=40):
    info = ap.info("mnist")
    assert info.num_classes == 10 and info.image_shape == (28, 28, 1)
    ds = ap.train_dataset("mnist", batch_size=8, seed=0)
    _fits_two_steps(ds, (28, 28, 1), 10)
    assert sources.num_examples("mnist", "train") == 40
    ev = ap.eval_dataset("mnist", batch_size=16)
    assert len(ev) == 3 == len(list(ev))
    one_pass = ap.train_dataset("mnist", batch_size=8, repeat=False)
    assert len(one_pass) == 5


def test_mock_data_serves_a_builder_object_and_this_packages_datasets():
  with tfds.testing.mock_data(num_examples=16):
    builder = tfds.builder("mnist")
    assert not builder.is_prepared()  # Served all the same.
    images, labels = next(iter(ap.train_dataset(builder, batch_size=8)))
    assert images.shape == (8, 28, 28, 1) and labels.shape == (8,)
    ds = ap.eval_dataset("sign_language_mnist", batch_size=16)
    assert next(iter(ds))[0].shape == (16, 28, 28, 1)


def test_without_mock_an_unbuilt_dataset_is_still_refused(tmp_path):
  builder = tfds.builder("mnist", data_dir=str(tmp_path))
  with pytest.raises(FileNotFoundError, match="download_and_prepare"):
    ap.info(builder)
  with pytest.raises(FileNotFoundError, match="tfds build mnist"):
    ap.info("mnist", data_dir=str(tmp_path))


# --- Feature names ------------------------------------------------------------


def test_features_are_found_whatever_their_names(renamed_dir):
  info = ap.info("pictures_and_categories", data_dir=renamed_dir)
  assert (info.image_key, info.label_key) == ("picture", "category")
  assert info.class_names == CLASSES and info.image_shape == (8, 8, 3)
  ds = ap.train_dataset("pictures_and_categories", batch_size=6,
                        data_dir=renamed_dir, seed=0)
  _fits_two_steps(ds, (8, 8, 3), 3)
  for images, labels in ap.eval_dataset("pictures_and_categories",
                                        batch_size=4, data_dir=renamed_dir):
    np.testing.assert_array_equal(_class_of(images), labels)
  example, = sources.load("pictures_and_categories", split="test[:1]",
                          data_dir=renamed_dir)[0].as_numpy_iterator()
  assert set(example) == {"image", "label"}  # The caption is left out.


def test_a_builder_object_with_other_feature_names(renamed_dir):
  builder = PicturesAndCategories(data_dir=renamed_dir)
  ds = ap.train_dataset(builder, batch_size=6, augment="none", seed=1)
  images, labels = next(iter(ds))
  np.testing.assert_array_equal(_class_of(images), labels)


def test_several_images_need_image_key(renamed_dir):
  kwargs = dict(batch_size=4, data_dir=renamed_dir)
  with pytest.raises(ValueError,
                     match=r"\['picture', 'mask'\]; pass image_key="):
    ap.train_dataset("pictures_and_masks", **kwargs)
  ds = ap.eval_dataset("pictures_and_masks", image_key="picture", **kwargs)
  images, labels = next(iter(ds))
  np.testing.assert_array_equal(_class_of(images), labels)
  masks = ap.eval_dataset("pictures_and_masks", image_key="mask", **kwargs)
  assert masks.element_spec[0].shape[1:] == (8, 8, 1)  # Grayscale.
  assert ap.info("pictures_and_masks", renamed_dir,
                 image_key="mask").image_shape == (8, 8, 1)


@pytest.mark.parametrize("kwargs, match", [
    (dict(image_key="category"), "image_key='category'"),
    (dict(label_key="caption"), "label_key='caption'"),
    (dict(label_key="colour"), "label_key='colour'.*category"),
])
def test_wrong_feature_names_name_the_argument(renamed_dir, kwargs, match):
  with pytest.raises(ValueError, match=match):
    ap.train_dataset("pictures_and_categories", batch_size=4,
                     data_dir=renamed_dir, **kwargs)


# --- The dataset argument -----------------------------------------------------


def test_a_dataset_argument_of_another_type_is_named():
  with pytest.raises(TypeError, match="name must be a TFDS dataset name"):
    ap.train_dataset(3, batch_size=4)
  with pytest.raises(TypeError, match="got PosixPath"):
    ap.info(pathlib.Path("/tmp"))


def test_data_dir_with_a_builder_object_is_refused(image_root):
  builder = tfds.folder_dataset.ImageFolder(str(image_root))
  with pytest.raises(ValueError, match="data_dir="):
    ap.eval_dataset(builder, batch_size=4, data_dir=str(image_root))
