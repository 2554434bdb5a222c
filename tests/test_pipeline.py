"""Properties of train_dataset / eval_dataset / info that users rely on."""

from __future__ import annotations

from etils import epath
import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import asl_pipeline as ap
from asl_pipeline import ops

NUM_INDEXED = 240
NAME = "sign_language_mnist"


class _TestBuilder(tfds.core.GeneratorBasedBuilder):
  """Shared by the builders below; abstract, so TFDS does not register it."""

  VERSION = tfds.core.Version("1.0.0")
  # Not in a dataset package of its own: tell TFDS where the (absent)
  # metadata is.
  pkg_dir_path = epath.Path(__file__).parent


class _Gray28(_TestBuilder):
  """28x28x1 images with 24 classes, like sign_language_mnist."""

  def _info(self):
    return self.dataset_info_from_configs(features=tfds.features.FeaturesDict({
        "image": tfds.features.Image(shape=(28, 28, 1)),
        "label": tfds.features.ClassLabel(num_classes=24),
    }))


class IndexedSquares(_Gray28):
  """Example i is a flat 28x28 image of value i with label i % 24.

  A flat image stays flat under any rotation, zoom, shift or flip with
  "nearest" fill, so the value names its example (and label) even after
  augmentation.
  """

  def _split_generators(self, dl_manager):
    del dl_manager
    return {"train": self._generate_examples(NUM_INDEXED)}

  def _generate_examples(self, count):
    for i in range(count):
      yield i, {"image": np.full((28, 28, 1), i, np.uint8), "label": i % 24}


