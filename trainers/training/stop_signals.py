"""Stopping a run cleanly on SIGTERM (a preempted VM) or SIGINT (Ctrl-C).

The handlers only raise a flag; the loop checks it between compiled calls
(at most a couple of seconds apart), saves a checkpoint at the current step
and raises `Stopped`, which the entry points turn into the conventional exit
status (128 + the signal number). A second signal of the same kind while the
checkpoint is being written stops at once, as if no handler were installed.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import signal
import threading

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(Exception):
  """The run stopped on a signal after checkpointing its current step.

  Attributes:
    exit_code: 128 + the signal number, what a shell reports for it.
  """

  def __init__(self, message: str, exit_code: int):
    super().__init__(message)
    self.exit_code = exit_code


class StopRequest:
  """Whether, and by which signal, a stop was asked for."""

  def __init__(self):
    self.signum: int | None = None

  @property
  def requested(self) -> bool:
    return self.signum is not None

  @property
  def signal_name(self) -> str:
    return signal.Signals(self.signum).name if self.signum else ""

  @property
  def exit_code(self) -> int:
    return 128 + (self.signum or 0)


@contextlib.contextmanager
def catch(enabled: bool = True) -> Iterator[StopRequest]:
  """Installs the handlers for the duration of the block.

  Args:
    enabled: False yields a request that is never set (e.g. where signals
      cannot be handled: outside the main thread).

  Yields:
    The `StopRequest` the handlers set.
  """
  request = StopRequest()
  if not enabled or threading.current_thread() is not threading.main_thread():
    yield request
    return

  def handle(signum, frame):
    del frame
    if request.signum == signum:
      # Asked twice: give up the clean stop.
      signal.signal(signum, signal.SIG_DFL)
      signal.raise_signal(signum)
    request.signum = signum

  previous = {s: signal.signal(s, handle) for s in _SIGNALS}
  try:
    yield request
  finally:
    for s, handler in previous.items():
      signal.signal(s, handler)
