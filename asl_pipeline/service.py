r"""Reading input through the tf.data service: CPU workers feed the trainers.

The tf.data service moves input preprocessing off the training hosts: a
dispatcher hands out work, workers run the dataset graph, trainers read the
finished batches over gRPC. This module starts TensorFlow's own servers and
wraps `tf.data.experimental.service.distribute` with address checks, so a
wrong or dead address fails fast with the address named instead of hanging.

Usage:
  python -m asl_pipeline.service dispatcher --port=5050 [--work_dir=DIR]
  python -m asl_pipeline.service worker --dispatcher=localhost:5050 \
      --port=5051 [--worker_address=HOST:5051]

Each command blocks until SIGINT or SIGTERM, then stops its server and exits
with status 0. Trainers then read through it with
`--data_service=grpc://localhost:5050`. A port in use, or a worker's
dispatcher that does not answer within 10 s, is a usage error naming the
flag.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import threading
import time

from absl import flags

from tfds_builders.common import console

if __name__ == "__main__":
  # Run as a program: quiet the console before TensorFlow loads below; the
  # runner's own call (in `command.run`) comes after this module's imports.
  console.quiet()

# pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow as tf

from asl_pipeline.options import parse_address
from tfds_builders.common import command
from tfds_builders.common import command_flags

_service = tf.data.experimental.service

# Processing modes by the names the tf.data service documentation uses.
# "distributed_epoch" splits the source among workers (each example once per
# epoch across all workers); "parallel_epochs" has every worker produce the
# whole dataset (each example once per worker per epoch).
PROCESSING_MODES = {
    "distributed_epoch": _service.ShardingPolicy.DYNAMIC,
    "parallel_epochs": _service.ShardingPolicy.OFF,
}
_PROTOCOL = "grpc"
_STOP_TIMEOUT_S = 5.0
# How long a worker started from the command line waits for its dispatcher.
_DISPATCHER_WAIT_S = 10.0
_HOW_TO_START = ("start one with `python -m asl_pipeline.service dispatcher "
                 "--port PORT` and at least one `python -m "
                 "asl_pipeline.service worker --dispatcher=HOST:PORT`")


def wait_for_dispatcher(service: str, timeout_s: float = 10.0) -> None:
  """Returns once something accepts TCP connections at the service address.

  A tf.data service client retries an unreachable dispatcher for a long time
  without saying so; checking the port first turns a typo or a dispatcher
  that was never started into an immediate, named error.

  Args:
    service: The dispatcher address, `grpc://HOST:PORT`.
    timeout_s: How long to keep retrying, for a dispatcher still starting.

  Raises:
    ValueError: the address is malformed.
    ConnectionError: nothing accepted a connection within `timeout_s`.
  """
  host, port = parse_address(service)
  deadline = time.monotonic() + timeout_s
  while True:
    remaining = deadline - time.monotonic()
    try:
      with socket.create_connection((host, port),
                                    timeout=max(min(remaining, 1.0), 0.05)):
        return
    except OSError as e:
      last_error = e
    if time.monotonic() >= deadline:
      break
    time.sleep(min(0.1, max(deadline - time.monotonic(), 0.0)))
  raise ConnectionError(
      f"No tf.data service dispatcher answers at {service} within "
      f"{timeout_s:g}s ({last_error}); {_HOW_TO_START}, or fix the address "
      f"passed as --data_service")


def distribute(dataset: tf.data.Dataset,
               service: str,
               *,
               job_name: str | None = None,
               processing_mode: str = "distributed_epoch",
               timeout_s: float = 10.0,
               max_outstanding_requests: int | None = None
              ) -> tf.data.Dataset:
  """Reads `dataset` through a tf.data service instead of locally.

  The dataset graph (batched and, if wanted, augmented) is sent to the
  service's workers, which produce its elements; this process only receives
  them. With the default "distributed_epoch" mode the workers split the
  source between them, so every example is visited once per epoch in total,
  whatever the number of workers. Elements arrive in no fixed order, and each
  worker batches its own share, so the last batch of each worker's share may
  be partial unless the dataset drops remainders or repeats. A dataset that
  asserts its length cannot be split so: read a TFDS source with
  `tfds.ReadConfig(assert_cardinality=False)` and build
  `eval_dataset(..., assert_cardinality=False)`.

  Trainers that read with several consumers (one per replica, e.g. from
  `strategy.distribute_datasets_from_function`) should pass the same
  `job_name` in each and not shard the dataset themselves: consumers of one
  job share its elements, so the job together still visits every example
  once per epoch.

  Args:
    dataset: The dataset to produce remotely. Must be serializable: no
      `py_function`, no captured Python state.
    service: The dispatcher address, `grpc://HOST:PORT`.
    job_name: Consumers passing the same name share one job (and its
      elements); None gives this dataset a job of its own.
    processing_mode: "distributed_epoch" (each example once per epoch) or
      "parallel_epochs" (each worker produces the whole dataset).
    timeout_s: How long to wait for the dispatcher to accept a connection.
    max_outstanding_requests: Bounds the memory used for elements in
      flight; None lets TensorFlow decide.

  Returns:
    A dataset yielding the elements produced by the service.

  Raises:
    ValueError: `service` is malformed, `processing_mode` unknown, or the
      dataset asserts a length that "distributed_epoch" workers cannot meet.
    ConnectionError: no dispatcher listens at `service`.
  """
  if processing_mode not in PROCESSING_MODES:
    raise ValueError(f"processing_mode={processing_mode!r} is not one of "
                     f"{sorted(PROCESSING_MODES)}")
  if processing_mode == "distributed_epoch" and _asserts_cardinality(dataset):
    # Said here, not as "expected N elements but contained only M" from a
    # worker in the middle of the first pass.
    raise ValueError(
        "The dataset asserts its length (assert_cardinality), but each "
        "tf.data service worker in \"distributed_epoch\" mode reads only "
        "part of it. Build it without the assertion, e.g. "
        "asl_pipeline.eval_dataset(..., assert_cardinality=False) or "
        "tfds.ReadConfig(assert_cardinality=False).")
  host, port = parse_address(service)
  wait_for_dispatcher(service, timeout_s)
  # Brackets again for IPv6 hosts, as gRPC expects them.
  host_text = f"[{host}]" if ":" in host else host
  return dataset.apply(_service.distribute(
      processing_mode=PROCESSING_MODES[processing_mode],
      service=f"{_PROTOCOL}://{host_text}:{port}",
      job_name=job_name,
      max_outstanding_requests=max_outstanding_requests))


def _asserts_cardinality(dataset: tf.data.Dataset) -> bool:
  """Whether `dataset`'s graph holds an AssertCardinalityDataset op."""
  # pylint: disable-next=protected-access
  graph = tf.compat.v1.GraphDef.FromString(
      dataset._as_serialized_graph().numpy())
  nodes = list(graph.node)
  for function in graph.library.function:
    nodes.extend(function.node_def)
  return any(node.op == "AssertCardinalityDataset" for node in nodes)


