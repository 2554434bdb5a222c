"""The commands' console: known noise hidden, everything else kept."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from tests import helpers
from tfds_builders.common import console


NOISE = [
    b"WARNING: All log messages before absl::InitializeLog() is called are "
    b"written to STDERR\n",
    b"I0000 00:00:1796177201.664511   20931 cudart_stub.cc:31] Could not find "
    b"cuda drivers on your machine, GPU will not be used.\n",
    b"E0000 00:00:1796177256.876966   20931 cuda_platform.cc:52] failed call "
    b"to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR "
    b"(303)\n",
]
KEPT = [
    b"E0000 00:00:1796177256.876966   20931 some_op.cc:52] a real failure\n",
    b"Traceback (most recent call last):\n",
    b"WARNING: the unrelated warning of some tool\n",
    b"Epoch 3: val_accuracy 0.91\n",
]


def _filter(data: bytes) -> bytes:
  return subprocess.run(
      [sys.executable, "-S", "-c", console._FILTER_PROGRAM,
       *console.NOISE_LINES],
      input=data, capture_output=True, check=True, timeout=60).stdout


def test_filter_drops_the_known_lines_and_keeps_the_rest():
  mixed = [line for pair in zip(NOISE + [b""], KEPT) for line in pair]
  assert _filter(b"".join(mixed)) == b"".join(KEPT)


def test_filter_passes_progress_bars_and_unfinished_lines():
  data = b" 10%|#  |\r 50%|## |\r100%|###|\n" + NOISE[0] + b"no newline"
  assert _filter(data) == (b" 10%|#  |\r 50%|## |\r100%|###|\nno newline")


def test_library_info_records_are_dropped_their_warnings_kept():
  def record(path, level):
    return logging.LogRecord("absl", level, path, 1, "message", None, None)
  tfds_file = os.path.join("site-packages", "tensorflow_datasets", "core",
                           "dataset_builder.py")
  ours = str(helpers.ROOT / "trainers" / "training" / "loop.py")
  keep = console._LibraryInfoFilter().filter
  assert not keep(record(tfds_file, logging.INFO))
  assert keep(record(tfds_file, logging.WARNING))
  assert keep(record(ours, logging.INFO))


def test_library_deprecations_of_library_code_are_dropped_the_users_kept():
  def warning(path, message):
    return logging.LogRecord("tensorflow", logging.WARNING, path, 1, message,
                             None, None)
  deprecation = os.path.join("site-packages", "tensorflow", "python", "util",
                             "deprecation.py")
  tfds_caller = os.path.join("site-packages", "tensorflow_datasets", "core",
                             "reader.py")
  keep = console._LibraryInfoFilter().filter
  assert not keep(warning(deprecation, f"From {tfds_caller}:102: CounterV2 "
                          "(from tensorflow) is deprecated and will be "
                          "removed in a future version."))
  assert keep(warning(deprecation, "From /home/me/train.py:7: CounterV2 "
                      "(from tensorflow) is deprecated and will be removed."))
  assert not keep(warning(tfds_caller, "Variant folder /d/x/1.0.0 has no "
                          "dataset_info.json"))


@pytest.mark.parametrize("argv, asks", [
    (["prog"], False), (["prog", "--verbosity=1"], True),
    (["prog", "-v", "0"], True), (["prog", "--verbosity"], True),
    (["prog", "--v=2"], True), (["prog", "--vmodule=x=1"], False),
    (["--verbosity=1"], False),  # argv[0] is the program, not a flag
])
def test_verbosity_on_the_command_line_asks_for_details(argv, asks):
  assert console.asks_for_details(argv) == asks
