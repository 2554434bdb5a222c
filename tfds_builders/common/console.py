"""A quiet console for the package's commands: what a user needs, no noise.

Every command calls `quiet()` first, before anything imports TensorFlow:
`tfds_builders.common.command.run` does, so a command module loads
TensorFlow only inside its `main`. (A module that must import it at its
top, such as `asl_pipeline.service`, calls `quiet()` itself first when run
as a program.)

Standard library and absl only: importing this module loads no TensorFlow.

What it hides, and why it takes more than `TF_CPP_MIN_LOG_LEVEL=2`:
  * TensorFlow 2.21's C++ libraries log through absl before anyone calls
    `absl::InitializeLog()`, so their start-up lines ("All log messages
    before absl::InitializeLog() ...", "Could not find cuda drivers") ignore
    `TF_CPP_MIN_LOG_LEVEL`, and the ERROR line "failed call to cuInit ...
    (303)" that every CPU-only machine prints is above level 2. No
    environment variable reaches absl's C++ log level, so those known lines
    are dropped from the process's stderr by a small filter process; every
    other line passes unchanged, as it is written (progress bars included).
  * TensorFlow Datasets and TensorFlow log INFO records on every dataset
    load and checkpoint ("No config specified, defaulting to config",
    "Load dataset info from", "Sharding callback duration", "Function
    `serve` contains input name(s) ..."); INFO records from those libraries
    are dropped, their warnings and errors kept. So are deprecation warnings
    that one library raises about its own use of another ("From
    .../tensorflow_datasets/core/reader.py:102: CounterV2 ... is
    deprecated"): the user can do nothing about them. A deprecation raised
    by the user's own code is kept. And TFDS's "Variant folder ... has no
    dataset_info.json" goes, which only precedes the command's own "not
    built" line.

`--verbosity` (absl's flag, also `-v`) on the command line turns all of this
off: every line comes back, and the command's own `--verbosity` applies.
"""

from __future__ import annotations

import atexit
from collections.abc import Sequence
import logging
import os
import subprocess
import sys

from absl import logging as absl_logging

# Whole lines of C++ start-up noise, as regular expressions (re.search).
NOISE_LINES = (
    r"^WARNING: All log messages before absl::InitializeLog\(\) is called "
    r"are written to STDERR",
    r"^I\d{4} .*cudart_stub\.cc:\d+\] Could not find cuda drivers on your "
    r"machine",
    # CUDA's "no driver" on a CPU-only machine, not a failure.
    r"^E\d{4} .*\] failed call to cuInit: .*UNKNOWN ERROR \(303\)",
    r"^[IWE]\d{4} .*\] Unable to register cu(DNN|FFT|BLAS) factory",
    r"^[IW]\d{4} .*cpu_feature_guard\.cc:\d+\]",
    r"^To enable the following instructions: .* rebuild TensorFlow",
    r"^[IW]\d{4} .*\] oneDNN custom operations are on",
    # The LiteRT interpreter and converter, on every model they load or
    # calibrate.
    r"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$",
    r"^fully_quantize: \d+, inference_type: \d+, input_inference_type: ",
)
# Python loggers whose INFO records are library detail, not news.
_LIBRARY_PATHS = (f"{os.sep}tensorflow_datasets{os.sep}",
                  f"{os.sep}tensorflow{os.sep}", f"{os.sep}keras{os.sep}")
_VERBOSITY_ARGS = ("--verbosity", "-verbosity", "--v", "-v")
# Library warnings that only say early what the command then says itself.
_REDUNDANT_WARNINGS = (
    # TFDS, before the command's own "Dataset ... is not built" error.
    "has no dataset_info.json",
)

