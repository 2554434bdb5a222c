"""The training workdir: what a run writes, and how to read it back.

A workdir holds:
  config.json      the Config, as JSON
  metrics.json     {"history": [per-epoch records], "best": record,
                    "test": {"loss", "accuracy"}}
  checkpoints/     tf.train.CheckpointManager: everything a resumed run needs
                   to continue exactly (see `trainers.training.loop`)
  best.weights.h5  the weights of the best validation accuracy so far
  logs/            TensorBoard event files (train/, validation/)
  model.keras      the final (best) model
  export/          SavedModel taking any photo (see `trainers.run_dir.export`)
  litert/          `trainers.export`'s LiteRT models, model_<quantize>.tflite,
                   and their class names, labels.txt
  onnx/            `trainers.export --format=onnx`: model.onnx, labels.txt
  curves.png       loss and accuracy per epoch
  confusion_<split>.png  `trainers.evaluate`'s confusion matrix of a split
  scores_<split>.json    and its per-class precision, recall and F1
  mistakes_<split>.png   and its most confidently wrong examples

Every file is written whole or not at all (`tfds_builders.common.files`), so
a run killed at any moment leaves the previous version or the new one.
`export/`, a directory, is swapped in two renames; `find_export` finds the
complete one even if a kill fell between them.

This module is the only one that knows these names; the trainer, `predict`,
`evaluate`, `visualize` and `compare` all read a run through it.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from typing import Any
import zipfile

from tfds_builders.common import files
from trainers.command_line import config as config_lib

CONFIG = "config.json"
METRICS = "metrics.json"
CHECKPOINTS = "checkpoints"
BEST_WEIGHTS = "best.weights.h5"
LOGS = "logs"
MODEL = "model.keras"
EXPORT = "export"
CURVES = "curves.png"
# Written by `trainers.evaluate`, one each per evaluated split.
CONFUSION = "confusion_{split}.png"
SCORES = "scores_{split}.json"
MISTAKES = "mistakes_{split}.png"
# Where the previous export waits while the new one is renamed in.
OLD_EXPORT = "export.old"
LITERT = "litert"
LITERT_MODEL = "model_{quantize}.tflite"
LITERT_SUFFIX = ".tflite"
ONNX = "onnx"
ONNX_MODEL = "model.onnx"

PathLike = str | os.PathLike


class DamagedFileError(RuntimeError):
  """A run file that exists but cannot be read; the message names it."""


def find_export(model: PathLike) -> pathlib.Path:
  """The export directory of a workdir, or `model` itself if it is one.

  Args:
    model: A workdir, or an export directory.

  Returns:
    The directory holding `saved_model.pb`: `export/`, or, if a run was
    killed between the two renames of `replace_dir`, the previous export.
    If there is none, `WORKDIR/export` (whose loading then fails with a
    message naming it).
  """
  model = pathlib.Path(model)
  if (model / "saved_model.pb").exists():
    return model
  for name in (EXPORT, OLD_EXPORT):
    if (model / name / "saved_model.pb").exists():
      return model / name
  return model / EXPORT


def litert_model(workdir: PathLike, quantize: str) -> pathlib.Path:
  """Where `trainers.export` writes a run's LiteRT model of `quantize`."""
  return pathlib.Path(workdir) / LITERT / LITERT_MODEL.format(
      quantize=quantize)


def onnx_model(workdir: PathLike) -> pathlib.Path:
  """Where `trainers.export --format=onnx` writes a run's ONNX model."""
  return pathlib.Path(workdir) / ONNX / ONNX_MODEL


def is_litert_file(path: PathLike) -> bool:
  """Whether `path` is a LiteRT model file (by its name), not a run."""
  path = pathlib.Path(path)
  return path.suffix == LITERT_SUFFIX and not path.is_dir()


def litert_run(model_file: PathLike) -> pathlib.Path:
  """The run a `RUN/litert/*.tflite` file was converted from.

  Raises:
    FileNotFoundError: the file lies outside any run's `litert/` folder.
  """
  model_file = pathlib.Path(model_file)
  run = model_file.parent.parent
  if model_file.parent.name != LITERT or not (run / CONFIG).exists():
    raise FileNotFoundError(
        f"{model_file} is not in a run's {LITERT}/ folder: the dataset and "
        "splits are read from the run it was converted from "
        f"(RUN/{LITERT}/{model_file.name})")
  return run


def read_config(workdir: PathLike):
  """The `Config` a workdir's run was trained with.

  Args:
    workdir: A trainer's --workdir.

  Returns:
    A `trainers.command_line.config.Config`.

  Raises:
    FileNotFoundError: there is no config.json, naming the directory.
    DamagedFileError: it cannot be read as a config.
  """
  path = _run_file(workdir, CONFIG)
  try:
    return config_lib.Config.from_json(path.read_text())
  except (ValueError, TypeError) as e:
    raise damaged(path, e) from None


