"""The values the pipelines accept, and address syntax: no TensorFlow.

Command lines check their flags against these before TensorFlow loads; the
pipelines and the tf.data service check their arguments against the same.
"""

from __future__ import annotations

# Where training batches are augmented: in tf.data on the CPU, inside the
# model's compiled step (on the accelerator), or not at all.
AUGMENT_MODES = ("pipeline", "device", "none")
# The label forms of keras.utils.image_dataset_from_directory.
LABEL_MODES = ("int", "categorical", "binary")

_PROTOCOL = "grpc"


def parse_address(service: str) -> tuple[str, int]:
  """Splits a tf.data service address into host and port.

  Args:
    service: `grpc://HOST:PORT` or `HOST:PORT`; an IPv6 host goes in
      brackets, e.g. `grpc://[::1]:5050`.

  Returns:
    `(host, port)`, the host without brackets.

  Raises:
    ValueError: the address is malformed; the message quotes it.
  """
  if not isinstance(service, str):
    raise ValueError(f"tf.data service address must be a string like "
                     f"'grpc://localhost:5050', got {service!r}")
  rest = service
  if "://" in service:
    protocol, rest = service.split("://", 1)
    if protocol != _PROTOCOL:
      raise ValueError(f"tf.data service address {service!r} uses protocol "
                       f"{protocol!r}; only 'grpc://HOST:PORT' is supported")
  host, sep, port_text = rest.rpartition(":")
  if host.startswith("[") and host.endswith("]"):
    host = host[1:-1]
  if not sep or not host or "/" in rest or not port_text.isdigit():
    raise ValueError(f"tf.data service address {service!r} is not of the "
                     f"form 'grpc://HOST:PORT' (e.g. 'grpc://localhost:5050')")
  port = int(port_text)
  if not 0 < port < 65536:
    raise ValueError(f"tf.data service address {service!r} has port {port}, "
                     f"outside 1..65535")
  return host, port
