"""Odd arguments to the pipelines and the command-line tools: each gets a
working result or a line that names it."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image
import pytest
import tensorflow as tf

import asl_pipeline
from trainers.run_dir import export
from trainers.analysis import inference
from trainers.analysis import introspection as introspect
from trainers.run_dir import workdir as workdir_lib
from tfds_builders.common import image_files


# --- Pipelines ----------------------------------------------------------------


@pytest.mark.parametrize("split", ["train[:0%]", "test[5:5]"])
def test_empty_split_says_it_is_empty(asl_data_dir, split):
  for make in (asl_pipeline.train_dataset, asl_pipeline.eval_dataset):
    with pytest.raises(ValueError, match=rf"split='{split[:4]}.*' of "
                       r"'sign_language_mnist' is empty"):
      make("sign_language_mnist", batch_size=8, split=split,
           data_dir=asl_data_dir)


@pytest.mark.parametrize("batch_size", [np.int64(8), np.int32(8)])
def test_numpy_integer_batch_size_is_accepted(asl_data_dir, batch_size):
  train = asl_pipeline.train_dataset("sign_language_mnist",
                                     batch_size=batch_size,
                                     data_dir=asl_data_dir, augment="none")
  images, _ = next(iter(train))
  assert images.shape[0] == 8
  test = asl_pipeline.eval_dataset("sign_language_mnist",
                                   batch_size=batch_size,
                                   data_dir=asl_data_dir)
  assert next(iter(test))[0].shape[0] == 8
  with pytest.raises(ValueError, match="batch_size must be a positive int"):
    asl_pipeline.eval_dataset("sign_language_mnist", batch_size=np.float32(8),
                              data_dir=asl_data_dir)


def test_unseeded_pipeline_augmentation_works(asl_data_dir):
  batches = [next(iter(asl_pipeline.train_dataset(
      "sign_language_mnist", batch_size=8, data_dir=asl_data_dir,
      augment="pipeline", seed=None, shuffle_buffer=1)))[0]
             for _ in range(2)]
  for images in batches:
    assert images.shape == (8, 28, 28, 1)
    assert 0.0 <= float(tf.reduce_min(images)) <= float(
        tf.reduce_max(images)) <= 1.0
  # Unseeded: two pipelines augment the same (unshuffled) images differently.
  assert not np.allclose(batches[0], batches[1])


# --- predict and visualize: every image argument gets its own answer ---------


def _huge_png(width: int, height: int) -> bytes:
  """A small PNG whose header declares width x height pixels."""
  out = io.BytesIO()
  Image.new("L", (1, 1)).save(out, format="PNG")
  data = bytearray(out.getvalue())
  data[16:24] = struct.pack(">II", width, height)
  data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
  return bytes(data)


@pytest.fixture(name="photo")
def _photo(tmp_path):
  path = tmp_path / "photo.png"
  Image.new("L", (40, 30), 128).save(path)
  return str(path)


def test_predict_answers_each_argument(trained_asl_workdir, tmp_path, photo):
  loaded, names = export.load_export(trained_asl_workdir / "export")
  bomb = tmp_path / "bomb.png"
  bomb.write_bytes(_huge_png(20000, 20000))
  folder = tmp_path / "some_folder"
  folder.mkdir()
  paths = [str(folder), photo, str(bomb), f"{photo}/inside"]
  results = [inference.predict_file(loaded, names, p) for p in paths]
  assert [r["path"] for r in results] == paths
  assert results[0]["error"].startswith("a folder, not an image file")
  assert len(results[1]["predictions"]) == 1
  assert results[2]["error"] == (
      "too large: 400,000,000 pixels is over the limit of "
      f"{image_files.MAX_PIXELS:,} (a decompression bomb?); shrink the image "
      "first.")
  assert "error" in results[3]


def test_predict_file_refuses_a_bomb_before_decoding(trained_asl_workdir,
                                                     tmp_path):
  loaded, names = export.load_export(trained_asl_workdir / "export")
  bomb = tmp_path / "bomb.png"
  bomb.write_bytes(_huge_png(15000, 12000))
  result = inference.predict_file(loaded, names, str(bomb))
  assert result["error"].startswith("too large: 180,000,000 pixels")


def test_visualize_image_is_read_with_the_same_limit(trained_asl_workdir,
                                                     tmp_path):
  model = workdir_lib.load_model(trained_asl_workdir)
  bomb = tmp_path / "bomb.png"
  bomb.write_bytes(_huge_png(20000, 20000))
  with pytest.raises(inference.ImageReadError,
                     match=f"{bomb}: too large: 400,000,000 pixels"):
    introspect.load_image(bomb, model)
  with pytest.raises(inference.ImageReadError,
                     match=f"{tmp_path}: a folder, not an image file"):
    introspect.load_image(tmp_path, model)


def test_keras_files_load_in_safe_mode(tmp_path):
  import keras  # pylint: disable=g-import-not-at-top
  inputs = keras.Input((2,))
  outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
  keras.Model(inputs, outputs).save(tmp_path / "model.keras")
  with pytest.raises(ValueError, match="safe_mode"):
    workdir_lib.load_model(tmp_path)
