"""What several test modules share: builds, runs, commands, small files.

Kept free of TensorFlow at import time: the scripts that tests run in a
fresh interpreter import it too, some before TensorFlow may start.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
import io
import os
import pathlib
import struct
import subprocess
import sys
from typing import Any
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "trainers" / "configs"
LETTERS = "ABCDEFGHIKLMNOPQRSTUVWXY"


# --- Datasets -----------------------------------------------------------------


def build_dataset(name: str, manual_dir, data_dir, config=None,
                  beam_options=None):
  """Builds a dataset of this package from files, as `tfds build` does.

  Args:
    name: The builder's name, e.g. "cats_dogs".
    manual_dir: Folder holding the source files.
    data_dir: TFDS data_dir to write into.
    config: Builder config (object or name); None for the default.
    beam_options: Apache Beam pipeline options, to build on Beam.

  Returns:
    The builder that prepared the dataset.
  """
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  import tfds_builders  # pylint: disable=g-import-not-at-top,unused-import
  kwargs = {} if config is None else {"config": config}  # Or in `name`.
  builder = tfds.builder(name, data_dir=str(data_dir), **kwargs)
  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
      manual_dir=str(manual_dir), beam_options=beam_options))
  return builder


def build_sign_language_mnist(csv_dir, data_dir, **sample_kwargs):
  """Writes a synthetic CSV sample and builds it.

  Args:
    csv_dir: Where the CSVs go.
    data_dir: TFDS data_dir to write into.
    **sample_kwargs: For `make_sample.make_sample` (rows, seed, scheme...).

  Returns:
    The builder of the prepared dataset.
  """
  from tfds_builders.sign_language_mnist import make_sample  # pylint: disable=g-import-not-at-top
  make_sample.make_sample(str(csv_dir), **sample_kwargs)
  return build_dataset("sign_language_mnist", csv_dir, data_dir)


# A row's 784 pixels, all black.
BLACK_PIXELS = ",".join(["0"] * 784)


def csv_rows(*labels) -> bytes:
  """Sign Language MNIST CSV rows of black images with these raw labels."""
  return "".join(f"{label},{BLACK_PIXELS}\n" for label in labels).encode()


def save_image(pixels, path) -> str:
  """Writes a uint8 array as an image file (format from the suffix)."""
  from PIL import Image  # pylint: disable=g-import-not-at-top
  Image.fromarray(pixels).save(path)
  return str(path)


def tiny_jpeg(seed: int = 0) -> bytes:
  """An 8x8 RGB JPEG of seeded noise."""
  import io  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from PIL import Image  # pylint: disable=g-import-not-at-top
  pixels = np.random.default_rng(seed).integers(0, 255, (8, 8, 3), np.uint8)
  out = io.BytesIO()
  Image.fromarray(pixels).save(out, format="JPEG")
  return out.getvalue()


def write_tree(root, files: Mapping[str | bytes, bytes | str]):
  """Writes `files` (relative path -> bytes or UTF-8 text) under `root`.

  A path given as bytes need not be UTF-8, as names on disk may not be.

  Returns:
    `root`.
  """
  for name, content in files.items():
    if isinstance(name, bytes):
      path = pathlib.Path(os.fsdecode(os.path.join(os.fsencode(root), name)))
    else:
      path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
      path.write_text(content, encoding="utf-8")
    else:
      path.write_bytes(content)
  return root


def huge_png(width: int, height: int) -> bytes:
  """A one-pixel PNG whose header declares `width` x `height` pixels."""
  from PIL import Image  # pylint: disable=g-import-not-at-top
  out = io.BytesIO()
  Image.new("L", (1, 1)).save(out, format="PNG")
  data = bytearray(out.getvalue())
  ihdr = 8 + 8  # Signature, then the IHDR chunk's length and type.
  data[ihdr:ihdr + 8] = struct.pack(">II", width, height)
  crc = zlib.crc32(bytes(data[ihdr - 4:ihdr + 13]))
  data[ihdr + 13:ihdr + 17] = struct.pack(">I", crc)
  return bytes(data)


def example_keys(dataset) -> list[str]:
  """One digest per example (image and label) of a batched dataset."""
  import hashlib  # pylint: disable=g-import-not-at-top
  keys = []
  for images, labels in dataset.as_numpy_iterator():
    for image, label in zip(images, labels):
      keys.append(hashlib.sha1(image.tobytes() + bytes([label])).hexdigest())
  return keys


def assert_not_blank(path) -> None:
  """Asserts that the image file at `path` is a picture, not a blank page."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from PIL import Image  # pylint: disable=g-import-not-at-top
  pixels = np.asarray(Image.open(path).convert("L"), np.float32)
  assert pixels.shape[0] > 100 and pixels.shape[1] > 100
  assert pixels.std() > 10, f"{path} looks blank"


