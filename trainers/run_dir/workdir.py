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
  curves.png       loss and accuracy per epoch

Every file is written whole or not at all: to a temporary name in the same
directory, then renamed over the old one, so a run killed at any moment
leaves the previous version or the new one. `export/`, a directory, is
swapped in two renames; `find_export` finds the complete one even if a kill
fell between them.

This module is the only one that knows these names; the trainer, `predict`,
`evaluate`, `visualize` and `compare` all read a run through it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
import json
import os
import pathlib
import shutil
from typing import Any

CONFIG = "config.json"
METRICS = "metrics.json"
CHECKPOINTS = "checkpoints"
BEST_WEIGHTS = "best.weights.h5"
LOGS = "logs"
MODEL = "model.keras"
EXPORT = "export"
CURVES = "curves.png"
# Where the previous export waits while the new one is renamed in.
_OLD_EXPORT = "export.old"

PathLike = str | os.PathLike


def read_json(path: PathLike) -> dict[str, Any]:
  """A JSON file's contents, or {} if it does not exist."""
  path = pathlib.Path(path)
  return json.loads(path.read_text()) if path.exists() else {}


def write_json(path: PathLike, value: Any) -> None:
  """Writes `value` as indented JSON, whole or not at all."""
  with atomic_file(path) as tmp:
    tmp.write_text(json.dumps(value, indent=2) + "\n")


@contextlib.contextmanager
def atomic_file(path: PathLike) -> Iterator[pathlib.Path]:
  """Yields a temporary path to write; renames it to `path` on success.

  The temporary file sits beside `path` (one file system, so the rename is
  atomic) and ends with its name (Keras and Matplotlib choose the format by
  the suffix). On an exception it is removed and `path` is left as it was.

  Args:
    path: The file to (re)write.

  Yields:
    The path to write to.
  """
  path = pathlib.Path(path)
  tmp = _tmp_name(path)
  try:
    yield tmp
    _fsync(tmp)
    os.replace(tmp, path)
  finally:
    if tmp.exists():
      tmp.unlink()


def replace_dir(path: PathLike, write: Callable[[pathlib.Path], Any]) -> None:
  """Writes a directory with `write(tmp_dir)`, then swaps it in for `path`.

  Args:
    path: The directory to (re)write.
    write: Fills the temporary directory it is given (which does not exist
      yet).
  """
  path = pathlib.Path(path)
  tmp = _tmp_name(path)
  old = path.with_name(_OLD_EXPORT if path.name == EXPORT else
                       f"{path.name}.old")
  shutil.rmtree(tmp, ignore_errors=True)
  try:
    write(tmp)
    if path.exists():
      shutil.rmtree(old, ignore_errors=True)
      os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)
  finally:
    shutil.rmtree(tmp, ignore_errors=True)


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
  for name in (EXPORT, _OLD_EXPORT):
    if (model / name / "saved_model.pb").exists():
      return model / name
  return model / EXPORT


def read_config(workdir: PathLike):
  """The `Config` a workdir's run was trained with.

  Args:
    workdir: A trainer's --workdir.

  Returns:
    A `trainers.command_line.config.Config`.

  Raises:
    FileNotFoundError: there is no config.json, naming the directory.
  """
  from trainers.command_line import config as config_lib  # pylint: disable=g-import-not-at-top
  return config_lib.Config.from_json(_run_file(workdir, CONFIG).read_text())


def read_metrics(workdir: PathLike) -> dict[str, Any]:
  """A workdir's metrics.json.

  Raises:
    FileNotFoundError: there is none, naming the directory.
  """
  return read_json(_run_file(workdir, METRICS))


def _run_file(workdir: PathLike, name: str) -> pathlib.Path:
  """`workdir/name`, or an error saying the workdir holds no run."""
  path = pathlib.Path(workdir) / name
  if not path.exists():
    raise FileNotFoundError(f"{path} does not exist: is {workdir} the "
                            "--workdir of a trainer run?")
  return path


def load_model(workdir: PathLike):
  """Loads a finished run's `model.keras` (in Keras's safe mode).

  Raises:
    FileNotFoundError: there is no model.keras, naming the directory.
  """
  import keras  # pylint: disable=g-import-not-at-top
  # The custom layers the models use must be registered before loading.
  from trainers import models  # pylint: disable=g-import-not-at-top,unused-import
  path = pathlib.Path(workdir) / MODEL
  if not path.exists():
    raise FileNotFoundError(f"No {MODEL} in {workdir}; point --model at a "
                            "WORKDIR whose training has finished.")
  # safe_mode: a `.keras` file cannot run code of its own (Lambda layers).
  return keras.saving.load_model(str(path), safe_mode=True)


def load_run(workdir: PathLike):
  """A finished run's model and the config it was trained with.

  Args:
    workdir: A trainer's --workdir.

  Returns:
    `(keras.Model, trainers.command_line.config.Config)`.

  Raises:
    FileNotFoundError: the run has no saved model (or config) yet.
  """
  return load_model(workdir), read_config(workdir)


def print_outputs(workdir: pathlib.Path) -> None:
  """Lists what a finished run wrote, with the commands that use it."""
  print(f"Wrote {workdir}/:")
  for name, what in (
      (MODEL, "the Keras model"),
      (EXPORT + "/", "SavedModel for any photo: python -m "
       f"trainers.predict --model={workdir} PHOTO"),
      (METRICS, "per-epoch and test metrics"),
      (CURVES, "loss and accuracy curves"),
      (LOGS + "/", f"TensorBoard: tensorboard --logdir={workdir}"
       f"/{LOGS}"),
      (CHECKPOINTS + "/", "checkpoints; rerun to resume or "
       "extend (e.g. more --epochs)")):
    if (workdir / name.rstrip("/")).exists():
      print(f"  {name:<16} {what}")


def _tmp_name(path: pathlib.Path) -> pathlib.Path:
  # Hidden, unique to this process, and ending with the final name.
  return path.with_name(f".tmp-{os.getpid()}-{path.name}")


def _fsync(path: pathlib.Path) -> None:
  # Data on disk before the rename makes it visible: after a power loss the
  # new name never points at an empty file.
  with open(path, "rb") as f:
    os.fsync(f.fileno())