# Runs in its own process, so that it outlives a crash of the command and
# still delivers the crash's last words. `python -S`: nothing but the
# standard library, in a few milliseconds.
_FILTER_PROGRAM = r"""
import os, re, select, signal, sys
# Ctrl-C and a preemption's SIGTERM reach the whole process group: the
# command saves its step and says so, through this filter, which must
# outlive it. It ends when the command's stderr closes.
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
noise = re.compile("|".join(sys.argv[1:]).encode())
pending, line_start = b"", True
while True:
  chunk = os.read(0, 65536)
  if not chunk:
    break
  lines = (pending + chunk).split(b"\n")
  pending = lines.pop()
  out = []
  for line in lines:
    if not (line_start and noise.search(line)):
      out.append(line + b"\n")
    line_start = True
  if out:
    os.write(1, b"".join(out))
  # C writers such as LiteRT's logger write a line in pieces ("INFO: ",
  # the message, "\n"): wait a moment for the rest before judging it.
  if (pending and b"\r" not in pending and
      select.select([0], [], [], 0.05)[0]):
    continue
  if pending and (b"\r" in pending or not noise.search(pending)):
    # A progress bar or an unfinished line: show it now, not at its end.
    os.write(1, pending)
    pending, line_start = b"", False
if pending:
  os.write(1, pending)
"""

_started = False


def asks_for_details(argv: Sequence[str]) -> bool:
  """Whether the command line sets absl's `--verbosity` (or `-v`)."""
  return any(arg == name or arg.startswith(f"{name}=")
             for arg in argv[1:] for name in _VERBOSITY_ARGS)


def quiet(argv: Sequence[str] | None = None) -> None:
  """Hides known start-up and library noise; call before TensorFlow loads.

  Does nothing when `argv` sets `--verbosity`, so that the details can be
  had back. Safe to call more than once.

  Args:
    argv: The command line; None means `sys.argv`.
  """
  global _started
  argv = sys.argv if argv is None else argv
  if _started or asks_for_details(argv):
    return
  _started = True
  # C++ INFO and WARNING records after start-up; ERRORs still show.
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  _hide_library_info()
  _filter_stderr()


def _in_library(path: str) -> bool:
  return any(p in path for p in _LIBRARY_PATHS)


class _LibraryInfoFilter(logging.Filter):
  """Drops library detail the user can do nothing about.

  That is INFO and DEBUG records from inside TF, TFDS or Keras, their
  deprecation warnings about each other, and their warnings that the
  command repeats in its own words (`_REDUNDANT_WARNINGS`).
  """

  def filter(self, record: logging.LogRecord) -> bool:
    if not _in_library(record.pathname):
      return True
    if record.levelno <= logging.INFO:
      return False
    message = record.getMessage()
    if any(text in message for text in _REDUNDANT_WARNINGS):
      return False
    # TensorFlow's deprecation notices start "From CALLER:LINE: ...".
    caller = message[len("From "):].split(":", 1)[0]
    return not (message.startswith("From ") and "deprecated" in message
                and _in_library(caller))


def _hide_library_info() -> None:
  # TFDS logs through absl's logger, TensorFlow through "tensorflow": a
  # filter on a logger sees every record logged to it. absl's logger must
  # be absl's own (imported above), which names the real caller's file.
  library_filter = _LibraryInfoFilter()
  absl_logging.get_absl_logger().addFilter(library_filter)
  logging.getLogger("tensorflow").addFilter(library_filter)


def _filter_stderr() -> None:
  """Sends this process's stderr (fd 2) through the noise filter."""
  try:
    sys.stderr.flush()
    original = os.dup(2)
  except (OSError, ValueError, AttributeError):
    return  # No usable stderr: nothing to filter.
  try:
    process = subprocess.Popen(
        [sys.executable, "-S", "-c", _FILTER_PROGRAM, *NOISE_LINES],
        stdin=subprocess.PIPE, stdout=original, close_fds=True)
  except OSError:
    os.close(original)
    return
  os.dup2(process.stdin.fileno(), 2)

  def restore():
    # Give fd 2 back and let the filter write out what it still holds,
    # so that nothing arrives after the shell's next prompt.
    try:
      sys.stderr.flush()
    except (OSError, ValueError):
      pass
    os.dup2(original, 2)
    process.stdin.close()
    try:
      process.wait(timeout=5)
    except subprocess.TimeoutExpired:
      pass

  atexit.register(restore)
