"""A run's checkpoints: saving them, and resuming from the newest whole one.

The checkpoint files on disk are the truth, not `checkpoints/checkpoint`
(TensorFlow's pointer to the latest, which may be lost, stale or garbled).
A resumed run lists the `ckpt-N` files itself and restores the newest one
that restores whole; a damaged newer one is named and moved aside into
`checkpoints/damaged/` (never deleted), and the pointer is written anew.

Each checkpoint also holds the run's record (`RUN_RECORD`): its config, the
identity of the data it trains on, and its per-epoch history. So the
config a resume is checked against, and the history `metrics.json` is
rebuilt from, come from the checkpoint, whatever happened to the side
files.
"""

from __future__ import annotations

from collections.abc import Callable
import json
import pathlib
import re
import shutil
from typing import Any

import tensorflow as tf

from trainers.command_line import config as config_lib
from trainers.run_dir import workdir as workdir_lib
from trainers.training import stop_signals
from trainers.training.state import TrainState

# Checkpoints kept: the newest few, so a bad last one still has a fallback.
MAX_TO_KEEP = 3
# The checkpoint key of the run record, a JSON string variable.
RUN_RECORD = "run_record"
DAMAGED = "damaged"
_NUMBERED = re.compile(r"^ckpt-(\d+)\.index$")


class DamagedCheckpointsError(RuntimeError):
  """No checkpoint of a run could be restored; the message names them."""


class IncompatibleCheckpointError(config_lib.ConfigError):
  """A whole checkpoint that does not hold what this run is made of."""


def on_disk(directory: str | pathlib.Path) -> list[str]:
  """The checkpoints in `directory` with an index file, newest first.

  Args:
    directory: A `checkpoints/` folder (it need not exist).

  Returns:
    Checkpoint prefixes (`.../ckpt-N`), by step number, highest first.
  """
  directory = pathlib.Path(directory)
  if not directory.is_dir():
    return []
  numbered = []
  for path in directory.iterdir():
    found = _NUMBERED.match(path.name)
    if found:
      numbered.append((int(found.group(1)), str(directory / path.stem)))
  return [prefix for _, prefix in sorted(numbered, reverse=True)]


def incomplete(directory: str | pathlib.Path) -> list[str]:
  """Checkpoints in `directory` with data files but no index file."""
  directory = pathlib.Path(directory)
  if not directory.is_dir():
    return []
  indexed = set(on_disk(directory))
  prefixes = {str(directory / p.name.split(".data-")[0])
              for p in directory.glob("ckpt-*.data-*")}
  return sorted(prefixes - indexed)


def read_record(prefix: str) -> dict[str, Any] | None:
  """The run record a checkpoint holds, or None (none, or unreadable)."""
  try:
    value = tf.train.load_variable(prefix,
                                   f"{RUN_RECORD}/.ATTRIBUTES/VARIABLE_VALUE")
    return json.loads(value.decode() if isinstance(value, bytes) else value)
  except (tf.errors.OpError, ValueError, IndexError):
    # IndexError: TensorFlow's reader on a truncated data file.
    return None


