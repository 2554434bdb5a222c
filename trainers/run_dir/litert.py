"""Converts a finished run's model to LiteRT (`.tflite`), optionally quantized.

The converted model takes what the export's `serve_uint8` takes at the
model's own size: uint8 images `[N, height, width, channels]`, NHWC, and
returns class probabilities `[N, num_classes]` as float32. It scales the
pixels to [0, 1] itself, exactly as the export does; resizing and channel
conversion stay outside it (`trainers.analysis.backends` does them before
calling it), because the export's antialiased resize (ScaleAndTranslate)
and its any-channel input have no LiteRT builtin.

Quantization (`QUANTIZATIONS`):
  none     float32 weights and activations
  float16  float16 weights, float32 compute
  dynamic  int8 weights, activations quantized on the fly
  int8     full integer: int8 weights and activations, calibrated on
           representative uint8 images; input uint8, output float32
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
import contextlib
import os
import pathlib
import re
import sys
import tempfile

import keras
import numpy as np
import tensorflow as tf

from tfds_builders.common import files
from trainers.run_dir import export as export_lib
from trainers.run_dir import workdir as workdir_lib

QUANTIZATIONS = ("none", "float16", "dynamic", "int8")
# The converter's own endpoint name inside the temporary SavedModel.
_ENDPOINT = "serve"

Representative = Callable[[], Iterable[np.ndarray]]


class ConversionError(RuntimeError):
  """A model the LiteRT converter cannot take; the message names the layer."""


def uint8_endpoint(model: keras.Model) -> tuple[Callable, tf.TensorSpec]:
  """The function to convert, and the input it takes.

  Args:
    model: Maps [0, 1] float images of its input shape to probabilities.

  Returns:
    `(serve, spec)`: `serve(uint8 images)` scales as the export's
    `serve_uint8` does (`export.to_model_input` at the model's own size,
    where the resize is the identity) and calls the model; `spec` is uint8
    `[None, height, width, channels]`.
  """
  _, height, width, channels = model.input_shape

  def serve(images):
    # The export's cast and scale, without its resize: same numbers.
    images = tf.cast(images, tf.float32) / 255.0
    return model(images, training=False)

  return serve, tf.TensorSpec([None, height, width, channels], tf.uint8,
                              name="images")


def convert(model: keras.Model, quantize: str = "none",
            representative: Representative | None = None) -> bytes:
  """Converts `model` to a LiteRT flatbuffer.

  Args:
    model: A Keras model as `uint8_endpoint` takes it.
    quantize: One of `QUANTIZATIONS`.
    representative: For "int8": returns an iterable of uint8 batches
      `[n, height, width, channels]` to calibrate the activations on.

  Returns:
    The `.tflite` file's bytes.

  Raises:
    ValueError: an unknown `quantize`, or "int8" without `representative`.
    ConversionError: the converter refused the model, naming the layer.
  """
  if quantize not in QUANTIZATIONS:
    raise ValueError(f"quantize must be one of {QUANTIZATIONS}, got "
                     f"{quantize!r}")
  if quantize == "int8" and representative is None:
    raise ValueError("int8 quantization needs representative images")
  serve, spec = uint8_endpoint(model)
  # Keras's own LiteRT export goes through a SavedModel too: converting a
  # concrete function directly leaves the weights as resource variables
  # that the interpreter cannot read.
  with tempfile.TemporaryDirectory(prefix="litert_") as saved_model:
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(_ENDPOINT, serve, input_signature=[spec])
    archive.write_out(saved_model, verbose=False)
    converter = tf.lite.TFLiteConverter.from_saved_model(
        saved_model, signature_keys=[_ENDPOINT])
    _configure(converter, quantize, representative)
    with _captured_stderr() as diagnostics:
      try:
        return converter.convert()
      except Exception as e:  # pylint: disable=broad-except
        # The converter raises several types (ConverterError, ValueError,
        # RuntimeError); it or its C++ diagnostics name the failing op.
        error = e
    raise ConversionError(describe_failure(
        model, f"{error}\n{''.join(diagnostics)}")) from error


@contextlib.contextmanager
def _captured_stderr() -> Iterator[list[str]]:
  """Keeps the converter's C++ diagnostics off the console.

  They are many lines per failure (MLIR locations, op dumps): the command
  says one, built from them. Yields a list that holds, after the block,
  what was written.
  """
  written = []
  sys.stderr.flush()
  try:
    saved = os.dup(2)
  except OSError:  # No stderr to keep clean.
    yield written
    return
  with tempfile.TemporaryFile() as captured:
    os.dup2(captured.fileno(), 2)
    try:
      yield written
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      captured.seek(0)
      written.append(captured.read().decode("utf-8", "replace"))


def _configure(converter, quantize: str,
               representative: Representative | None) -> None:
  """Sets the converter's options for one kind of quantization."""
  if quantize == "none":
    return
  converter.optimizations = [tf.lite.Optimize.DEFAULT]
  if quantize == "float16":
    converter.target_spec.supported_types = [tf.float16]
  elif quantize == "int8":

    def dataset():
      # The converter wants one list of input arrays per sample.
      for batch in representative():
        yield [np.asarray(batch, np.uint8)]

    converter.representative_dataset = dataset
    # Builtin int8 kernels only: a model with an op that has none fails
    # here rather than silently keeping float ops.
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.uint8
    # Probabilities as float32 for the caller (a dequantize op at the end).
    converter.inference_output_type = tf.float32


