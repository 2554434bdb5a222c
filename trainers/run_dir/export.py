"""Exports a trained model as a SavedModel that accepts any photo.

The exported endpoints do the course's preprocessing themselves (to the
model's channel count, resize to its input size, scale to [0, 1]), so a
caller hands in pixels as they come:

  loaded = tf.saved_model.load("WORKDIR/export")
  probs = loaded.serve(float_images_in_0_1)     # [N, H, W, 1|3|4] float32
  probs = loaded.serve_uint8(uint8_images)       # [N, H, W, 1|3|4] uint8

Both return class probabilities [N, num_classes]; `serve` is also the
`serving_default` signature. The class names are `assets/labels.txt`, one a
line in class-index order.
"""

from __future__ import annotations

from collections.abc import Sequence
import pathlib

from google.protobuf import message
import keras
import tensorflow as tf

from trainers.run_dir import workdir as workdir_lib

LABELS_FILE = "labels.txt"


def to_model_input(images: tf.Tensor, height: int, width: int,
                   channels: int) -> tf.Tensor:
  """Converts a batch of images of any size and channel count for a model.

  Args:
    images: [N, H, W, C]: C is 1 (gray), 2 (gray and alpha, as PNG stores
      it), 3 (RGB) or 4 (RGBA); uint8 in [0, 255] or float in [0, 1]. Alpha
      is dropped.
    height: Model input height.
    width: Model input width.
    channels: Model input channels, 1 (grayscale) or 3 (RGB).

  Returns:
    float32 [N, height, width, channels] in [0, 1].
  """
  images = tf.convert_to_tensor(images)
  if images.dtype == tf.uint8:
    images = tf.cast(images, tf.float32) / 255.0
  images = tf.cast(images, tf.float32)
  in_channels = tf.shape(images)[-1]
  tf.debugging.assert_rank(images, 4, message="images must be [N, H, W, C]")
  tf.debugging.assert_less_equal(
      in_channels, 4, message="images must have 1 to 4 channels (gray, "
      "gray + alpha, RGB, RGBA)")
  rgb = images[..., :3]
  if channels == 1:
    # ITU-R 601 luma, the same weights as PIL's convert("L") that the
    # course's load_img(color_mode="grayscale") used.
    images = tf.cond(in_channels >= 3,
                     lambda: tf.image.rgb_to_grayscale(rgb),
                     lambda: images[..., :1])
  else:
    images = tf.cond(in_channels >= 3, lambda: rgb,
                     lambda: tf.tile(images[..., :1], [1, 1, 1, 3]))
  # Antialiased, so that a large photo is averaged down rather than
  # sampled at 28x28 points.
  images = tf.image.resize(images, (height, width), antialias=True)
  return tf.clip_by_value(images, 0.0, 1.0)


def export_model(model: keras.Model, export_dir: str | pathlib.Path,
                 class_names: Sequence[str]) -> pathlib.Path:
  """Writes the SavedModel with its `serve` and `serve_uint8` endpoints.

  Args:
    model: Maps [0, 1] images of its input shape to class probabilities.
    export_dir: Output directory; replaced if it exists.
    class_names: Names in class-index order, written to assets/labels.txt.

  Returns:
    The export directory.
  """
  export_dir = pathlib.Path(export_dir)
  _, height, width, channels = model.input_shape
  if len(class_names) != model.output_shape[-1]:
    raise ValueError(f"{len(class_names)} class names for a model with "
                     f"{model.output_shape[-1]} outputs")

  def serve(images):
    return model(to_model_input(images, height, width, channels),
                 training=False)

  archive = keras.export.ExportArchive()
  archive.track(model)
  # The first endpoint also becomes the `serving_default` signature.
  archive.add_endpoint(
      "serve", serve,
      input_signature=[tf.TensorSpec([None, None, None, None], tf.float32)])
  archive.add_endpoint(
      "serve_uint8", serve,
      input_signature=[tf.TensorSpec([None, None, None, None], tf.uint8)])
  if export_dir.exists():
    tf.io.gfile.rmtree(str(export_dir))
  archive.write_out(str(export_dir), verbose=False)
  assets = export_dir / "assets"
  assets.mkdir(parents=True, exist_ok=True)
  (assets / LABELS_FILE).write_text("".join(f"{n}\n" for n in class_names))
  return export_dir


def load_export(export_dir: str | pathlib.Path):
  """Loads an export and its class names.

  Args:
    export_dir: A directory written by `export_model`.

  Returns:
    `(loaded, class_names)`: the SavedModel object (call `serve` or
    `serve_uint8`) and the list of class names.

  Raises:
    FileNotFoundError: if the directory holds no export.
    trainers.run_dir.workdir.DamagedFileError: the export is there but
      cannot be loaded (a truncated file), naming it.
  """
  export_dir = pathlib.Path(export_dir)
  class_names = read_class_names(export_dir)
  try:
    loaded = tf.saved_model.load(str(export_dir))
  except (tf.errors.OpError, IndexError, ValueError, OSError, KeyError,
          message.DecodeError) as e:
    # IndexError: TensorFlow's reader on a truncated variables file.
    raise workdir_lib.damaged(export_dir, e) from None
  return loaded, class_names


def read_class_names(export_dir: str | pathlib.Path) -> list[str]:
  """An export's class names, without loading its SavedModel.

  Raises:
    FileNotFoundError: if the directory holds no export.
  """
  export_dir = pathlib.Path(export_dir)
  labels = export_dir / "assets" / LABELS_FILE
  if not (export_dir / "saved_model.pb").exists() or not labels.exists():
    raise FileNotFoundError(
        f"No exported model in {export_dir} (expected saved_model.pb and "
        f"assets/{LABELS_FILE}); train one first with "
        "`python -m trainers.asl --workdir=...`.")
  return read_labels(labels)


def read_labels(path: str | pathlib.Path) -> list[str]:
  """Class names from a labels file, one a line in class-index order."""
  # split, not splitlines: a name may hold any character but "\n".
  return pathlib.Path(path).read_text().split("\n")[:-1]
