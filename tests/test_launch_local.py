"""The local multi-worker launcher: one loopback cluster, clean stops.

Real multi-worker training with it: tests/integration/test_launch_local.py.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

import pytest

from trainers import launch_local

def _python(code: str) -> list[str]:
  return [sys.executable, "-c", textwrap.dedent(code)]


_INDEX = ("import json, os; "
          "i = json.loads(os.environ['TF_CONFIG'])['task']['index']")


def test_each_worker_gets_its_own_index_in_one_loopback_cluster():
  out = io.StringIO()
  code = launch_local.launch(
      _python("import os; print(os.environ['TF_CONFIG'])"), 3, out=out)
  assert code == 0
  configs = {}
  for line in out.getvalue().splitlines():
    prefix, text = line.split("] ", 1)
    configs[int(prefix.split()[-1])] = json.loads(text)
  assert sorted(configs) == [0, 1, 2]
  workers = configs[0]["cluster"]["worker"]
  assert len(set(workers)) == 3
  assert all(w.startswith("localhost:") for w in workers)
  for i, config in configs.items():
    assert config["cluster"]["worker"] == workers
    assert config["task"] == {"type": "worker", "index": i}


def test_a_failing_worker_stops_the_others_and_sets_the_exit_code():
  out = io.StringIO()
  code = launch_local.launch(_python(f"""
      import sys, time
      {_INDEX}
      if i == 1:
        sys.exit(3)
      time.sleep(120)
      print("should have been stopped")
  """), 3, timeout_s=100, out=out, grace_s=2)
  assert code == 3
  assert "should have been stopped" not in out.getvalue()
  assert "exited with 3" in out.getvalue()


def test_timeout_stops_every_worker():
  out = io.StringIO()
  code = launch_local.launch(
      _python("import time; time.sleep(120); print('not stopped')"), 2,
      timeout_s=1, out=out, grace_s=2)
  assert code == launch_local.TIMEOUT_EXIT_CODE
  assert "timeout" in out.getvalue()
  assert "not stopped" not in out.getvalue()


def test_a_worker_killed_by_a_signal_counts_as_128_plus_signal():
  code = launch_local.launch(
      _python("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"), 1,
      out=io.StringIO())
  assert code == 128 + 9


def test_launch_needs_a_command_and_a_worker():
  with pytest.raises(ValueError, match="after `--`"):
    launch_local.launch([], 2)
  with pytest.raises(ValueError, match="--workers=0"):
    launch_local.launch(["true"], 0)


def test_free_ports_are_distinct():
  ports = launch_local.free_ports(5)
  assert len(set(ports)) == 5
  assert all(0 < p < 65536 for p in ports)


def test_command_line_passes_everything_after_the_separator(tmp_path):
  printed = tmp_path / "worker0_printed"
  run = subprocess.run(
      [sys.executable, "-m", "trainers.launch_local", "--workers=2",
       "--timeout=60", "--", *_python(f"""
          import pathlib, sys, time
          {_INDEX}
          print("args", sys.argv[1:], flush=True)
          done = pathlib.Path({str(printed)!r})
          if i == 0:
            done.touch()
          # Worker 1 fails only once worker 0 has printed: its failure
          # stops the others.
          while i == 1 and not done.exists():
            time.sleep(0.05)
          sys.exit(5 if i == 1 else 0)
      """), "--workers=7"],
      capture_output=True, text=True, timeout=120, check=False)
  assert run.returncode == 5, run.stdout + run.stderr
  assert "[worker 0] args ['--workers=7']" in run.stdout
