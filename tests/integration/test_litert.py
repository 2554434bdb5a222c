"""LiteRT export: the converted models answer as the SavedModel does.

One copy of the session's trained run is converted once per module (float32
and int8, through the command); predict and evaluate then take the files.
"""

from __future__ import annotations

import json
import re
import shutil
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import asl_pipeline
from tests import helpers
from tfds_builders.common import command
from trainers import compare
from trainers import evaluate
from trainers import export as export_command
from trainers import predict
from trainers import visualize
from trainers.analysis import backends
from trainers.run_dir import export
from trainers.run_dir import litert
from trainers.run_dir import workdir as workdir_lib
from trainers.training import data as data_lib


def _execute(module, *args: str) -> int:
  program = module.__name__
  return command.execute(module.define_flags, module.main, [program, *args],
                         program)


@pytest.fixture(scope="module")
def run(trained_asl_run, tmp_path_factory):
  """A copy of the session's run, converted to float32 and int8 LiteRT."""
  copy = tmp_path_factory.mktemp("litert") / "run"
  shutil.copytree(trained_asl_run.workdir, copy)
  for quantize in ("none", "int8"):
    assert _execute(export_command, f"--workdir={copy}",
                    f"--quantize={quantize}") == 0
  return copy


@pytest.fixture(scope="module")
def test_images(trained_asl_run):
  """Every test image of the run's dataset, uint8 [N, 28, 28, 1]."""
  images = [batch for batch, _ in asl_pipeline.eval_dataset(
      "sign_language_mnist", split="test", batch_size=1000,
      data_dir=trained_asl_run.config.data_dir).as_numpy_iterator()]
  return np.round(np.concatenate(images) * 255).astype(np.uint8)


def _savedmodel_probabilities(run, images):
  return backends.load(run).predict_probabilities(images)


def test_the_command_writes_the_model_and_its_class_names(run):
  assert sorted(p.name for p in (run / "litert").iterdir()) == [
      "labels.txt", "model_int8.tflite", "model_none.tflite"]
  assert export.read_labels(run / "litert" / "labels.txt") == list(
      helpers.LETTERS)
  none = (run / "litert" / "model_none.tflite").stat().st_size
  int8 = (run / "litert" / "model_int8.tflite").stat().st_size
  assert int8 < 0.3 * none


def test_float32_agrees_with_the_savedmodel_on_every_test_image(
    run, test_images):
  model = backends.LiteRTBackend(run / "litert" / "model_none.tflite")
  assert model.image_size == (28, 28, 1)
  got = model.predict_probabilities(test_images)
  expected = _savedmodel_probabilities(run, test_images)
  np.testing.assert_array_equal(got.argmax(-1), expected.argmax(-1))
  np.testing.assert_allclose(got, expected, atol=1e-4)
  # One image at a time too (the interpreter resizes its input).
  np.testing.assert_allclose(model.predict_probabilities(test_images[:1]),
                             expected[:1], atol=1e-4)


def _letters(count: int, seed: int):
  """uint8 [count, 28, 28, 1] images of 24 classes, each a bright patch.

  Class c lights a patch of its own over noise, so a model of them has
  the clear margins of a trained one (the session's run trains four
  steps: its probabilities are nearly flat, and any rounding reorders
  them). The noise makes calibration see real ranges.
  """
  rng = np.random.default_rng(seed)
  labels = rng.integers(0, 24, count)
  images = rng.integers(0, 60, (count, 28, 28, 1))
  for image, label in zip(images, labels):
    row, col = divmod(int(label), 6)
    image[row * 7:row * 7 + 6, col * 4 + 2:col * 4 + 6] += rng.integers(
        120, 190)
  return images.astype(np.uint8), labels


def _nearest_centroid_model(images: np.ndarray, labels: np.ndarray):
  """A classifier of the class means of `images`, built in no time."""
  flat = images.reshape(len(images), -1).astype(np.float32) / 255.0
  centroids = np.stack([flat[labels == c].mean(0) for c in range(24)])
  inputs = keras.Input((28, 28, 1))
  logits = keras.layers.Dense(24, name="centroids")(
      keras.layers.Flatten()(inputs))
  outputs = keras.layers.Softmax(name="probabilities")(logits)
  model = keras.Model(inputs, outputs, name="nearest_centroid")
  # argmax of 2 x.c - |c|^2 is the nearest centroid.
  model.get_layer("centroids").set_weights([
      2 * centroids.T, -(centroids ** 2).sum(1)])
  return model


