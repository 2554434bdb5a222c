"""The models `predict` and `evaluate` run: a run's export or a LiteRT file.

Both are a `Backend`: class names, the image size the model takes, and
`predict_probabilities(uint8 batch)`. `load` picks one from what the
command line names:

  backend = backends.load("RUN")                           # the SavedModel
  backend = backends.load("RUN/litert/model_int8.tflite")  # LiteRT
  probabilities = backend.predict_probabilities(
      backends.fit_to_model(uint8_image[None], backend))
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
import pathlib
import warnings

import numpy as np
import tensorflow as tf

from trainers.run_dir import export as export_lib
from trainers.run_dir import workdir as workdir_lib


class Backend(abc.ABC):
  """A classifier taking uint8 images.

  Attributes:
    class_names: Names in class-index order.
    image_size: `(height, width, channels)` the model takes, or None when
      it takes any size and channel count (it converts them itself).
    name: What the command line named (a run or a file), for messages.
  """

  class_names: list[str]
  image_size: tuple[int, int, int] | None
  name: str

  @abc.abstractmethod
  def predict_probabilities(self, images: np.ndarray) -> np.ndarray:
    """Class probabilities `[N, classes]` of uint8 images `[N, H, W, C]`."""


class SavedModelBackend(Backend):
  """A run's export: `serve_uint8`, which resizes and converts by itself."""

  def __init__(self, loaded, class_names: Sequence[str], name: str = ""):
    self._loaded = loaded
    self.class_names = list(class_names)
    self.image_size = None
    self.name = name

  def predict_probabilities(self, images: np.ndarray) -> np.ndarray:
    return self._loaded.serve_uint8(tf.convert_to_tensor(images)).numpy()


class KerasBackend(Backend):
  """A run's `model.keras`, fed as the export feeds it (cast, then /255)."""

  def __init__(self, model, class_names: Sequence[str], name: str = ""):
    self._model = model
    self.class_names = list(class_names)
    self.image_size = tuple(model.input_shape[1:])
    self.name = name
    # One graph for every batch; a last, smaller batch traces once more.
    self._predict = tf.function(
        lambda x: model(tf.cast(x, tf.float32) / 255.0, training=False),
        reduce_retracing=True)

  def predict_probabilities(self, images: np.ndarray) -> np.ndarray:
    return self._predict(tf.convert_to_tensor(images)).numpy()


def _interpreter_class():
  """LiteRT's interpreter, else TensorFlow's copy of it (deprecated)."""
  try:
    from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
    return Interpreter
  except ImportError:
    return tf.lite.Interpreter


class LiteRTBackend(Backend):
  """A `.tflite` file run by the LiteRT interpreter.

  Its class names are the `labels.txt` beside it. The batch size follows
  the images given; the first tensor of each of a model's input and output
  is used.
  """

  def __init__(self, path: workdir_lib.PathLike,
               num_threads: int | None = None):
    path = pathlib.Path(path)
    labels = path.parent / export_lib.LABELS_FILE
    if not labels.exists():
      raise FileNotFoundError(f"No {export_lib.LABELS_FILE} beside {path}: "
                              "the class names are kept there")
    with warnings.catch_warnings():
      # tf.lite.Interpreter, the fallback, warns of its own deprecation.
      warnings.simplefilter("ignore")
      try:
        self._interpreter = _interpreter_class()(
            model_path=str(path), num_threads=num_threads)
      except (ValueError, RuntimeError) as e:
        raise workdir_lib.damaged(path, e) from None
    self._input = self._interpreter.get_input_details()[0]
    self._output = self._interpreter.get_output_details()[0]
    self._batch = None
    self.class_names = export_lib.read_labels(labels)
    self.image_size = tuple(int(d) for d in self._input["shape"][1:])
    self.name = str(path)
    if len(self.class_names) != int(self._output["shape"][-1]):
      raise workdir_lib.damaged(labels, ValueError(
          f"{len(self.class_names)} class names for a model with "
          f"{int(self._output['shape'][-1])} outputs"))

  def predict_probabilities(self, images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.shape[0] != self._batch:
      # A new batch size: shapes change, so tensors are placed again.
      self._interpreter.resize_tensor_input(self._input["index"],
                                            images.shape)
      self._interpreter.allocate_tensors()
      self._batch = images.shape[0]
    self._interpreter.set_tensor(self._input["index"],
                                 _as_input(images, self._input))
    self._interpreter.invoke()
    return _dequantized(self._interpreter.get_tensor(self._output["index"]),
                        self._output)


def _as_input(images: np.ndarray, detail) -> np.ndarray:
  """uint8 pixels as the model's input tensor wants them."""
  dtype = detail["dtype"]
  if dtype == np.uint8:
    return images.astype(np.uint8, copy=False)
  scale, zero_point = detail["quantization"]
  if np.issubdtype(dtype, np.floating):
    # A float model from elsewhere takes [0, 1], as the export does.
    return images.astype(dtype) / 255.0
  # An int8 input: quantize the [0, 1] values with its parameters.
  return np.clip(np.round(images / 255.0 / scale + zero_point),
                 np.iinfo(dtype).min, np.iinfo(dtype).max).astype(dtype)


def _dequantized(values: np.ndarray, detail) -> np.ndarray:
  """An output tensor as float32 (the converted models give float32)."""
  if np.issubdtype(values.dtype, np.floating):
    return values.astype(np.float32, copy=False)
  scale, zero_point = detail["quantization"]
  return ((values.astype(np.float32) - zero_point) * scale)


def fit_to_model(images: np.ndarray, backend: Backend) -> np.ndarray:
  """uint8 images of any size and channels, as `backend` takes them.

  The export's own preprocessing (`export.to_model_input`: channels, then
  an antialiased resize), rounded back to uint8 for a model of fixed size;
  images pass unchanged to one that converts them itself.

  Args:
    images: uint8 `[N, H, W, C]`, C from 1 to 4.
    backend: The model they are for.

  Returns:
    uint8 `[N, height, width, channels]`.
  """
  if backend.image_size is None:
    return np.asarray(images)
  height, width, channels = backend.image_size
  if tuple(np.shape(images)[1:]) == backend.image_size:
    return np.asarray(images)
  scaled = export_lib.to_model_input(images, height, width, channels)
  return tf.cast(tf.round(scaled * 255.0), tf.uint8).numpy()


def load(path: workdir_lib.PathLike) -> Backend:
  """The backend for a run (its export), an export folder or a `.tflite`.

  Raises:
    FileNotFoundError: no export or no labels, naming the file.
    trainers.run_dir.workdir.DamagedFileError: a file that cannot be read.
  """
  if workdir_lib.is_litert_file(path):
    return LiteRTBackend(path)
  loaded, class_names = export_lib.load_export(workdir_lib.find_export(path))
  return SavedModelBackend(loaded, class_names, str(path))