def describe_failure(model: keras.Model, error: BaseException | str) -> str:
  """One line naming the layer (and op) the converter could not take.

  Args:
    model: The model converted.
    error: The converter's exception, or its text with the diagnostics.
  """
  text = str(error)
  ops = re.findall(r"'(tf\.\w+)' op", text) or re.findall(
      r"\b(tf\.[A-Z]\w+)\b", text)
  # Op locations carry the layer's name scope: "model_1/layer_1/Op".
  layer = next((name for name in _layer_names(model)
                if re.search(rf"(^|[/\"'\s]){re.escape(name)}(_\d+)?/",
                             text)), None)
  where = f"layer {layer!r} of model" if layer else "model"
  op = f" (op {ops[0]})" if ops else ""
  # "error: loc(<where>): <reason>": the reason, without the location.
  reasons = [re.sub(r"^loc\(.*?\)+:\s*", "",
                    line.rsplit("error: ", 1)[-1].strip())
             for line in text.splitlines() if "error: " in line]
  reasons = [r for r in reasons if r and not r.startswith("failed while")]
  # Else the exception's own first line.
  reasons = reasons or [line.strip() for line in text.splitlines()
                        if line.strip()][:1]
  return (f"LiteRT cannot convert {where} {model.name!r}{op}"
          + (f": {reasons[0][:200]}" if reasons else ""))


def _layer_names(model: keras.Model) -> list[str]:
  """Every layer's name, nested models' layers first (the most specific)."""
  names = []
  for layer in model.layers:
    if isinstance(layer, keras.Model):
      names.extend(_layer_names(layer))
    names.append(layer.name)
  return names


def representative_images(batches: tf.data.Dataset, num_batches: int
                          ) -> Representative:
  """Calibration images from a pipeline's float [0, 1] batches.

  Args:
    batches: `(images, labels)` batches as `asl_pipeline` gives them:
      float32 in [0, 1], decoded from uint8 (so rounding gives back the
      stored pixels exactly).
    num_batches: How many batches one calibration pass reads.

  Returns:
    A function returning an iterable of uint8 batches, what the converted
    model takes.
  """
  def to_uint8(images, labels):
    del labels
    return tf.cast(tf.round(images * 255.0), tf.uint8)

  uint8 = batches.map(to_uint8).take(num_batches)
  return lambda: uint8.as_numpy_iterator()


def training_images(config, num_batches: int) -> Representative:
  """Calibration images: un-augmented batches of a run's training split.

  The batches precise BatchNorm draws (`DataSpec.batchnorm_batches`): the
  run's own training examples (those it held out for validation left out),
  at its batch size and image size, shuffled by its seed, as uint8.

  Args:
    config: The run's `Config` (its `data_dir` may be changed first).
    num_batches: Batches one calibration pass reads.
  """
  # Imported here: converting without calibration needs no dataset.
  from trainers.training import data as data_lib  # pylint: disable=g-import-not-at-top
  spec = data_lib.DataSpec.create(config, announce=False)
  return representative_images(spec.batchnorm_batches(num_batches),
                               num_batches)


def write(workdir: workdir_lib.PathLike, model_bytes: bytes,
          class_names: Sequence[str], quantize: str) -> pathlib.Path:
  """Writes `RUN/litert/model_<quantize>.tflite` and `labels.txt` beside it.

  Each file is written whole or not at all; the folder is created only
  here, after a successful conversion.

  Returns:
    The `.tflite` file's path.
  """
  path = workdir_lib.litert_model(workdir, quantize)
  path.parent.mkdir(parents=True, exist_ok=True)
  files.write_text(path.parent / export_lib.LABELS_FILE,
                   "".join(f"{name}\n" for name in class_names))
  with files.atomic_path(path) as tmp:
    tmp.write_bytes(model_bytes)
  return path