class VariedRects(_TestBuilder):
  """Wide RGB images of varying size: red, then green (middle half), blue."""

  def _info(self):
    return self.dataset_info_from_configs(features=tfds.features.FeaturesDict({
        "image": tfds.features.Image(shape=(None, None, 3)),
        "label": tfds.features.ClassLabel(names=["cat", "dog"]),
    }))

  def _split_generators(self, dl_manager):
    del dl_manager
    return {"train": self._generate_examples()}

  def _generate_examples(self):
    for i, (h, w) in enumerate([(30, 120), (45, 180), (60, 240), (33, 132)]):
      image = np.zeros((h, w, 3), np.uint8)
      image[:, :w // 4, 0] = 255
      image[:, w // 4:3 * w // 4, 1] = 255
      image[:, 3 * w // 4:, 2] = 255
      yield i, {"image": image, "label": i % 2}


class LabelColumns(_Gray28):
  """Noisy 28x28 images whose bright column (2 + label) gives the class."""

  def _split_generators(self, dl_manager):
    del dl_manager
    return {"train": self._generate_examples(480, 0),
            "test": self._generate_examples(96, 1)}

  def _generate_examples(self, count, seed):
    rng = np.random.default_rng(seed)
    for i in range(count):
      image = rng.integers(0, 80, (28, 28, 1), np.uint8)
      image[:, 2 + i % 24] = 255
      yield i, {"image": image, "label": i % 24}


@pytest.fixture(scope="module")
def indexed_dir(tmp_path_factory):
  data_dir = str(tmp_path_factory.mktemp("indexed"))
  IndexedSquares(data_dir=data_dir).download_and_prepare()
  VariedRects(data_dir=data_dir).download_and_prepare()
  LabelColumns(data_dir=data_dir).download_and_prepare()
  return data_dir


def _example_ids(images):
  """The example index each flat image encodes."""
  flat = np.asarray(images).reshape(len(images), -1)
  ids = np.rint(flat.mean(axis=1) * 255).astype(int)
  np.testing.assert_allclose(flat.min(axis=1), flat.max(axis=1), atol=1e-5)
  return ids


def _take(ds, n):
  return [(x.numpy(), y.numpy()) for x, y in ds.take(n)]


def test_elements_are_float_images_with_static_shape(asl_data_dir):
  ds = ap.train_dataset(NAME, batch_size=32, data_dir=asl_data_dir)
  images_spec, labels_spec = ds.element_spec
  assert images_spec.shape == (32, 28, 28, 1) and images_spec.dtype == tf.float32
  assert labels_spec.shape == (32,) and labels_spec.dtype.is_integer
  images, labels = next(iter(ds))
  assert 0.0 <= images.numpy().min() and images.numpy().max() <= 1.0
  assert images.numpy().max() > 0.5  # scaled to [0, 1], not [0, 1/255]
  assert set(labels.numpy()) <= set(range(24))


@pytest.mark.parametrize("augment", ["none", "device", "pipeline"])
def test_labels_stay_with_their_images(indexed_dir, augment):
  ds = ap.train_dataset("indexed_squares", batch_size=24, data_dir=indexed_dir,
                        augment=augment, seed=1)
  for images, labels in _take(ds, 2 * NUM_INDEXED // 24):
    np.testing.assert_array_equal(_example_ids(images) % 24, labels)


@pytest.mark.parametrize("cache", [True, False])
def test_each_epoch_is_a_new_permutation_of_the_split(indexed_dir, cache):
  ds = ap.train_dataset("indexed_squares", batch_size=24, data_dir=indexed_dir,
                        augment="none", seed=3, cache=cache)
  ids = np.concatenate([_example_ids(x) for x, _ in _take(ds, 30)])
  epochs = ids.reshape(3, NUM_INDEXED)
  for epoch in epochs:
    np.testing.assert_array_equal(np.sort(epoch), np.arange(NUM_INDEXED))
  assert not np.array_equal(epochs[0], epochs[1])
  assert not np.array_equal(epochs[1], epochs[2])
  assert not np.array_equal(epochs[0], np.arange(NUM_INDEXED))


def test_same_seed_same_batches_and_augmentations(asl_data_dir):
  def first_batches(seed):
    ds = ap.train_dataset(NAME, batch_size=32, data_dir=asl_data_dir,
                          augment="pipeline", seed=seed)
    return _take(ds, 20)  # more than one epoch of 480 rows
  run_a, run_b, other = first_batches(7), first_batches(7), first_batches(8)
  for (xa, ya), (xb, yb) in zip(run_a, run_b):
    np.testing.assert_array_equal(xa, xb)
    np.testing.assert_array_equal(ya, yb)
  assert not np.array_equal(run_a[0][1], other[0][1])


def test_a_new_epoch_gets_new_augmentations(asl_data_dir):
  # shuffle_buffer=1 keeps file order, so batch k of every epoch holds the
  # same images: only augmentation can tell the epochs apart.
  def two_epochs(augment):
    ds = ap.train_dataset(NAME, batch_size=32, data_dir=asl_data_dir,
                          augment=augment, shuffle_buffer=1)
    return _take(ds, 2 * 15)
  plain = two_epochs("none")
  np.testing.assert_array_equal(plain[0][0], plain[15][0])
  augmented = two_epochs("pipeline")
  np.testing.assert_array_equal(augmented[0][1], augmented[15][1])
  assert not np.allclose(augmented[0][0], augmented[15][0])
  assert not np.allclose(augmented[0][0], plain[0][0])


@pytest.mark.parametrize("augment", ["none", "device"])
def test_device_and_none_leave_images_as_stored(asl_data_dir, augment):
  train = ap.train_dataset(NAME, batch_size=32, data_dir=asl_data_dir,
                           augment=augment, shuffle_buffer=1)
  stored = ap.eval_dataset(NAME, split="train", batch_size=32,
                           data_dir=asl_data_dir)
  for (xt, yt), (xs, ys) in zip(_take(train, 3), _take(stored, 3)):
    np.testing.assert_array_equal(xt, xs)
    np.testing.assert_array_equal(yt, ys)


def test_eval_covers_the_split_once_in_order(indexed_dir):
  ds = ap.eval_dataset("indexed_squares", split="train", batch_size=100,
                       data_dir=indexed_dir)
  batches = list(ds.as_numpy_iterator())
  assert [len(y) for _, y in batches] == [100, 100, 40]
  ids = np.concatenate([_example_ids(x) for x, _ in batches])
  np.testing.assert_array_equal(np.sort(ids), np.arange(NUM_INDEXED))
  np.testing.assert_array_equal(
      [i for _, y in batches for i in y], ids % 24)


def test_split_strings_slice_the_data(indexed_dir):
  ds = ap.eval_dataset("indexed_squares", split="train[:25%]", batch_size=500,
                       data_dir=indexed_dir)
  assert len(next(iter(ds))[1]) == NUM_INDEXED // 4
  with pytest.raises(ValueError, match="train"):
    ap.train_dataset("indexed_squares", split="validation", batch_size=8,
                     data_dir=indexed_dir)


def test_shards_are_disjoint_and_complete(indexed_dir):
  shards = []
  for pipeline_id in range(3):
    context = tf.distribute.InputContext(num_input_pipelines=3,
                                         input_pipeline_id=pipeline_id,
                                         num_replicas_in_sync=3)
    # Global batch 6 over 3 replicas: 2 per replica.
    ds = ap.train_dataset("indexed_squares", batch_size=6, data_dir=indexed_dir,
                          augment="none", input_context=context)
    assert ds.element_spec[0].shape[0] == 2
    shards.append(np.concatenate(
        [_example_ids(x) for x, _ in _take(ds, NUM_INDEXED // 3 // 2)]))
  for a in range(3):
    assert len(set(shards[a])) == NUM_INDEXED // 3
    for b in range(a):
      assert not set(shards[a]) & set(shards[b])
  np.testing.assert_array_equal(np.sort(np.concatenate(shards)),
                                np.arange(NUM_INDEXED))


def test_model_fit_trains_on_the_dataset_directly(indexed_dir):
  keras.utils.set_random_seed(0)
  model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                            keras.layers.Dense(24, activation="softmax")])
  model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                metrics=["accuracy"])
  # A label that is a column's position does not survive flips and shifts.
  ds = ap.train_dataset("label_columns", batch_size=32, data_dir=indexed_dir,
                        augment="none")
  ev = ap.eval_dataset("label_columns", batch_size=64, data_dir=indexed_dir)
  history = model.fit(ds, steps_per_epoch=15, epochs=3, validation_data=ev,
                      verbose=0)
  losses = history.history["loss"]
  assert np.isfinite(losses).all() and losses[-1] < losses[0]
  # Learned from the images, not memorized: held-out images are classified.
  assert history.history["val_accuracy"][-1] > 0.8


def test_image_size_resizes_sign_language_mnist(asl_data_dir):
  ds = ap.train_dataset(NAME, batch_size=8, data_dir=asl_data_dir,
                        image_size=32)
  assert ds.element_spec[0].shape == (8, 32, 32, 1)
  ev = ap.eval_dataset(NAME, batch_size=8, data_dir=asl_data_dir,
                       image_size=(14, 20))
  assert next(iter(ev))[0].shape == (8, 14, 20, 1)


def test_variable_size_images_need_image_size(indexed_dir):
  with pytest.raises(ValueError, match="image_size="):
    ap.train_dataset("varied_rects", batch_size=2, data_dir=indexed_dir)
  ds = ap.train_dataset("varied_rects", batch_size=4, data_dir=indexed_dir,
                        image_size=12, augment="none")
  images, _ = next(iter(ds))
  assert ds.element_spec[0].shape == (4, 12, 12, 3)
  # Short side scaled to 12, long side cropped: only the green middle
  # remains, no red or blue is squeezed in.
  np.testing.assert_allclose(images[..., 1], 1.0, atol=0.02)
  assert images.numpy()[..., 0].max() < 0.1 and images.numpy()[..., 2].max() < 0.1


def test_center_crop_of_portrait_and_landscape():
  portrait = np.zeros((90, 30, 1), np.uint8)
  portrait[20:70] = 200
  out = ops.resize_short_side_and_center_crop(10)({"image": portrait})["image"]
  assert out.shape == (10, 10, 1) and out.dtype == tf.uint8
  np.testing.assert_array_equal(out, np.full((10, 10, 1), 200))
  rect = ops.resize_short_side_and_center_crop((10, 20))(
      {"image": np.full((50, 50, 3), 7, np.uint8)})["image"]
  assert rect.shape == (10, 20, 3)
  assert ops.image_size_hw(np.int64(5)) == (5, 5)
  for bad in (0, (5,), (5, 0), "55", True, (2.5, 3)):
    with pytest.raises(ValueError, match="image_size"):
      ops.image_size_hw(bad)


@pytest.mark.parametrize("size, ratio", [(300, 1), (100, 2), (40, 4),
                                         (10, 8), (2, 8)])
def test_jpeg_decodes_at_the_coarsest_scale_covering_the_size(size, ratio):
  image = np.zeros((300, 400, 3), np.uint8)
  contents = tf.io.encode_jpeg(image)
  out = ops.decode_jpeg_for_size(size, channels=3)(
      {"image": contents})["image"]
  assert tuple(out.shape) == (-(-300 // ratio), -(-400 // ratio), 3)
  assert min(out.shape[:2]) >= size


def test_reduced_scale_jpeg_decoding_gives_the_same_picture():
  # A smooth picture: what any good downscaler should agree on.
  y, x = np.mgrid[0:240, 0:320]
  image = np.stack([x * 255 // 319, y * 255 // 239,
                    (x + y) * 255 // 558], axis=-1).astype(np.uint8)
  contents = tf.io.encode_jpeg(image, quality=95)
  resize = ops.resize_short_side_and_center_crop(48)
  fast = resize(ops.decode_jpeg_for_size(48, channels=3)(
      {"image": contents}))["image"]
  full = resize({"image": tf.io.decode_jpeg(contents)})["image"]
  difference = np.abs(fast.numpy().astype(int) - full.numpy().astype(int))
  assert difference.mean() < 2 and difference.max() < 12


def test_info_names_classes_and_splits(asl_data_dir):
  info = ap.info(NAME, data_dir=asl_data_dir)
  assert "".join(info.class_names) == "ABCDEFGHIKLMNOPQRSTUVWXY"
  assert info.num_classes == 24 and info.image_shape == (28, 28, 1)
  assert info.splits == {"train": 480, "test": 96}


@pytest.mark.parametrize("kwargs, match", [
    (dict(batch_size=0), "batch_size must be an int of at least 1"),
    (dict(batch_size=8, augment="gpu"), "augment must be one of"),
    (dict(batch_size=8, image_size=0), "image_size"),
    (dict(batch_size=8, shuffle_buffer=0), "shuffle_buffer"),
    (dict(batch_size=10_000), "smaller batch_size"),
])
def test_bad_arguments_say_what_to_use(asl_data_dir, kwargs, match):
  with pytest.raises(ValueError, match=match):
    ap.train_dataset(NAME, data_dir=asl_data_dir, **kwargs)


def test_unknown_dataset_lists_the_known_ones(tmp_path):
  with pytest.raises(ValueError, match="sign_language_mnist"):
    ap.train_dataset("sign_language_mnits", batch_size=8,
                     data_dir=str(tmp_path))


def test_unbuilt_dataset_gives_the_build_command(tmp_path):
  # The by-name form: it works wherever the package is installed, not only
  # in a checkout.
  with pytest.raises(FileNotFoundError,
                     match="tfds build sign_language_mnist "
                     "--imports=tfds_builders"):
    ap.eval_dataset(NAME, batch_size=8, data_dir=str(tmp_path))


def test_the_default_augments_for_model_fit_users(asl_data_dir):
  # Called as model.fit users do, without naming augment: the batches must
  # be augmented, not silently left for an augmenter that never runs.
  default = ap.train_dataset(NAME, batch_size=32, data_dir=asl_data_dir,
                             shuffle_buffer=1)
  plain = ap.train_dataset(NAME, batch_size=32, data_dir=asl_data_dir,
                           shuffle_buffer=1, augment="none")
  (xd, yd), = _take(default, 1)
  (xp, yp), = _take(plain, 1)
  np.testing.assert_array_equal(yd, yp)
  assert not np.allclose(xd, xp)


def test_lengths_are_known(indexed_dir):
  ev = ap.eval_dataset("indexed_squares", split="train", batch_size=100,
                       data_dir=indexed_dir)
  assert len(ev) == 3 == len(list(ev))
  one_pass = ap.train_dataset("indexed_squares", batch_size=24,
                              data_dir=indexed_dir, repeat=False)
  assert len(one_pass) == NUM_INDEXED // 24
  endless = ap.train_dataset("indexed_squares", batch_size=24,
                             data_dir=indexed_dir)
  assert endless.cardinality() == tf.data.INFINITE_CARDINALITY


def test_one_pass_dataset_reshuffles_and_reaugments_each_pass(asl_data_dir,
                                                              indexed_dir):
  ds = ap.train_dataset("indexed_squares", batch_size=24, data_dir=indexed_dir,
                        repeat=False, seed=5)
  passes = [np.concatenate([_example_ids(x) for x, _ in _take(ds, 99)])
            for _ in range(2)]
  for ids in passes:
    np.testing.assert_array_equal(np.sort(ids), np.arange(NUM_INDEXED))
  assert not np.array_equal(passes[0], passes[1])
  # File order (shuffle_buffer=1): only augmentation tells passes apart, and
  # a fresh dataset with the same seed replays the same passes.
  def first_batch_of_two_passes():
    ds = ap.train_dataset(NAME, batch_size=32, data_dir=asl_data_dir,
                          repeat=False, shuffle_buffer=1, seed=5)
    return [_take(ds, 1)[0] for _ in range(2)]
  (x1, y1), (x2, y2) = first_batch_of_two_passes()
  np.testing.assert_array_equal(y1, y2)
  assert not np.allclose(x1, x2)
  (r1, _), (r2, _) = first_batch_of_two_passes()
  np.testing.assert_array_equal(x1, r1)
  np.testing.assert_array_equal(x2, r2)


def test_model_fit_with_epochs_alone(indexed_dir, recwarn):
  # As with keras.utils.image_dataset_from_directory: no steps_per_epoch,
  # each epoch is one pass, and validation never "runs out of data".
  keras.utils.set_random_seed(0)
  model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                            keras.layers.Dense(24, activation="softmax")])
  model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                metrics=["accuracy"])
  ds = ap.train_dataset("label_columns", batch_size=32, data_dir=indexed_dir,
                        repeat=False, augment="none")
  ev = ap.eval_dataset("label_columns", batch_size=64, data_dir=indexed_dir)
  history = model.fit(ds, epochs=3, validation_data=ev, verbose=0)
  assert len(history.history["val_accuracy"]) == 3
  assert int(model.optimizer.iterations) == 3 * (480 // 32)
  assert not [w for w in recwarn if "ran out of data" in str(w.message)]


def test_label_modes(indexed_dir):
  kwargs = dict(batch_size=4, data_dir=indexed_dir, image_size=12)
  ints = ap.eval_dataset("varied_rects", split="train", **kwargs)
  (_, labels), = _take(ints, 1)
  assert labels.dtype == np.int32 and labels.shape == (4,)
  for mode, shape in (("categorical", (4, 2)), ("binary", (4, 1))):
    for ds in (ap.eval_dataset("varied_rects", split="train",
                               label_mode=mode, **kwargs),
               ap.train_dataset("varied_rects", label_mode=mode,
                                shuffle_buffer=1, augment="pipeline",
                                **kwargs)):
      assert ds.element_spec[1].shape[1:] == shape[1:]
      assert ds.element_spec[1].dtype == tf.float32
      (_, encoded), = _take(ds, 1)
      assert encoded.shape == shape
      expected = (np.eye(2)[labels] if mode == "categorical"
                  else labels[:, None])
      np.testing.assert_array_equal(encoded, expected)
  with pytest.raises(ValueError, match="label_mode='binary' needs 2 classes"):
    ap.train_dataset("indexed_squares", batch_size=4, data_dir=indexed_dir,
                     label_mode="binary")
  with pytest.raises(ValueError, match="label_mode must be one of"):
    ap.eval_dataset("indexed_squares", batch_size=4, data_dir=indexed_dir,
                    label_mode="sparse")


@pytest.mark.parametrize("split", ["train[:0%]", "test[5:5]"])
def test_empty_split_says_it_is_empty(asl_data_dir, split):
  for make in (ap.train_dataset, ap.eval_dataset):
    with pytest.raises(ValueError, match=rf"split='{split[:4]}.*' of "
                       r"'sign_language_mnist' is empty"):
      make(NAME, batch_size=8, split=split, data_dir=asl_data_dir)


@pytest.mark.parametrize("batch_size", [np.int64(8), np.int32(8)])
def test_numpy_integer_batch_size_is_accepted(asl_data_dir, batch_size):
  train = ap.train_dataset(NAME, batch_size=batch_size,
                           data_dir=asl_data_dir, augment="none")
  images, _ = next(iter(train))
  assert images.shape[0] == 8
  test = ap.eval_dataset(NAME, batch_size=batch_size, data_dir=asl_data_dir)
  assert next(iter(test))[0].shape[0] == 8
  with pytest.raises(ValueError, match="batch_size must be an int of at least 1"):
    ap.eval_dataset(NAME, batch_size=np.float32(8), data_dir=asl_data_dir)


def test_unseeded_pipeline_augmentation_works(asl_data_dir):
  batches = [next(iter(ap.train_dataset(
      NAME, batch_size=8, data_dir=asl_data_dir,
      augment="pipeline", seed=None, shuffle_buffer=1)))[0]
             for _ in range(2)]
  for images in batches:
    assert images.shape == (8, 28, 28, 1)
    assert 0.0 <= float(tf.reduce_min(images)) <= float(
        tf.reduce_max(images)) <= 1.0
  # Unseeded: two pipelines augment the same (unshuffled) images differently.
  assert not np.allclose(batches[0], batches[1])
