"""Checks of builder config fields, each error naming its field.

A config may come from JSON on the command line (`tfds build ...
--config='{"name": "cats_dogs_max256", "max_side": 256}'`), so any field
may hold any JSON value: a string where a number belongs, a bool, a float.
Each is refused when the config is made, before anything is read or
written, with the config and the field named.
"""

from __future__ import annotations

from collections.abc import Sequence
import numbers
import re
from typing import Any

# What `tfds.load("dataset/NAME")` parses as a config name, without path
# tricks: no `/`, and not `.` or `..`.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_+.-]*")


class ConfigError(ValueError):
  """A builder config field holding a value it cannot take."""


def check_name(dataset: str, name: Any) -> str:
  """A config name, which is also a folder of the built dataset.

  Raises:
    ConfigError: Not a string of letters, digits, `_`, `+`, `-` and `.`
      starting with a letter, digit or `_`.
  """
  if not isinstance(name, str) or not _NAME.fullmatch(name):
    raise ConfigError(
        f"{dataset} config: name must be letters, digits, '_', '+', '-' or "
        f"'.', starting with a letter, digit or '_'; got {name!r}.")
  return name


def check_choice(dataset: str, name: str, field: str, value: Any,
                 choices: Sequence[str]) -> str:
  """A field that takes one of a few strings.

  Raises:
    ConfigError: `value` is not one of `choices`.
  """
  if not isinstance(value, str) or value not in choices:
    shown = ", ".join(repr(c) for c in choices)
    raise ConfigError(f"{dataset} config {name!r}: {field} must be one of "
                      f"{shown}; got {value!r}.")
  return value


def check_whole_number(dataset: str, name: str, field: str, value: Any, *,
                       low: int, high: int | None = None, unit: str = "",
                       none_means: str | None = None) -> int | None:
  """A field that takes a whole number in `low..high` (or None).

  Args:
    dataset: The dataset, as an error names it.
    name: The config's name.
    field: The field's name.
    value: What the field was given.
    low: The smallest value taken.
    high: The largest value taken, if any.
    unit: What the number counts, for the error (`pixels`).
    none_means: If set, None (JSON null) is taken and means this.

  Returns:
    `value` as an int, or None.

  Raises:
    ConfigError: Naming the config and field, and what they take.
  """
  if value is None and none_means is not None:
    return None
  if (not isinstance(value, bool) and isinstance(value, numbers.Integral)
      and value >= low and (high is None or value <= high)):
    return int(value)
  taken = f"from {low} to {high}" if high is not None else f"{low} or more"
  of_unit = f" of {unit}" if unit else ""
  null = f", or null (None) for {none_means}" if none_means else ""
  raise ConfigError(f"{dataset} config {name!r}: {field} must be a whole "
                    f"number{of_unit}, {taken}{null}; got {value!r}.")
