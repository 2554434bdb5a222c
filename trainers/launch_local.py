r"""Starts N copies of a trainer as a multi-worker cluster on this machine.

Each copy gets its own `TF_CONFIG` naming every worker at a free localhost
port and its own index, which is what `MultiWorkerMirroredStrategy` reads;
on real hosts the same command runs once per host with that host's
`TF_CONFIG`. Output of every worker is streamed with a `[worker i]` prefix.
The launcher exits with the first non-zero exit code (stopping the other
workers, which would otherwise wait forever for the failed one), or 124 on
`--timeout`.

Usage:
  python -m trainers.launch_local --workers=2 [--timeout=600] -- \
      python -m trainers.asl --strategy=multi_worker ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import TextIO

from absl import flags

from tfds_builders.common import command

TIMEOUT_EXIT_CODE = 124
_LOOPBACK = "localhost"


def free_ports(count: int) -> list[int]:
  """Picks `count` distinct ports that are free on the loopback interface.

  Args:
    count: How many ports.

  Returns:
    The port numbers. They are released before returning, so another
    program could still take one; good enough on a machine you control.
  """
  sockets = []
  try:
    for _ in range(count):
      # Held open together so the kernel cannot hand out one port twice.
      s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
      s.bind(("127.0.0.1", 0))
      sockets.append(s)
    return [s.getsockname()[1] for s in sockets]
  finally:
    for s in sockets:
      s.close()


def tf_config(worker_addresses: Sequence[str], index: int) -> str:
  """The `TF_CONFIG` JSON of worker `index` in a cluster of workers.

  Args:
    worker_addresses: `HOST:PORT` of every worker, in index order.
    index: This worker's position in `worker_addresses`.

  Returns:
    JSON text for the `TF_CONFIG` environment variable.
  """
  return json.dumps({"cluster": {"worker": list(worker_addresses)},
                     "task": {"type": "worker", "index": index}})


def _stream(prefix: str, pipe, out: TextIO, lock: threading.Lock) -> None:
  """Copies `pipe` to `out` line by line, each line prefixed."""
  for line in iter(pipe.readline, ""):
    with lock:
      out.write(f"{prefix}{line}")
      out.flush()
  pipe.close()


def _stop(procs: Sequence[subprocess.Popen], grace_s: float) -> None:
  """SIGTERM, then after `grace_s` SIGKILL, to each still-running worker."""
  for sig in (signal.SIGTERM, signal.SIGKILL):
    running = [p for p in procs if p.poll() is None]
    for p in running:
      # Each worker leads its own process group: this reaches the helpers
      # it started too, and nothing outside what the launcher started.
      try:
        os.killpg(p.pid, sig)
      except ProcessLookupError:
        pass
    deadline = time.monotonic() + grace_s
    while any(p.poll() is None for p in running) and (
        time.monotonic() < deadline):
      time.sleep(0.05)


def _exit_code(returncode: int) -> int:
  """A shell-style exit status: a death by signal N becomes 128 + N."""
  return returncode if returncode > 0 else 128 - returncode


def launch(command: Sequence[str],
           num_workers: int,
           *,
           timeout_s: float | None = None,
           env: Mapping[str, str] | None = None,
           out: TextIO | None = None,
           grace_s: float = 5.0) -> int:
  """Runs `command` as `num_workers` workers of one localhost cluster.

  Args:
    command: The program and its arguments, e.g. `["python", "-m",
      "trainers.asl", "--strategy=multi_worker"]`.
    num_workers: Cluster size, at least 1.
    timeout_s: Stop every worker after this many seconds; None waits.
    env: Base environment of the workers; None uses this process's.
      `TF_CONFIG` is set per worker on top of it.
    out: Where the prefixed output goes; None means stdout.
    grace_s: How long a worker gets to exit after SIGTERM before SIGKILL.

  Returns:
    0 if every worker exited with 0; else the first non-zero exit code seen
    (a worker killed by signal N counts as 128 + N), or `TIMEOUT_EXIT_CODE`.

  Raises:
    ValueError: empty `command` or `num_workers` < 1.
  """
  if not command:
    raise ValueError("No command to launch: put it after `--`, e.g. "
                     "`--workers=2 -- python -m trainers.asl ...`")
  if num_workers < 1:
    raise ValueError(f"--workers={num_workers}: need at least 1 worker")
  out = out or sys.stdout
  addresses = [f"{_LOOPBACK}:{p}" for p in free_ports(num_workers)]
  lock = threading.Lock()
  procs, readers = [], []
  result = 0
  try:
    for i in range(num_workers):
      worker_env = dict(os.environ if env is None else env)
      worker_env["TF_CONFIG"] = tf_config(addresses, i)
      # Line-buffered Python output, so the streams interleave in time.
      worker_env.setdefault("PYTHONUNBUFFERED", "1")
      proc = subprocess.Popen(
          list(command), env=worker_env, stdout=subprocess.PIPE,
          stderr=subprocess.STDOUT, text=True, errors="replace",
          start_new_session=True)
      procs.append(proc)
      reader = threading.Thread(target=_stream,
                                args=(f"[worker {i}] ", proc.stdout, out,
                                      lock), daemon=True)
      reader.start()
      readers.append(reader)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while not result:
      # Poll every worker (not any(), which stops at the first running one)
      # so that a failure anywhere is seen at once.
      codes = [p.poll() for p in procs]
      if None not in codes:
        break
      failed = [c for c in codes if c not in (None, 0)]
      if failed:
        result = _exit_code(failed[0])
      elif deadline is not None and time.monotonic() > deadline:
        result = TIMEOUT_EXIT_CODE
        with lock:
          out.write(f"[launch_local] timeout after {timeout_s:g}s; stopping "
                    f"all workers\n")
      else:
        time.sleep(0.1)
    if not result:
      failed = [p.returncode for p in procs if p.returncode != 0]
      result = _exit_code(failed[0]) if failed else 0
  finally:
    _stop(procs, grace_s)
    for reader in readers:
      reader.join(timeout=grace_s)
  if result and result != TIMEOUT_EXIT_CODE:
    with lock:
      out.write(f"[launch_local] a worker exited with {result}; stopped the "
                f"others\n")
  return result


def define_flags(flag_values: flags.FlagValues) -> None:
  flags.DEFINE_integer("workers", 2, "Number of workers to start.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_float(
      "timeout", None, "Seconds before every worker is stopped (exit 124).",
      lower_bound=0.0, flag_values=flag_values)


def main(flag_values: flags.FlagValues, command_line: list[str]) -> int:
  """Launches the command after `--`; returns the cluster's exit status."""
  if not command_line:
    raise command.UsageError(
        "no command to launch: put it after `--`, e.g. `--workers=2 -- "
        "python -m trainers.asl --strategy=multi_worker ...`")
  # A SIGTERM to the launcher must stop the workers too: turn it into an
  # exception so that `launch` runs its cleanup.
  signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
  return launch(command_line, flag_values.workers,
                timeout_s=flag_values.timeout)


if __name__ == "__main__":
  command.run(define_flags, main)
