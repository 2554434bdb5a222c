"""Prints where the shipped flagfiles are: all of them, or the ones named.

    python -m trainers.configs          # name and path of every config
    python -m trainers.configs asl      # the path alone, for $(...)

A name that is not a shipped config is a usage error (exit status 2).
"""

from __future__ import annotations

from absl import flags

from tfds_builders.common import command
from trainers import configs


def define_flags(flag_values: flags.FlagValues) -> None:
  """The command takes config names, and no flags of its own."""
  del flag_values


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  del flag_values
  if not args:
    width = max(map(len, configs.names()))
    for name in configs.names():
      print(f"{name:<{width}}  {configs.path(name)}")
    return
  # Every name is checked before any path is printed.
  for path in [configs.path(name) for name in args]:
    print(path)


if __name__ == "__main__":
  command.run(define_flags, main)
