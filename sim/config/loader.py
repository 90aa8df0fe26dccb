"""Loading scenarios: shipped names and TOML files, ``extends`` chains, command-line overrides.

A scenario file sets some parameters and may ``extends`` another scenario (by name or by a path
relative to the file); every parameter it does not set keeps the value it inherits, and a file
without ``extends`` starts from the declared defaults (``scenarios/baseline.toml`` is such a file).
Every value is checked against the schema before anything runs. Errors are one-line
:class:`ScenarioError` messages naming the file (or ``override``), the key, what was expected and what was
given, with the closest valid name for a typo::

    scenarios/foo.toml: market.base_chrun: unknown parameter; did you mean 'market.base_churn'?
    override: market.base_churn = 1.5: out of range, expected a float in [0, 1]

Of the ``[scenario]`` table only ``steps`` is inherited -- ``name`` defaults to the file's stem,
``description`` to "Extends '<parent>'.". A name in ``extends`` is looked up first next to the file,
then among the shipped scenarios (package data, ``sim/scenarios/``).
"""

from __future__ import annotations

import difflib
import importlib.resources
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.config.errors import ScenarioError
from sim.config.scenario import OVERRIDE, Scenario
from sim.config.schema import PARAM_KEYS, SCHEMA, check_constraints, defaults, flatten_checked
from sim.config.toml_io import parse, parse_value, toml_str
from sim.io.outputs import display_path

SCENARIO_DIR: Path = Path(importlib.resources.files("sim") / "scenarios")  # package data: travels with the wheel


def _is_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.endswith(".toml")


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped in the project's scenarios/ folder, sorted."""
    if not SCENARIO_DIR.is_dir():
        return []
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml") if p.is_file())


def _unknown_name(name: str, source: str | None = None) -> ScenarioError:
    names = list_scenarios()
    msg = f"unknown scenario {name!r}; available: " + ", ".join(names)
    close = difflib.get_close_matches(name, names, 1, 0.6)
    if close:
        msg += f"; did you mean {close[0]!r}?"
    if source:
        msg = f"{source}: scenario.extends = {toml_str(name)}: " + msg
    return ScenarioError(
        msg,
        source=source,
        key="scenario.extends" if source else None,
        expected="one of " + ", ".join(names),
        given=name,
        hint=close[0] if close else None,
    )


#: A scenario file larger than this is not a scenario (the shipped baseline is ~6 KB).
MAX_FILE_BYTES = 1_000_000
#: Files in one chain of ``extends`` (the shipped scenarios use 2).
MAX_EXTENDS = 20


def _read(path: Path) -> str:
    shown = display_path(path)
    try:
        path.resolve(strict=False)
        size = path.stat().st_size if path.is_file() else 0
    except (OSError, RuntimeError) as e:  # a symlink loop, a name too long
        raise ScenarioError(f"{shown}: cannot read: {getattr(e, 'strerror', None) or e}", source=shown) from None
    if size > MAX_FILE_BYTES:
        raise ScenarioError(
            f"{shown}: {size:,} bytes: expected a scenario file of at most {MAX_FILE_BYTES:,} bytes", source=shown
        )
    if not path.exists():
        raise ScenarioError(f"{shown}: file not found", source=shown, expected="an existing file")
    if not path.is_file():
        raise ScenarioError(f"{shown}: not a file", source=shown, expected="a TOML file")
    try:
        return path.read_bytes().decode("utf-8-sig")  # a byte-order mark, as some editors write, is fine
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{shown}: not UTF-8 text (byte {e.start})", source=shown, expected="UTF-8 text") from None
    except OSError as e:
        raise ScenarioError(f"{shown}: cannot read: {e.strerror or e}", source=shown) from None


def _locate(name: str, base: Path | None, source: str) -> Path:
    """Where an ``extends`` value points: a path relative to the file, or a name."""
    if _is_path(name):
        path = Path(name).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        if not path.is_file():
            raise ScenarioError(
                f"{source}: scenario.extends = {toml_str(name)}: file not found ({display_path(path)})",
                source=source,
                key="scenario.extends",
                expected="an existing scenario file",
                given=name,
            )
        return path
    for folder in ([base] if base is not None else []) + [SCENARIO_DIR]:
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    raise _unknown_name(name, source)