def test_int8_takes_uint8_and_agrees_with_float(tmp_path):
  images, labels = _letters(480, seed=0)
  keras_model = _nearest_centroid_model(images, labels)
  batches = tf.data.Dataset.from_tensor_slices(
      (images.astype(np.float32) / 255.0, labels)).batch(32)
  path = tmp_path / "model_int8.tflite"
  path.write_bytes(litert.convert(keras_model, "int8",
                                  litert.representative_images(batches, 4)))
  (tmp_path / "labels.txt").write_text("".join(f"{l}\n" for l in
                                               helpers.LETTERS))
  model = backends.LiteRTBackend(path)
  interpreter = model._interpreter  # pylint: disable=protected-access
  assert interpreter.get_input_details()[0]["dtype"] == np.uint8
  kinds = {t["dtype"] for t in interpreter.get_tensor_details()}
  assert np.int8 in kinds  # Weights and activations.
  test_images, test_labels = _letters(200, seed=1)
  got = model.predict_probabilities(test_images)
  assert got.dtype == np.float32
  # Probabilities in steps of 1/256, the int8 softmax's scale.
  np.testing.assert_allclose(got.sum(-1), 1.0, atol=0.05)
  expected = backends.KerasBackend(keras_model, helpers.LETTERS
                                   ).predict_probabilities(test_images)
  assert np.mean(expected.argmax(-1) == test_labels) > 0.9  # It decides.
  agreement = np.mean(got.argmax(-1) == expected.argmax(-1))
  assert agreement >= 0.97, agreement


def test_int8_of_a_run_is_written_beside_float32(run, test_images):
  model = backends.LiteRTBackend(run / "litert" / "model_int8.tflite")
  assert model.predict_probabilities(test_images[:5]).shape == (5, 24)


def test_calibration_reads_training_images_without_augmentation(
    trained_asl_run):
  config = trained_asl_run.config
  spec = data_lib.DataSpec.create(config, announce=False)
  batches = list(litert.representative_images(
      spec.batchnorm_batches(3), 3)())
  assert len(batches) == 3
  assert all(b.dtype == np.uint8 and b.shape == (config.batch_size, 28, 28,
                                                 1) for b in batches)
  train = {image.tobytes() for image, _ in tfds.as_numpy(tfds.load(
      "sign_language_mnist", split="train", data_dir=config.data_dir,
      as_supervised=True))}
  # Stored pixels exactly: an augmented image would match none.
  assert all(image.tobytes() in train for b in batches for image in b)
  # And a second pass gives the converter the same images.
  again = list(litert.representative_images(spec.batchnorm_batches(3), 3)())
  np.testing.assert_array_equal(np.stack(batches), np.stack(again))


def _predict(capsys, model, *args):
  assert _execute(predict, f"--workdir={model}", "--top_k=3", *args) == 0
  return capsys.readouterr().out


def test_predict_answers_in_the_same_format(run, hand_png, capsys):
  by_run = _predict(capsys, run, str(hand_png))
  by_file = _predict(capsys, run / "litert" / "model_none.tflite",
                     str(hand_png))
  pattern = rf"{re.escape(str(hand_png))}: (\w \d\.\d{{3}}, ){{2}}\w \d\.\d{{3}}\n"
  assert re.fullmatch(pattern, by_run) and re.fullmatch(pattern, by_file)
  assert by_run.split()[1] == by_file.split()[1]  # The top letter.
  as_json = [json.loads(_predict(capsys, m, "--json", str(hand_png)))
             for m in (run, run / "litert" / "model_int8.tflite")]
  assert [[sorted(p) for p in r[0]["predictions"]] for r in as_json] == [
      [["label", "probability"]] * 3] * 2
  assert [list(r[0]) for r in as_json] == [["path", "predictions"]] * 2


def test_evaluate_reports_in_the_same_format(run, tmp_path, capsys):
  outputs, scores = [], []
  for model, out in ((run, tmp_path / "run"),
                     (run / "litert" / "model_none.tflite",
                      tmp_path / "none")):
    assert _execute(evaluate, f"--workdir={model}", f"--out={out}") == 0
    outputs.append(capsys.readouterr().out)
    scores.append(json.loads((out / "scores_test.json").read_text()))
    assert (out / "confusion_test.png").stat().st_size > 0
  assert outputs[1].splitlines()[0] == (
      f"sign_language_mnist test, model {run}/litert/model_none.tflite")
  # Everything after the first line: the same table, the same numbers.
  strip = lambda text: [l for l in text.splitlines()[1:] if
                        not l.startswith(("Scores:", "Confusion matrix:",
                                          "Mistakes:"))]
  assert strip(outputs[0]) == strip(outputs[1])
  # The same worst mistakes, their probabilities agreeing to float32
  # LiteRT's precision (near-equal ones may swap places, or at the edge of
  # the list, with a model this little trained).
  mistakes = [s.pop("mistakes") for s in scores]
  assert scores[0] == scores[1]
  keys = [{m["key"] for m in listed} for listed in mistakes]
  assert len(keys[0] & keys[1]) >= len(keys[0]) - 2
  np.testing.assert_allclose([m["probability"] for m in mistakes[0]],
                             [m["probability"] for m in mistakes[1]],
                             atol=1e-4)


