"""Converts a finished run's model to ONNX, for runtimes outside TensorFlow.

The ONNX model takes and returns what the LiteRT one does (see
`trainers.run_dir.litert`): uint8 images `[N, height, width, channels]` at
the model's size, class probabilities `[N, classes]` as float32. Keras's
own exporter does the conversion, through tf2onnx, which is not a
dependency of this package: `pip install 'asl-pipeline[onnx]'` (tf2onnx and
onnx) before asking for it.
"""

from __future__ import annotations

from collections.abc import Sequence
import contextlib
import io
import pathlib
import warnings

import keras
import tensorflow as tf

from tfds_builders.common import files
from trainers.run_dir import export as export_lib
from trainers.run_dir import workdir as workdir_lib

INSTALL = "pip install tf2onnx onnx (the package's [onnx] extra)"


def check_installed() -> None:
  """Raises ModuleNotFoundError, saying what to install, without tf2onnx."""
  try:
    import onnx  # pylint: disable=g-import-not-at-top,unused-import
    import tf2onnx  # pylint: disable=g-import-not-at-top,unused-import
  except ImportError as e:
    raise ModuleNotFoundError(f"ONNX export needs {e.name}: {INSTALL}"
                              ) from None


def uint8_model(model: keras.Model) -> keras.Model:
  """`model` behind a uint8 input scaled to [0, 1], as the export scales."""
  _, height, width, channels = model.input_shape
  inputs = keras.Input((height, width, channels), dtype="uint8",
                       name="images")
  scaled = keras.layers.Rescaling(1.0 / 255.0, name="to_unit_range")(inputs)
  return keras.Model(inputs, model(scaled), name=f"{model.name}_uint8")


def write(workdir: workdir_lib.PathLike, model: keras.Model,
          class_names: Sequence[str]) -> pathlib.Path:
  """Writes `RUN/onnx/model.onnx` and `labels.txt` beside it, each whole.

  Returns:
    The `.onnx` file's path.
  """
  check_installed()
  wrapped = uint8_model(model)
  _, height, width, channels = model.input_shape
  spec = tf.TensorSpec([None, height, width, channels], tf.uint8,
                       name="images")
  path = workdir_lib.onnx_model(workdir)
  new_folder = not path.parent.exists()
  path.parent.mkdir(parents=True, exist_ok=True)
  try:
    with files.atomic_path(path) as tmp:
      # tf2onnx prints its progress on stdout whatever it is told, and
      # Keras's patch of it warns about NumPy's future.
      with contextlib.redirect_stdout(io.StringIO()), \
          warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        wrapped.export(str(tmp), format="onnx", verbose=False,
                       input_signature=[spec])
  except BaseException:
    if new_folder:
      path.parent.rmdir()  # Nothing is left of a failed conversion.
    raise
  files.write_text(path.parent / export_lib.LABELS_FILE,
                   "".join(f"{name}\n" for name in class_names))
  return path