# --- Training -----------------------------------------------------------------


def make_train_step(model, optimizer, loss_fn):
  """A plain GradientTape step: `step(x, y)` updates `model`, returns the loss.

  Not compiled, so that callers can run it eagerly, wrap it in
  `tf.function`, or hand it to `strategy.run`.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  def step(x, y):
    with tf.GradientTape() as tape:
      # No division by the replica count: under a strategy Keras 3 losses
      # already scale by 1 / num_replicas_in_sync.
      loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss

  return step


def latest_checkpoint_step(workdir) -> int:
  """The global step of a run's newest checkpoint; -1 when there is none."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  latest = tf.train.latest_checkpoint(str(pathlib.Path(workdir) /
                                          "checkpoints"))
  return int(latest.rsplit("-", 1)[1]) if latest else -1


def checkpointed_step(workdir) -> int:
  """The step counter stored in a run's newest checkpoint."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  latest = tf.train.latest_checkpoint(str(pathlib.Path(workdir) /
                                          "checkpoints"))
  return int(tf.train.load_variable(latest,
                                    "step/.ATTRIBUTES/VARIABLE_VALUE"))


def check_finished_run(workdir, metrics, config) -> None:
  """Asserts what a finished DLI CNN run of `config` leaves in `workdir`.

  Args:
    workdir: The run's directory.
    metrics: What `train_and_evaluate` returned.
    config: The run's config; it has a validation and a test split, and
      writes summary images.
  """
  import json  # pylint: disable=g-import-not-at-top
  import keras  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  import asl_pipeline  # pylint: disable=g-import-not-at-top
  from trainers.command_line import config as config_lib  # pylint: disable=g-import-not-at-top
  from trainers.run_dir import export  # pylint: disable=g-import-not-at-top
  workdir = pathlib.Path(workdir)
  assert json.loads((workdir / "metrics.json").read_text()) == metrics
  history = metrics["history"]
  assert [h["epoch"] for h in history] == list(range(1, config.epochs + 1))
  layers = ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "dense",
            "probabilities"]
  for record in history:
    assert set(record) == {"epoch", "train_loss", "train_accuracy",
                           "val_loss", "val_accuracy", "val_balanced_accuracy",
                           "seconds", "grad_norms"}
    assert list(record["grad_norms"]) == layers  # Input to output.
    assert all(v > 0 and np.isfinite(v)
               for v in record["grad_norms"].values())
    assert np.isfinite(record["train_loss"])
  # The first epoch with the best validation accuracy.
  assert metrics["best"] == max(history, key=lambda h: h["val_accuracy"])
  assert config_lib.Config.from_json(
      (workdir / "config.json").read_text()) == config
  assert checkpointed_step(workdir) == config.epochs * config.steps_per_epoch
  assert set(summaries(workdir / "logs" / "train")) == {
      "loss", "accuracy", "learning_rate", "learning_rate/by_step",
      "augmented_inputs", *(f"grad_norm/{layer}" for layer in layers)}
  assert set(summaries(workdir / "logs" / "validation")) == {
      "loss", "accuracy", "balanced_accuracy"}
  # The rate of every update, by global step.
  assert sorted(summaries(workdir / "logs" / "train")[
      "learning_rate/by_step"]) == list(
          range(config.epochs * config.steps_per_epoch))
  assert (workdir / "curves.png").stat().st_size > 0

  # model.keras holds the weights the test numbers were measured with ...
  model = keras.models.load_model(workdir / "model.keras")
  model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
  # `auto` is the dataset's own test split.
  split = "test" if config.test_split == "auto" else config.test_split
  test = asl_pipeline.eval_dataset(
      "sign_language_mnist", split=split,
      batch_size=config.eval_batch_size, data_dir=config.data_dir)
  loss, accuracy = model.evaluate(test, verbose=0)
  assert abs(accuracy - metrics["test"]["accuracy"]) < 1e-6, (
      accuracy, metrics["test"])
  np.testing.assert_allclose(loss, metrics["test"]["loss"], rtol=1e-5)
  # ... and the export, what `predict` serves, agrees with it.
  loaded, class_names = export.load_export(workdir / "export")
  assert class_names == list(LETTERS)
  images = next(iter(test))[0]
  np.testing.assert_allclose(loaded.serve(images), model(images), atol=1e-5)


def summaries(log_dir) -> dict[str, dict[int, Any]]:
  """Tag -> {step: value} of the event files in `log_dir`.

  Images are given as their raw summary value; scalars as Python numbers.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  found = {}
  for path in pathlib.Path(log_dir).iterdir():
    for event in tf.compat.v1.train.summary_iterator(str(path)):
      for value in event.summary.value:
        tensor = tf.make_ndarray(value.tensor)
        found.setdefault(value.tag, {})[event.step] = (
            tensor.item() if tensor.ndim == 0 else value)
  return found


