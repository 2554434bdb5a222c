"""One run at a time in a workdir.

Two trainers writing one workdir would interleave their checkpoints and
overwrite each other's metrics, each believing it owns the run. A run holds
an exclusive `flock` on `WORKDIR/.lock` while it trains, with its host and
process id written inside for the message a second run gets. The kernel
drops the lock when the process ends, however it ends (SIGKILL included),
so a lock file left by a dead run never blocks the next one.

`flock` is reliable on local file systems; on network storage (NFS, a
bucket mounted by FUSE) it may not exclude a process on another host.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import datetime
import fcntl
import json
import os
import pathlib
import socket

from trainers.command_line import config as config_lib

LOCK_FILE = ".lock"


class WorkdirInUse(config_lib.ConfigError):
  """Another live process holds the workdir; the message names it."""


@contextlib.contextmanager
def hold(workdir: str | os.PathLike) -> Iterator[None]:
  """Holds `workdir` for this process for the duration of the block.

  Args:
    workdir: An existing run directory.

  Raises:
    WorkdirInUse: another process holds it, naming its host and process
      id, before anything is written.
  """
  path = pathlib.Path(workdir) / LOCK_FILE
  fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
  try:
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      raise WorkdirInUse(
          f"--workdir={workdir} is in use by another run ({_holder(fd)}); "
          "wait for it to finish, stop it, or use another --workdir."
      ) from None
    os.ftruncate(fd, 0)
    os.write(fd, json.dumps({
        "host": socket.gethostname(), "pid": os.getpid(),
        "since": datetime.datetime.now().isoformat(timespec="seconds"),
    }).encode())
    yield
  finally:
    # Closing releases the lock; the file stays, so that no second run can
    # lock a file a third one is about to replace.
    os.close(fd)


def _holder(fd: int) -> str:
  """Who holds the lock, as its holder wrote it."""
  try:
    holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
    return (f"host {holder['host']}, process {holder['pid']}, since "
            f"{holder['since']}")
  except (ValueError, KeyError, OSError):
    return "a process that has not said who it is yet"