def read_metrics(workdir: PathLike) -> dict[str, Any]:
  """A workdir's metrics.json.

  Raises:
    FileNotFoundError: there is none, naming the directory.
    DamagedFileError: it is not JSON.
  """
  path = _run_file(workdir, METRICS)
  try:
    return files.read_json(path)
  except ValueError as e:
    raise damaged(path, e) from None


def confusion_png(workdir: PathLike, split: str) -> pathlib.Path:
  """Where `trainers.evaluate` draws the confusion matrix of `split`."""
  # One file in the workdir, whatever the split string holds.
  return pathlib.Path(workdir) / CONFUSION.format(
      split=split.replace("/", "_"))


def scores_json(workdir: PathLike, split: str) -> pathlib.Path:
  """Where `trainers.evaluate` writes the scores of `split`."""
  return pathlib.Path(workdir) / SCORES.format(
      split=split.replace("/", "_"))


def mistakes_png(workdir: PathLike, split: str) -> pathlib.Path:
  """Where `trainers.evaluate` draws the worst mistakes on `split`."""
  return pathlib.Path(workdir) / MISTAKES.format(
      split=split.replace("/", "_"))


def _run_file(workdir: PathLike, name: str) -> pathlib.Path:
  """`workdir/name`, or an error saying the workdir holds no run."""
  path = pathlib.Path(workdir) / name
  if is_litert_file(workdir):
    raise FileNotFoundError(not_a_run(workdir))
  if not path.exists():
    raise FileNotFoundError(f"{path} does not exist: is {workdir} the "
                            "--workdir of a trainer run?")
  return path


def not_a_run(path: PathLike) -> str:
  """Says that a command which reads runs was given a LiteRT model file."""
  return (f"{path} is a LiteRT model, not a training run: this command "
          "needs the run's directory (predict and evaluate take a .tflite)")


def load_model(workdir: PathLike):
  """Loads a finished run's `model.keras` (in Keras's safe mode).

  Raises:
    FileNotFoundError: there is no model.keras, naming the directory.
  """
  import keras  # pylint: disable=g-import-not-at-top
  # The custom layers the models use must be registered before loading.
  from trainers import models  # pylint: disable=g-import-not-at-top,unused-import
  path = pathlib.Path(workdir) / MODEL
  if is_litert_file(workdir):
    raise FileNotFoundError(not_a_run(workdir))
  if not path.exists():
    raise FileNotFoundError(f"No {MODEL} in {workdir}; point --model at a "
                            "WORKDIR whose training has finished.")
  try:
    # safe_mode: a `.keras` file cannot run code of its own (Lambda layers).
    return keras.saving.load_model(str(path), safe_mode=True)
  except ValueError as e:
    if "safe_mode" in str(e):
      raise  # Not damage: a file that asks to run code.
    raise damaged(path, e) from None
  except (OSError, EOFError, KeyError, zipfile.BadZipFile) as e:
    raise damaged(path, e) from None


def damaged(path: PathLike, error: BaseException) -> DamagedFileError:
  """The error for a run file that exists but cannot be read."""
  detail = (str(error).strip().splitlines() or [type(error).__name__])[0]
  return DamagedFileError(
      f"{path} is damaged ({detail[:200]}); rerun the trainer with the same "
      "--workdir to write it again.")


@dataclasses.dataclass(frozen=True)
class Run:
  """A run read back from its workdir.

  Attributes:
    path: The workdir.
    config: The `Config` it was trained with.
    metrics: Its metrics.json.
  """

  path: pathlib.Path
  config: config_lib.Config
  metrics: dict[str, Any]

  @property
  def name(self) -> str:
    """The workdir's own name, which names the run in tables."""
    return self.path.resolve().name

  def load_model(self):
    """The run's `model.keras` (see `load_model`)."""
    return load_model(self.path)


def load_run(workdir: PathLike) -> Run:
  """Reads the config and metrics a trainer left in `workdir`.

  Args:
    workdir: A trainer's --workdir.

  Returns:
    The run; its model loads on demand (`Run.load_model`).

  Raises:
    FileNotFoundError: naming the missing file, if the run never finished
      an epoch.
  """
  return Run(pathlib.Path(workdir), read_config(workdir),
             read_metrics(workdir))


def print_outputs(workdir: pathlib.Path) -> None:
  """Lists what a finished run wrote, with the commands that use it."""
  print(f"Wrote {workdir}/:")
  for name, what in (
      (MODEL, "the Keras model"),
      (EXPORT + "/", "SavedModel for any photo: python -m "
       f"trainers.predict --workdir={workdir} PHOTO"),
      (METRICS, "per-epoch and test metrics"),
      (CURVES, "loss and accuracy curves"),
      (LOGS + "/", f"TensorBoard: tensorboard --logdir={workdir}"
       f"/{LOGS}"),
      (CHECKPOINTS + "/", "checkpoints; rerun to resume or "
       "extend (e.g. more --epochs)")):
    if (workdir / name.rstrip("/")).exists():
      print(f"  {name:<16} {what}")