def parse_flags(defaults, *args: str, model_options=(), program="asl"):
  """A trainer's flags, defined afresh and parsed from `args`.

  A `FlagValues` of its own, so that tests of two trainers never define
  the same flag twice in one process.
  """
  from absl import flags  # pylint: disable=g-import-not-at-top
  from trainers.command_line import flags as trainer_flags  # pylint: disable=g-import-not-at-top
  flag_values = flags.FlagValues()
  trainer_flags.define_flags(defaults, model_options, flag_values=flag_values)
  flag_values([program, *args])
  flag_values.validate_all_flags()
  return flag_values


# --- Commands -----------------------------------------------------------------


def command_env(**extra: str) -> dict[str, str]:
  """The environment for a command under test.

  This checkout comes first on the path, whatever is installed, and
  TensorFlow's C++ start-up lines are hidden.
  """
  path = os.pathsep.join(filter(None, [str(ROOT),
                                       os.environ.get("PYTHONPATH")]))
  return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=path, **extra)


def run_python(*args: str, cwd=ROOT, timeout: float = 300,
               env: Mapping[str, str] | None = None
               ) -> subprocess.CompletedProcess:
  """Runs `python ARGS...` to completion; output captured as text."""
  return subprocess.run([sys.executable, *args], cwd=cwd,
                        env=command_env() if env is None else env,
                        capture_output=True, text=True, timeout=timeout,
                        check=False)


def run_module(module: str, *args: str,
               **kwargs) -> subprocess.CompletedProcess:
  """Runs `python -m MODULE ARGS...`; see `run_python`."""
  return run_python("-m", module, *args, **kwargs)


def execute(module: str, *args: str) -> int:
  """Runs command MODULE with ARGS in this process; its exit status.

  What `python -m MODULE ARGS...` does once its console is set up: the same
  flags, `main` and exit statuses, printing to this process's stdout and
  stderr (read them with capsys), without a TensorFlow start-up of its own.
  The trainers find their shipped `--flagfile`s by name, as on the command
  line.
  """
  import importlib  # pylint: disable=g-import-not-at-top
  from tfds_builders.common import command  # pylint: disable=g-import-not-at-top
  from trainers import configs  # pylint: disable=g-import-not-at-top
  imported = importlib.import_module(module)
  program = module.removesuffix(".__main__")
  rewrite = (configs.resolve_argv
             if module in ("trainers.asl", "trainers.cats_dogs") else None)
  return command.execute(imported.define_flags, imported.main,
                         [program, *args], program, rewrite)


def start_module(module: str, *args: str,
                 env: Mapping[str, str] | None = None,
                 **popen_kwargs) -> subprocess.Popen:
  """Starts `python -m MODULE ARGS...` with text pipes; does not wait."""
  popen_kwargs.setdefault("stdout", subprocess.PIPE)
  popen_kwargs.setdefault("stderr", subprocess.PIPE)
  return subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT,
                          env=command_env() if env is None else env,
                          text=True, **popen_kwargs)


def _empty_export(model, export_dir, class_names) -> pathlib.Path:
  """Stands in for `export.export_model`: the export folder, empty."""
  del model, class_names  # Unused.
  pathlib.Path(export_dir).mkdir(parents=True)
  return pathlib.Path(export_dir)


def skip_export(monkeypatch) -> None:
  """Runs after this call write an empty export folder, not a SavedModel.

  Writing the SavedModel takes seconds a run. Tests of resuming, stopping
  and checkpoints never read it; what it holds is checked by the runs that
  check every output (`check_finished_run`) and by the tests that predict
  or evaluate from an export.
  """
  from trainers.run_dir import export  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(export, "export_model", _empty_export)


def resume_for_one_more_epoch(workdir):
  """Resumes the run in `workdir` with one more epoch; its metrics."""
  from trainers.command_line import config as config_lib  # pylint: disable=g-import-not-at-top
  from trainers.training import loop  # pylint: disable=g-import-not-at-top
  config = config_lib.Config.from_json((workdir / "config.json").read_text())
  return loop.train_and_evaluate(
      dataclasses.replace(config, epochs=config.epochs + 1), workdir)