def _resolve_text(
    text: str, source: str, base: Path | None, stem: str | None, path: Path | None, chain: list[Path]
) -> Scenario:
    data = parse(text, source)
    flat = flatten_checked(data, source)
    extends = flat.pop("scenario.extends", None)
    name = flat.pop("scenario.name", None) or stem or "unnamed"
    description = flat.pop("scenario.description", None)
    if extends is not None:
        if len(chain) >= MAX_EXTENDS:
            raise ScenarioError(
                f"{source}: scenario.extends: a chain of more than {MAX_EXTENDS} files",
                source=source,
                key="scenario.extends",
                expected=f"at most {MAX_EXTENDS} files in a chain of extends",
            )
        parent_path = _locate(extends, base, source)
        try:
            resolved = parent_path.resolve()
        except (OSError, RuntimeError) as e:  # a symlink loop
            raise ScenarioError(f"{source}: scenario.extends = {toml_str(extends)}: {e}", source=source) from None
        if resolved in chain:
            cycle = chain[chain.index(resolved) :] + [resolved]
            shown = " -> ".join(display_path(p) for p in cycle)
            raise ScenarioError(
                f"{source}: cyclic extends: {shown}",
                source=source,
                key="scenario.extends",
                expected="an acyclic chain of extends",
                given=shown,
            )
        parent = _load_path(parent_path, chain)
        merged = {"scenario.steps": parent.steps, **parent.flat(), **flat}
        if description is None:
            description = f"Extends {extends!r}."
    else:
        merged = {"scenario.steps": SCHEMA["scenario.steps"].default, **defaults(), **flat}
    steps = merged.pop("scenario.steps")
    flat = {k: merged[k] for k in PARAM_KEYS}
    check_constraints(flat, source)
    return Scenario._raw(name, description or "", steps, flat, path, extends, {})


def _load_path(path: Path, chain: list[Path]) -> Scenario:
    text = _read(path)
    resolved = path.resolve()  # _read has checked that it resolves
    return _resolve_text(text, display_path(path), path.parent, path.stem, path, [*chain, resolved])


def from_toml(text: str, *, source: str = "<string>", base_dir: str | Path | None = None) -> Scenario:
    """A scenario from TOML text; ``extends`` names are looked up in ``base_dir``, then in the shipped scenarios."""
    base = Path(base_dir) if base_dir is not None else None
    stem = Path(source).stem if source != "<string>" else None
    return _resolve_text(text, source, base, stem, path=None, chain=[])


def load_scenario(name_or_path: str | Path | Scenario) -> Scenario:
    """Load and validate a scenario: a name in the project's scenarios/ folder, or a path to a TOML file.

    A string is a path if it contains a slash or ends with ``.toml``. A Scenario is returned as is.
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    if isinstance(name_or_path, Path):
        return _load_path(name_or_path.expanduser(), [])
    if not isinstance(name_or_path, str) or not name_or_path.strip():
        raise ScenarioError(
            f"unknown scenario {name_or_path!r}; available: " + ", ".join(list_scenarios()),
            expected="a scenario name or path",
            given=repr(name_or_path),
        )
    text = name_or_path.strip()
    if _is_path(text):
        return _load_path(Path(text).expanduser(), [])
    path = SCENARIO_DIR / f"{text}.toml"
    if not path.is_file():
        raise _unknown_name(text)
    return _load_path(path, [])


# --- overrides from the command line ---------------------------------------------------------


def parse_override(text: str) -> tuple[str, Any]:
    """``"market.base_churn=0.01"`` -> ``("market.base_churn", 0.01)``.

    The value is read as a TOML value (``0.01`` float, ``2`` int, ``true`` bool, ``"active"`` str);
    anything that is not valid TOML (``active``) is taken as a bare string. The key is checked by
    :meth:`Scenario.with_params`, not here.
    """
    if not isinstance(text, str) or "=" not in text:
        raise ScenarioError(
            f"{OVERRIDE}: {text!r}: expected name=value, e.g. market.base_churn=0.01",
            source=OVERRIDE,
            expected="name=value",
            given=str(text),
        )
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    if not key:
        raise ScenarioError(
            f"{OVERRIDE}: {text!r}: missing parameter name before '='",
            source=OVERRIDE,
            expected="name=value",
            given=text,
        )
    if not raw:
        expected = SCHEMA[key].expected() if key in SCHEMA else "a value"
        raise ScenarioError(
            f"{OVERRIDE}: {key}: missing value after '=', expected {expected}",
            source=OVERRIDE,
            key=key,
            expected=expected,
            given="nothing",
        )
    return key, parse_value(raw)


def parse_overrides(texts: Iterable[str]) -> dict[str, Any]:
    """Several ``name=value`` texts -> a dict for :meth:`Scenario.with_params` (later ones win)."""
    return dict(parse_override(t) for t in texts)
