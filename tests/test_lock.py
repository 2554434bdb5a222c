"""Tests for holding a workdir: one run at a time, dead holders never block."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from trainers.run_dir import lock


def test_a_second_holder_is_refused_naming_host_and_process(tmp_path):
  with lock.hold(tmp_path):
    with pytest.raises(lock.WorkdirInUse) as refused:
      with lock.hold(tmp_path):
        pass
  message = str(refused.value)
  assert f"--workdir={tmp_path} is in use" in message
  assert f"host {socket.gethostname()}, process {os.getpid()}" in message
  with lock.hold(tmp_path):  # Released on leaving the block.
    pass


def test_a_holder_killed_with_sigkill_does_not_block_the_next(tmp_path):
  holder = subprocess.Popen(
      [sys.executable, "-c",
       "import sys, time\n"
       "from trainers.run_dir import lock\n"
       "with lock.hold(sys.argv[1]):\n"
       "  print('held', flush=True)\n"
       "  time.sleep(600)\n", str(tmp_path)],
      stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(lock.WorkdirInUse, match=f"process {holder.pid}"):
      with lock.hold(tmp_path):
        pass
  finally:
    holder.send_signal(signal.SIGKILL)
    holder.wait()
  deadline = time.monotonic() + 10
  while True:
    try:
      with lock.hold(tmp_path):
        break
    except lock.WorkdirInUse:
      assert time.monotonic() < deadline, "the dead holder's lock stayed"
      time.sleep(0.05)
