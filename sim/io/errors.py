"""What a user is told when input or output is wrong: one line, before any work starts."""

from __future__ import annotations

import sys

import numpy as np


class InputError(ValueError):
    """Bad input from a user (a flag, a parameter range, a query): one line, exit code 2."""


class OutputError(InputError):
    """An output folder that cannot be used; reported before any run starts."""


def check_int(value, label: str, minimum: int, what: str) -> int:
    """``value`` as an int if it is an integer >= ``minimum``; else an InputError naming ``label``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{label} {value!r}: expected an integer >= {minimum} ({what})")
    return int(value)


def caller_level() -> int:
    """``stacklevel`` for a warning raised in ``sim`` that points at the first caller outside it."""
    frame, level = sys._getframe(1), 1
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("sim."):
        frame, level = frame.f_back, level + 1
    return level
