"""Checks of the public functions' arguments: each error names its argument.

A wrong type deep inside tf.data surfaces as "not all arguments converted
during string formatting" or "Can't convert Python sequence with
out-of-range integer"; a string given for a set of ids is silently taken as
a set of characters. These checks answer first, naming the argument and
what it takes.
"""

from __future__ import annotations

from collections.abc import Collection
import operator

# The seeds every seeded library here takes (TFDS's file order, tf.data's
# shuffle, the augmenter's stateless draws), as the commands' --seed.
from tfds_builders.common.command_flags import MAX_SEED


def integer(name: str, value, *, minimum: int = 0,
            maximum: int | None = None) -> int:
  """`value` as an int in [minimum, maximum]; numpy integers are accepted.

  Raises:
    ValueError: naming `name`, for a bool, a non-integer or a value out of
      range.
  """
  try:
    number = operator.index(value)
  except TypeError:
    number = None
  if (isinstance(value, bool) or number is None or number < minimum
      or (maximum is not None and number > maximum)):
    bounds = (f"from {minimum} to {maximum}" if maximum is not None else
              f"of at least {minimum}")
    raise ValueError(f"{name} must be an int {bounds}, got {value!r}.")
  return number


def seed(value) -> int | None:
  """A seed: None (unseeded) or an int from 0 to 2**32 - 1."""
  return None if value is None else integer("seed", value, maximum=MAX_SEED)


def flag(name: str, value) -> bool:
  """`value` as a bool; only True and False are taken."""
  if not isinstance(value, bool):
    raise ValueError(f"{name} must be True or False, got {value!r}.")
  return value


def ids(name: str, value) -> frozenset[str]:
  """A collection of TFDS ids (strings); a lone string is refused.

  Raises:
    ValueError: naming `name`, for a string (which would be read as a set of
      characters) or a collection holding anything but strings.
  """
  if value is None:
    return frozenset()
  if isinstance(value, (str, bytes)) or not isinstance(value, Collection):
    raise ValueError(f"{name} must be a collection of TFDS id strings (a "
                     f"set or list), got {value!r:.80}.")
  found = frozenset(value)
  odd = [v for v in found if not isinstance(v, str)]
  if odd:
    raise ValueError(f"{name} must hold TFDS id strings, got {odd[0]!r}.")
  return found
