"""Whether a workdir's run may be resumed by this command, before any work.

A run resumes only with what its checkpoints depend on unchanged: the
FIXED fields of its config (`Config.resume_conflicts`) and the data it
trains on (`DataSpec.identity`: the dataset, its version, the training
split's size and a fingerprint of its records). Both are read from the run
record inside the newest checkpoint (`trainers.training.checkpoints`), so a
lost or hand-edited `config.json` changes nothing; checkpoints written
before the record existed are checked against `config.json`.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from tfds_builders.common import command_flags
from trainers.command_line import config as config_lib
from trainers.run_dir import workdir as workdir_lib
from trainers.training import checkpoints


def previous_run(workdir: pathlib.Path) -> dict[str, Any] | None:
  """The record of the run `workdir` holds, or None for a new run.

  Args:
    workdir: The run directory.

  Returns:
    `{"config": {...}, "data": {...} (absent for older runs), "history":
    [...]}` from the newest checkpoint that holds one.

  Raises:
    ConfigError: `workdir` cannot be a run directory (a file); or its checkpoints hold no record and
      its config.json is missing or damaged (named, with what to do).
  """
  problem = command_flags.directory_problem(workdir, must_exist=False)
  if problem:
    raise config_lib.ConfigError(f"--workdir={workdir} {problem}.")
  found = checkpoints.on_disk(workdir / workdir_lib.CHECKPOINTS)
  if not found:
    return None
  for prefix in found:
    record = checkpoints.read_record(prefix)
    if record is not None:
      return record
  path = workdir / workdir_lib.CONFIG
  try:
    return {"config": json.loads(path.read_text())}
  except (OSError, ValueError) as e:
    raise config_lib.ConfigError(
        f"{path} is missing or damaged ({e}), and the checkpoints in "
        f"{workdir} do not record their config: the run cannot be checked "
        "for resuming. Use another --workdir.") from None


def check_config(config: config_lib.Config,
                 previous: dict[str, Any] | None, workdir: pathlib.Path
                 ) -> None:
  """Refuses a resume that changes a FIXED field, naming each.

  Raises:
    ConfigError: listing each changed flag with both values.
  """
  if previous is None:
    return
  old = config_lib.Config.from_json(json.dumps(previous["config"]))
  _refuse(workdir, config.resume_conflicts(old),
          "Use another --workdir for a new run, or drop those flags.")


def check_data(identity: dict[str, Any], previous: dict[str, Any] | None,
               workdir: pathlib.Path) -> None:
  """Refuses a resume on other data than the run trained on, naming it.

  Args:
    identity: `DataSpec.identity` of the data this command would read.
    previous: The run's record.
    workdir: The run directory, for the message.

  Raises:
    ConfigError: naming each difference (dataset, version, split size,
      records).
  """
  old = (previous or {}).get("data")
  if not old:
    return
  conflicts = []
  for key, what in (("dataset", "dataset"),
                    ("train_examples", "training examples"),
                    ("records", "fingerprint of the training records")):
    if old.get(key) != identity.get(key):
      conflicts.append(f"{what}: the run was trained on {old.get(key)!r}, "
                       f"this command reads {identity.get(key)!r}")
  _refuse(workdir, conflicts,
          "The dataset was rebuilt, or --data_dir points at other data: "
          "resume on the data the run trained on, or use another --workdir "
          "for a new run.")


def restored_history(record: str, workdir: pathlib.Path, latest: str,
                     epochs_done: int) -> list[dict[str, Any]]:
  """The history of the epochs a restored checkpoint holds.

  Args:
    record: The checkpoint's run record (JSON), empty in checkpoints
      written before it existed.
    workdir: The run directory, whose metrics.json is the fallback.
    latest: The restored checkpoint, for messages.
    epochs_done: Epochs the checkpoint completed.

  Returns:
    The records of epochs 1 to `epochs_done`.

  Raises:
    ConfigError: neither the record nor metrics.json has the history.
  """
  path = workdir / workdir_lib.METRICS
  try:
    from_file = json.loads(path.read_text()).get("history", [])
  except (OSError, ValueError):
    from_file = None
  if record:
    history = json.loads(record)["history"]
    if from_file is None:
      print(f"{path} is missing or damaged; it is written again from the "
            "checkpoint's record of the run.")
  elif from_file is not None:
    # A checkpoint from before the record: metrics.json is written before
    # the checkpoint, so it may hold an epoch whose checkpoint never
    # landed; that epoch is trained again.
    history = from_file
  else:
    raise config_lib.ConfigError(
        f"{path} is missing or damaged and {latest} does not record the "
        "run's history; the run cannot be resumed. Use another --workdir.")
  return [h for h in history if h["epoch"] <= epochs_done]


def _refuse(workdir: pathlib.Path, conflicts: list[str], advice: str) -> None:
  if conflicts:
    raise config_lib.ConfigError(
        f"{workdir} holds a run this command cannot resume:\n  "
        + "\n  ".join(conflicts) + "\n" + advice)