def start_dispatcher(port: int = 0,
                     work_dir: str | None = None
                    ) -> _service.DispatchServer:
  """Starts a tf.data service dispatcher in this process.

  Args:
    port: The port to listen on; 0 picks a free one (see `.target`).
    work_dir: Where the dispatcher journals its state. When given, the
      dispatcher runs fault tolerant: restarted on the same `work_dir`, it
      recovers its jobs, and workers and trainers reconnect.

  Returns:
    The running server; its `target` is `grpc://localhost:PORT`.
  """
  config = _service.DispatcherConfig(
      port=port, work_dir=work_dir, fault_tolerant_mode=work_dir is not None)
  return _service.DispatchServer(config)


def start_worker(dispatcher: str,
                 port: int = 0,
                 worker_address: str | None = None
                ) -> _service.WorkerServer:
  """Starts a tf.data service worker in this process.

  Args:
    dispatcher: The dispatcher address, `HOST:PORT` or `grpc://HOST:PORT`.
    port: The port to listen on; 0 picks a free one.
    worker_address: The address trainers use to reach this worker, as told
      to the dispatcher; `%port%` is replaced by the bound port. Defaults to
      `localhost:%port%`, right only when trainers run on this host.

  Returns:
    The running server.

  Raises:
    ValueError: `dispatcher` is malformed.
  """
  host, dispatcher_port = parse_address(dispatcher)
  host_text = f"[{host}]" if ":" in host else host
  config = _service.WorkerConfig(
      dispatcher_address=f"{host_text}:{dispatcher_port}",
      worker_address=worker_address or "localhost:%port%",
      port=port)
  return _service.WorkerServer(config)


@dataclasses.dataclass
class LocalCluster:
  """A dispatcher and its workers running in this process.

  Attributes:
    address: The dispatcher address for `distribute`, `grpc://localhost:P`.
    dispatcher: The dispatcher server.
    workers: The worker servers.
  """
  address: str
  dispatcher: _service.DispatchServer
  workers: list[_service.WorkerServer]

  def stop(self) -> None:
    """Stops the workers, then the dispatcher.

    Let every reader finish its epoch first: a worker still producing an
    endless distributed-epoch job over a TFDS source can block in `stop`.
    """
    for worker in self.workers:
      worker.stop()
    self.dispatcher.stop()

  def __enter__(self) -> LocalCluster:
    return self

  def __exit__(self, *exc_info) -> None:
    self.stop()


