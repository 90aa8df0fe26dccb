"""TOML in and out: parsing with one-line errors, and a tiny writer for resolved scenarios.

The standard library reads TOML but does not write it; scenarios only need flat tables of
numbers, strings, booleans and lists of strings, so the writer is these few functions.
"""

from __future__ import annotations

import math
import numbers
import re
import tomllib
from collections.abc import Mapping
from typing import Any

from sim.config.errors import ScenarioError


def is_bool(value: Any) -> bool:
    """A Python or numpy bool (numpy's is not a subclass of ``bool``, and ints must not pass for it)."""
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def type_name(value: Any) -> str:
    """How a value's type is named in messages: ``an int``, ``a table``..."""
    if is_bool(value):
        return "a bool"
    if isinstance(value, numbers.Integral):
        return "an int"
    if isinstance(value, numbers.Real):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "an array"
    return f"a {type(value).__name__}"


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_str(s: str) -> str:
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(k: str) -> str:
    return k if _BARE_KEY.match(k) else toml_str(k)


def toml_value(v: Any) -> str:
    if is_bool(v):
        return "true" if v else "false"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return repr(f)
    if isinstance(v, str):
        return toml_str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def show(value: Any, limit: int = 60) -> str:
    """A value as it would appear in TOML, on one short line."""
    if isinstance(value, Mapping):
        return "{...}"
    try:
        text = toml_value(value)
    except TypeError:
        text = repr(value)
    text = " ".join(text.split("\n"))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def write_tables(tables: Mapping[str, Mapping[str, Any]], header: list[str]) -> str:
    """TOML text of ``{table name: {key: value}}`` in the given order, after comment lines ``header``."""
    lines = list(header)
    for table, items in tables.items():
        lines += ["", f"[{'.'.join(toml_key(p) for p in table.split('.'))}]"]
        lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in items.items()]
    return "\n".join(lines) + "\n"


_TOML_POS = re.compile(r"^(.*) \(at line (\d+), column (\d+)\)$", re.S)
_TOML_END = re.compile(r"^(.*) \(at end of document\)$", re.S)


def parse(text: str, source: str) -> dict[str, Any]:
    """TOML text -> dict; malformed TOML is a one-line ScenarioError with line and column."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ScenarioError(
            f"{source}: malformed TOML: nested too deeply", source=source, expected="valid TOML"
        ) from None
    except ValueError as e:
        if not isinstance(e, tomllib.TOMLDecodeError):  # e.g. an integer of thousands of digits
            raise ScenarioError(
                f"{source}: malformed TOML: {e}".split(";")[0], source=source, expected="valid TOML"
            ) from None
        msg = str(e)
        m = _TOML_POS.match(msg)
        if m:
            where, why = f"at line {m.group(2)}, column {m.group(3)}", m.group(1)
        else:
            m = _TOML_END.match(msg)
            lines = text.count("\n") + 1
            where, why = (f"at end of document (line {lines})", m.group(1)) if m else ("", msg)
        raise ScenarioError(
            f"{source}: malformed TOML {where}: {why}".replace("  ", " "),
            source=source,
            expected="valid TOML",
            given=why,
        ) from None


def parse_value(raw: str) -> Any:
    """One value as TOML reads it (``0.01`` float, ``2`` int, ``true`` bool); anything else a bare string."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except (ValueError, RecursionError):  # malformed, or a number of thousands of digits
        return raw
