"""Prints where the shipped flagfiles are: all of them, or the ones named.

    python -m trainers.configs          # name and path of every config
    python -m trainers.configs asl      # the path alone, for $(...)
"""

from __future__ import annotations

import sys

from trainers import configs


def main(argv: list[str]) -> int:
  if not argv:
    width = max(map(len, configs.names()))
    for name in configs.names():
      print(f"{name:<{width}}  {configs.path(name)}")
    return 0
  try:
    for name in argv:
      print(configs.path(name))
  except FileNotFoundError as e:
    print(e, file=sys.stderr)
    return 2
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
