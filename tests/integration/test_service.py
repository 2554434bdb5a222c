"""The tf.data service's command line: servers in processes of their own."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
import tensorflow as tf

from asl_pipeline import service
from tests import helpers
from trainers import launch_local


def _start(*args):
  return helpers.start_module("asl_pipeline.service", *args,
                              env=helpers.command_env(PYTHONUNBUFFERED="1"),
                              stderr=subprocess.STDOUT)


def _stop(proc):
  """SIGTERM, then the exit code and output; kills it if it hangs."""
  proc.send_signal(signal.SIGTERM)
  try:
    out, _ = proc.communicate(timeout=30)
  except subprocess.TimeoutExpired:
    proc.kill()
    out, _ = proc.communicate()
    pytest.fail(f"did not exit on SIGTERM:\n{out}")
  return proc.returncode, out


def test_command_line_servers_serve_an_epoch_and_stop_on_sigterm():
  dispatcher_port, worker_port = launch_local.free_ports(2)
  dispatcher = _start("dispatcher", f"--port={dispatcher_port}")
  worker = _start("worker", f"--dispatcher=localhost:{dispatcher_port}",
                  f"--port={worker_port}")
  try:
    # Generous: both processes import TensorFlow before listening.
    ds = service.distribute(tf.data.Dataset.range(20),
                            f"grpc://localhost:{dispatcher_port}",
                            timeout_s=60.0)
    assert sorted(int(v) for v in ds.as_numpy_iterator()) == list(range(20))
  finally:
    worker_code, worker_out = _stop(worker)
    dispatcher_code, dispatcher_out = _stop(dispatcher)
  assert worker_code == 0, worker_out
  assert dispatcher_code == 0, dispatcher_out
  assert f"listening at grpc://localhost:{dispatcher_port}" in dispatcher_out
  assert f"worker at localhost:{worker_port}" in worker_out
  assert "stopped" in worker_out and "stopped" in dispatcher_out


def test_a_worker_waiting_for_its_dispatcher_says_so_and_stops_on_sigterm():
  (port,) = launch_local.free_ports(1)
  worker = _start("worker", "--dispatcher=localhost:1", f"--port={port}")
  first = worker.stdout.readline()
  assert "waiting for the dispatcher at localhost:1" in first
  started = time.monotonic()
  code, out = _stop(worker)
  assert code == 0, first + out
  assert time.monotonic() - started < 5
  assert "worker stopped before it started" in out