class Checkpoints:
  """Epoch-end, every-N-steps and on-signal checkpoints, and resuming."""

  def __init__(self, state: TrainState, out: pathlib.Path,
               every_steps: int, record: Callable[[], dict[str, Any]]):
    """Prepares saving into `out/checkpoints`.

    Args:
      state: What is saved.
      out: Where this process writes (a non-chief's temporary directory
        under a multi-worker strategy).
      every_steps: Also save every this many global steps; 0 only at epoch
        ends.
      record: Returns the run record to save with each checkpoint.
    """
    self.state = state
    self.directory = out / workdir_lib.CHECKPOINTS
    self.every_steps = every_steps
    self.record = record
    self.manager: tf.train.CheckpointManager | None = None

  @property
  def latest(self) -> str | None:
    return self.manager.latest_checkpoint if self.manager else None

  def restore(self, workdir: pathlib.Path) -> str | None:
    """Restores the newest whole checkpoint of the run in `workdir`.

    Every worker of a cluster resumes from the chief's checkpoints; only
    the chief (which writes there) sets damaged ones aside.

    Args:
      workdir: The run directory.

    Returns:
      The checkpoint restored, or None for a new run.

    Raises:
      DamagedCheckpointsError: there are checkpoints and none restores.
    """
    source = workdir / workdir_lib.CHECKPOINTS
    found = on_disk(source)
    damaged = [(p, "no index file") for p in incomplete(source)]
    restored = None
    for prefix in found:
      try:
        self.state.checkpoint.restore(prefix).assert_existing_objects_matched()
        restored = prefix
        break
      except AssertionError as e:
        # Whole, but made of something else than this run builds.
        raise IncompatibleCheckpointError(
            f"{prefix} does not hold what this run is made of (written by "
            f"another version of the trainer?): {_first_line(e)}. Use "
            "another --workdir.") from None
      except (tf.errors.OpError, ValueError, IndexError) as e:
        # IndexError: TensorFlow's reader on a truncated data file.
        damaged.append((prefix, _first_line(e)))
    owner = source == self.directory
    for prefix, why in damaged:
      where = self._set_aside(prefix) if owner else prefix
      print(f"Checkpoint {prefix} is damaged ({why}); "
            + (f"moved it to {where}." if owner else "skipped it."))
    if found and restored is None:
      raise DamagedCheckpointsError(
          f"No checkpoint in {source} can be restored (all damaged; kept "
          f"in {source / DAMAGED}). Train again with another --workdir.")
    intact = [p for p in found if p not in dict(damaged)]
    if owner and restored:
      # The pointer file is rewritten from what is on disk, so the manager
      # keeps (and later deletes) the right ones.
      tf.compat.v1.train.update_checkpoint_state(
          str(self.directory), restored,
          all_model_checkpoint_paths=list(reversed(intact)))
    self.manager = tf.train.CheckpointManager(
        self.state.checkpoint, str(self.directory), max_to_keep=MAX_TO_KEEP)
    return restored

  def steps_to_next_save(self, global_step: int) -> int | None:
    """Steps until the next every-N-steps save, or None when there is none.

    The loop ends its compiled calls there, so that the saved step is
    exactly a multiple of N.
    """
    if not self.every_steps:
      return None
    return self.every_steps - global_step % self.every_steps

  def after_steps(self, global_step: int, epoch_done: bool) -> None:
    """Saves on an every-N-steps boundary (the epoch end saves anyway)."""
    if (self.every_steps and not epoch_done
        and global_step % self.every_steps == 0):
      self.save()

  def save(self) -> str:
    self.state.run_record.assign(json.dumps(self.record()))
    return self.manager.save(checkpoint_number=self.state.global_step)

  def stop(self, stop: stop_signals.StopRequest, epoch: int, done: int,
           steps: int) -> None:
    """Saves the current step after a signal, then stops the run.

    Raises:
      trainers.training.stop_signals.Stopped: always, with the message.
    """
    path = self.save()
    message = (f"Stopped by {stop.signal_name} at epoch {epoch}, step {done} "
               f"of {steps} (global step {self.state.global_step}); saved "
               f"{path}. Rerun the same command to continue from there.")
    print("\n" + message)
    raise stop_signals.Stopped(message, stop.exit_code)

  def _set_aside(self, prefix: str) -> pathlib.Path:
    """Moves a checkpoint's files into `checkpoints/damaged/`."""
    aside = self.directory / DAMAGED
    aside.mkdir(exist_ok=True)
    name = pathlib.Path(prefix).name
    for path in self.directory.glob(f"{name}.*"):
      shutil.move(str(path), str(aside / path.name))
    return aside / name


def _first_line(error: BaseException) -> str:
  text = getattr(error, "message", None) or str(error) or type(error).__name__
  return text.strip().splitlines()[0][:200]
