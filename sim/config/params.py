"""Declarations: a scenario parameter (``Param``) and a named constant (``Constant``, ``Levels``).

Processes and channels declare the parameters they own beside the code that uses them (as
Starsim's modules do with ``define_pars``); :mod:`sim.config.schema` collects the declarations into
the one schema every scenario file, override, sweep range and app control is checked against.
Nothing here imports the model.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.config.errors import ScenarioError
from sim.config.limits import NAME_LIMIT, TEXT_LIMIT
from sim.config.toml_io import is_bool, show, type_name

_TYPE_NAMES = {int: "an int", float: "a float", str: "a string", bool: "a bool", list: "a list of names"}


def num(x: float | int) -> str:
    """A number as written in a range: ``1`` for 1.0, ``0.005`` for 0.005."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e7:
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Param:
    """One scenario parameter: dotted key, type, default, inclusive range or allowed values, help, source.

    ``type`` is ``int``, ``float``, ``str``, ``bool`` or ``list`` (a list of names, each one of
    ``choices``). ``source`` says where the default comes from (a citation, a calibration, or
    "assumption"); ``label`` is the short name a control shows in the app.
    """

    key: str
    type: type
    help: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None
    default: Any = None
    source: str = ""
    label: str = ""
    nonempty: bool = False  # strings only
    required: bool = False  # metadata only: must be given (model parameters all have defaults)

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def leaf(self) -> str:
        return self.key.rsplit(".", 1)[-1]

    def expected(self) -> str:
        """What a valid value looks like, e.g. ``a float in [0, 1]``."""
        base = _TYPE_NAMES[self.type]
        if self.type is list:
            return base + (" from " + ", ".join(repr(c) for c in self.choices) if self.choices else "")
        if self.choices is not None:
            return f"{base}, one of " + ", ".join(repr(c) for c in self.choices)
        if self.type is str:
            return "a non-empty string" if self.nonempty else base
        if self.lo is not None and self.hi is not None:
            return f"{base} in [{num(self.lo)}, {num(self.hi)}]"
        if self.lo is not None:
            return f"{base} >= {num(self.lo)}"
        if self.hi is not None:
            return f"{base} <= {num(self.hi)}"
        return "a finite float" if self.type is float else base

    def check(self, value: Any, source: str) -> Any:
        """Return the value converted to this parameter's type, or raise ScenarioError."""
        expected = self.expected()
        shown = show(value)

        def fail(what: str, hint: str | None = None, given: str | None = None) -> ScenarioError:
            msg = f"{source}: {self.key} = {shown}: {what}, expected {expected}"
            if given:
                msg += f", given {given}"
            if hint:
                msg += f"; did you mean {hint!r}?"
            return ScenarioError(msg, source=source, key=self.key, expected=expected, given=shown, hint=hint)

        def closest(text):
            close = difflib.get_close_matches(str(text), [str(c) for c in self.choices or ()], 1, 0.5)
            return close[0] if close else None

        boolean = is_bool(value)
        if self.type is bool:
            if not boolean:
                raise fail("wrong type", given=type_name(value))
            return bool(value)
        if self.type is int:
            if boolean or not isinstance(value, numbers.Integral):
                raise fail("wrong type", given=type_name(value))
            value = int(value)
        elif self.type is float:
            if boolean or not isinstance(value, numbers.Real):
                raise fail("wrong type", given=type_name(value))
            value = float(value)
            if not math.isfinite(value):
                raise fail("not a finite number")
        elif self.type is str:
            if not isinstance(value, str):
                raise fail("wrong type", given=type_name(value))
            value = str(value)
            if self.nonempty and not value.strip():
                raise fail("empty string")
            most = NAME_LIMIT if self.key in ("scenario.name", "scenario.extends") else TEXT_LIMIT
            if len(value) > most:
                raise fail(f"longer than {most} characters")
        elif self.type is list:
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise fail("wrong type", given=type_name(value))
            for v in value:
                if self.choices is not None and v not in self.choices:
                    raise fail(f"unknown name {v!r}", closest(v))
            if len(set(value)) != len(value):
                raise fail("a name is listed twice")
            return tuple(value)
        if self.choices is not None:
            if value not in self.choices:
                raise fail("not an allowed value", closest(value) if isinstance(value, str) else None)
        else:
            if self.lo is not None and value < self.lo:
                raise fail("out of range")
            if self.hi is not None and value > self.hi:
                raise fail("out of range")
        return value


def par(
    key: str,
    default: Any,
    help: str,
    lo=None,
    hi=None,
    *,
    choices=None,
    source: str = "assumption",
    label: str = "",
    type: type | None = None,
) -> Param:
    """A model parameter declared with its default; the type follows the default unless given."""
    typ = type or (
        bool
        if isinstance(default, bool)
        else list
        if isinstance(default, (list, tuple))
        else int
        if isinstance(default, int)
        else float
        if isinstance(default, float)
        else str
    )
    if typ is list:
        default = tuple(default)
    return Param(
        key,
        typ,
        help,
        lo,
        hi,
        tuple(choices) if choices is not None else None,
        default=default,
        source=source,
        label=label,
    )


def share(key: str, default: float, help: str, **kw) -> Param:
    """A float parameter in [0, 1]."""
    return par(key, float(default), help, 0, 1, **kw)


class Constant(float):
    """A named constant of a process: a float that carries its meaning and its source.

    Used like any float (``rate * self.AWARENESS``); listed in docs/ODD.md from the declarations.
    A constant that a user may want to vary should be a :class:`Param` instead.
    """

    meaning: str
    source: str

    def __new__(cls, value: float, meaning: str, source: str = "assumption"):
        self = super().__new__(cls, value)
        self.meaning, self.source = meaning, source
        return self

    def __reduce__(self):
        return (Constant, (float(self), self.meaning, self.source))


class Levels(dict):
    """A named constant with one value per level or category (e.g. per CRM maturity level)."""

    def __init__(self, values: Mapping, meaning: str, source: str = "assumption"):
        super().__init__(values)
        self.meaning, self.source = meaning, source

    def __reduce__(self):
        return (Levels, (dict(self), self.meaning, self.source))


@dataclass(frozen=True)
class Expect:
    """What theory expects a change to do to one outcome, and who says so (pattern-oriented modelling,
    Grimm et al. 2005).

    ``sign`` is +1 (raises), -1 (lowers) or 0 (no effect: within ``margin`` either way). ``outcome``
    is a KPI of the run summary or a step-table column (its mean over the measured weeks).
    """

    outcome: str
    sign: int
    source: str
    margin: float = 0.0


@dataclass(frozen=True)
class Contrast:
    """A paired contrast of one parameter, ``low`` against ``high``, on ``scenario``, and what theory
    expects the change from low to high to do."""

    key: str
    low: Any
    high: Any
    expects: tuple[Expect, ...]
    scenario: str = "baseline"