def test_evaluate_writes_beside_the_file_by_default(run, capsys):
  model = run / "litert" / "model_int8.tflite"
  assert _execute(evaluate, f"--workdir={model}") == 0
  capsys.readouterr()
  assert (run / "litert" / "model_int8" / "scores_test.json").exists()
  shutil.rmtree(run / "litert" / "model_int8")


def test_a_failed_conversion_leaves_nothing(finished_run, monkeypatch, capsys):
  original = tf.lite.TFLiteConverter.from_saved_model

  def failing(*args, **kwargs):
    converter = original(*args, **kwargs)

    def fail():
      raise RuntimeError("converter stopped")

    converter.convert = fail
    return converter

  monkeypatch.setattr(tf.lite.TFLiteConverter, "from_saved_model", failing)
  assert _execute(export_command, f"--workdir={finished_run}",
                  "--quantize=none") == 1
  assert "converter stopped" in capsys.readouterr().err
  assert not (finished_run / "litert").exists()


def test_a_write_killed_midway_leaves_no_model(finished_run, monkeypatch):
  monkeypatch.setattr(litert, "convert", lambda *a, **k: b"x" * 1000)
  real_write = type(finished_run).write_bytes

  def half_then_die(self, data):
    real_write(self, data[:len(data) // 2])
    raise KeyboardInterrupt

  monkeypatch.setattr(type(finished_run), "write_bytes", half_then_die)
  assert _execute(export_command, f"--workdir={finished_run}",
                  "--quantize=none") == command.INTERRUPTED
  assert not list((finished_run / "litert").glob("*.tflite*"))
  assert not [p for p in (finished_run / "litert").iterdir()
              if "tflite" in p.name]


def test_a_run_without_an_export_is_a_usage_error(finished_run, capsys):
  shutil.rmtree(finished_run / "export")
  assert _execute(export_command, f"--workdir={finished_run}") == 2
  err = capsys.readouterr().err
  assert len(err.splitlines()) == 1 and "No exported model in" in err
  assert not (finished_run / "litert").exists()


def test_a_layer_the_converter_cannot_take_is_named():

  class Odd(keras.layers.Layer):

    def call(self, x):
      return tf.math.erfinv(x)  # No LiteRT builtin.

  inputs = keras.Input((4, 4, 1))
  outputs = keras.layers.Dense(3, activation="softmax")(
      keras.layers.Flatten()(Odd(name="odd_layer")(inputs)))
  with pytest.raises(litert.ConversionError) as e:
    litert.convert(keras.Model(inputs, outputs, name="tiny"))
  assert str(e.value).startswith(
      "LiteRT cannot convert layer 'odd_layer' of model 'tiny' (op "
      "tf.Erfinv)")
  assert "\n" not in str(e.value)
  assert command.exit_status(e.value) == 1


@pytest.mark.parametrize("module, args", [
    (visualize, ["--image=IMG", "--out=OUT"]),
    (compare, ["--out=OUT"]),
    (export_command, []),
])
def test_commands_that_take_runs_refuse_a_tflite_file(
    run, hand_png, tmp_path, capsys, module, args):
  model = run / "litert" / "model_none.tflite"
  args = [a.replace("IMG", str(hand_png)).replace("OUT", str(tmp_path / "o"))
          for a in args]
  given = [str(model)] if module is compare else [f"--workdir={model}"]
  assert _execute(module, *given, *args) == 2
  err = capsys.readouterr().err
  assert len(err.splitlines()) == 1, err
  assert "is a LiteRT model, not a training run" in err
  assert not (tmp_path / "o").exists()


def test_the_command_knows_every_quantization_without_tensorflow():
  assert export_command.QUANTIZATIONS == litert.QUANTIZATIONS
  assert workdir_lib.litert_model("R", "int8").as_posix() == (
      "R/litert/model_int8.tflite")


def test_onnx_takes_uint8_and_agrees_with_the_savedmodel(run, test_images,
                                                         capsys):
  pytest.importorskip("tf2onnx")
  runtime = pytest.importorskip("onnxruntime")
  assert _execute(export_command, f"--workdir={run}", "--format=onnx") == 0
  assert "model.onnx" in capsys.readouterr().out
  session = runtime.InferenceSession(str(run / "onnx" / "model.onnx"))
  got = session.run(None, {session.get_inputs()[0].name: test_images})[0]
  np.testing.assert_allclose(got, _savedmodel_probabilities(run, test_images),
                             atol=1e-4)
  assert export.read_labels(run / "onnx" / "labels.txt") == list(
      helpers.LETTERS)


def test_onnx_without_tf2onnx_is_a_usage_error(finished_run, monkeypatch,
                                               capsys):
  monkeypatch.setitem(sys.modules, "tf2onnx", None)  # As if absent.
  assert _execute(export_command, f"--workdir={finished_run}",
                  "--format=onnx") == 2
  assert "pip install tf2onnx onnx" in capsys.readouterr().err
  assert not (finished_run / "onnx").exists()