def start_local_cluster(num_workers: int = 2) -> LocalCluster:
  """Starts a dispatcher and `num_workers` workers on free localhost ports.

  For tests and demos: every server lives in this process and only
  loopback addresses are handed out.

  Args:
    num_workers: How many workers to start, at least 1.

  Returns:
    The running cluster; use it as a context manager to stop it.

  Raises:
    ValueError: `num_workers` < 1.
  """
  if num_workers < 1:
    raise ValueError(f"num_workers={num_workers}; a tf.data service needs at "
                     f"least one worker to produce anything")
  dispatcher = start_dispatcher()
  workers = [start_worker(dispatcher.target) for _ in range(num_workers)]
  return LocalCluster(dispatcher.target, dispatcher, workers)


def define_flags(flag_values: flags.FlagValues) -> None:
  """The command's flags (the library itself takes none)."""
  command_flags.define_port(flag_values,
                            "Port to listen on; 0 picks a free one.")
  flags.DEFINE_string(
      "work_dir", None,
      "dispatcher: journal directory; makes the dispatcher fault tolerant.",
      flag_values=flag_values)
  flags.DEFINE_string("dispatcher", None, "worker: the dispatcher's "
                      "HOST:PORT (or grpc://HOST:PORT).",
                      flag_values=flag_values)
  command_flags.register_check(flag_values, "dispatcher", parse_address)
  flags.DEFINE_string(
      "worker_address", None,
      "worker: the address trainers reach it at; default localhost:%port%.",
      flag_values=flag_values)


def _stop_event() -> threading.Event:
  """An event set by SIGINT or SIGTERM, installed before servers start."""
  stop = threading.Event()
  for signum in (signal.SIGINT, signal.SIGTERM):
    signal.signal(signum, lambda *_: stop.set())
  return stop


def _check_port(port: int) -> None:
  """A usage error if something on this machine already listens at `port`."""
  if not port:
    return
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
    # Only a listening socket makes the bind fail, not one in TIME_WAIT.
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
      probe.bind(("", port))
    except OSError as e:
      raise command.UsageError(f"--port={port}: cannot listen there "
                               f"({e.strerror}); pick another port, or 0 "
                               "for a free one") from None


def _start(role: str, flag_values: flags.FlagValues, stop: threading.Event):
  """Starts the server `role` names; returns it and a line announcing it.

  A worker first waits for its dispatcher, in short tries, so that SIGTERM
  or SIGINT ends the wait within about a second; None when it did.
  """
  if role == "dispatcher":
    server = start_dispatcher(flag_values.port, flag_values.work_dir)
    return server, f"dispatcher listening at {server.target}"
  address = flag_values.dispatcher
  print(f"tf.data service worker: waiting for the dispatcher at {address} "
        f"(up to {_DISPATCHER_WAIT_S:g}s)", flush=True)
  deadline = time.monotonic() + _DISPATCHER_WAIT_S
  while True:
    try:
      wait_for_dispatcher(address, 1.0)
      break
    except ConnectionError:
      if stop.is_set():
        return None, ""
      if time.monotonic() > deadline:
        raise command.UsageError(
            f"--dispatcher={address}: no tf.data service dispatcher answers "
            f"there within {_DISPATCHER_WAIT_S:g}s; start one with `python -m "
            "asl_pipeline.service dispatcher --port=PORT`") from None
  server = start_worker(address, flag_values.port, flag_values.worker_address)
  # The bound port is only known from the server, for --port=0.
  bound = server._address  # pylint: disable=protected-access
  return server, f"worker at {bound} serving dispatcher {address}"


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  """Runs a dispatcher or a worker until SIGINT or SIGTERM."""
  if len(args) != 1 or args[0] not in ("dispatcher", "worker"):
    raise command.UsageError(
        "name the server to start, dispatcher or worker: `python -m "
        "asl_pipeline.service dispatcher --port=5050`")
  role = args[0]
  if role == "worker" and not flag_values.dispatcher:
    raise command.UsageError("--dispatcher is required for a worker "
                             "(HOST:PORT of the dispatcher)")
  _check_port(flag_values.port)
  stop = _stop_event()
  server, announcement = _start(role, flag_values, stop)
  if server is None:
    print(f"tf.data service {role} stopped before it started", flush=True)
    return
  print(f"tf.data service {announcement}", flush=True)
  stop.wait()
  # A worker busy with an endless job can block in stop(); bound the wait so
  # that SIGTERM always ends the process.
  stopper = threading.Thread(target=server.stop, daemon=True)
  stopper.start()
  stopper.join(_STOP_TIMEOUT_S)
  late = (f" (gave up waiting after {_STOP_TIMEOUT_S:g}s)"
          if stopper.is_alive() else "")
  print(f"tf.data service {role} stopped{late}", flush=True)
  # Skip interpreter teardown: it would call the server's stop() again.
  os._exit(0)  # pylint: disable=protected-access


if __name__ == "__main__":
  command.run(define_flags, main)
