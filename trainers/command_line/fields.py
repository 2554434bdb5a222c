"""How a `Config` field is declared: its default, help, bounds, resume rule.

`trainers.command_line.flags` derives the absl flags from this metadata and
`Config.validate` the checks, so a new option is one field (plus its use).
"""

from __future__ import annotations

import dataclasses
from typing import Any

# What a resumed run may do with a field (`Config.resume_conflicts`).
# CHANGEABLE: takes effect from the resumed step on (more epochs, a new
# learning rate, other devices). FIXED: decides what the checkpoint holds or
# which data it was trained on; a change is refused before any work.
CHANGEABLE = "changeable"
FIXED = "fixed"



def option(default: Any, help: str, *, choices: tuple[str, ...] = (),  # pylint: disable=redefined-builtin
            lower: int | float | None = None, upper: int | None = None,
            on_resume: str = CHANGEABLE, flag: bool = True) -> Any:
  """A Config field with what `trainers.command_line.flags` and `validate` need.

  Args:
    default: The default value (a dict becomes a per-instance copy).
    help: The flag's help text.
    choices: The allowed values, for an enum flag.
    lower: The smallest allowed value, for a number (None stays allowed
      when it is the default). A float's bound is strict, and a float must
      be finite.
    upper: The largest allowed value, for an integer.
    on_resume: CHANGEABLE or FIXED.
    flag: Whether the trainers define a flag for it.

  Returns:
    A `dataclasses.field`.
  """
  metadata = {"help": help, "choices": choices, "lower": lower,
              "upper": upper, "on_resume": on_resume, "flag": flag}
  if isinstance(default, dict):
    return dataclasses.field(default_factory=lambda: dict(default),
                             metadata=metadata)
  return dataclasses.field(default=default, metadata=metadata)
