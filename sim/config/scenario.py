"""The ``Scenario``: an immutable, validated set of parameter values, and ``Section``, its read-only view.

    sc = load_scenario("km")                          # sim.config.loader: a name or a path
    sc.get("market.base_churn"); sc["policy.codification"]
    m = sc.section("market"); m.base_churn            # read-only attribute view
    sc2 = sc.with_params({"market.base_churn": 0.01})  # a new, validated scenario

Every model parameter has a declared default (:mod:`sim.config.schema`); a scenario holds the
value of every one of them. Nothing here reads or writes files; :meth:`Scenario.to_toml` returns text.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from sim.config.errors import ScenarioError
from sim.config.schema import (
    META,
    META_KEYS,
    NOT_OVERRIDABLE,
    PARAM_KEYS,
    PREFIXES,
    SCHEMA,
    SECTIONS,
    check_constraints,
    defaults,
    flatten_checked,
    nest,
    suggest,
)
from sim.config.toml_io import show, type_name, write_tables

OVERRIDE = "override"


class Section(Mapping):
    """A read-only view of one table: ``sec.base_churn``, ``sec["base_churn"]``, iteration, ``to_dict()``.

    Sub-tables (``channels.mentoring``, ``scorecard.kpi``) are Sections too.
    """

    __slots__ = ("_name", "_data")

    def __init__(self, name: str, data: Mapping[str, Any]):
        object.__setattr__(self, "_name", name)
        object.__setattr__(
            self,
            "_data",
            {k: Section(f"{name}.{k}", v) if isinstance(v, Mapping) else v for k, v in data.items()},
        )

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        try:
            return self._data[attr]
        except KeyError:
            close = difflib.get_close_matches(attr, list(self._data), 1, 0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise AttributeError(f"[{self._name}] has no parameter {attr!r}{hint}") from None

    def __setattr__(self, attr, value):
        raise AttributeError(f"[{self._name}] is read-only; use Scenario.with_params")

    __delattr__ = __setattr__

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __dir__(self):
        return list(self._data) + ["to_dict", "keys", "items", "values", "get"]

    def to_dict(self) -> dict[str, Any]:
        """A plain (deep-copied) dict."""
        return {k: v.to_dict() if isinstance(v, Section) else v for k, v in self._data.items()}

    def __reduce__(self):
        return (Section, (self._name, self.to_dict()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._data.items())
        return f"Section({self._name}: {inner})"


class Scenario:
    """An immutable, validated scenario.

    Equality (and hash) is on the resolved content -- name, description, steps and every parameter;
    where it came from (``path``, ``extends``, ``overrides``) is provenance only.
    """

    __slots__ = ("_name", "_description", "_steps", "_flat", "_path", "_extends", "_overrides", "_hash")

    def __init__(
        self,
        name: str,
        params: Mapping[str, Any],
        *,
        description: str = "",
        steps: int = 104,
        path: str | Path | None = None,
        extends: str | None = None,
        overrides: Mapping[str, Any] | None = None,
        source: str = "Scenario()",
    ):
        """Build from nested ``params`` (every section of :data:`SECTIONS`); everything is validated."""
        meta = {"scenario.name": name, "scenario.description": description, "scenario.steps": steps}
        meta = {k: SCHEMA[k].check(v, source) for k, v in meta.items()}
        if extends is not None:
            SCHEMA["scenario.extends"].check(extends, source)
        if not isinstance(params, Mapping):
            raise ScenarioError(
                f"{source}: params: expected a table, given {type_name(params)}",
                source=source,
                key="params",
                expected="a table",
            )
        if META in params and set(params[META]) & {k.split(".")[1] for k in META_KEYS}:
            raise ScenarioError(
                f"{source}: params: [scenario] may hold only warmup; pass name, description and steps as arguments",
                source=source,
                key=META,
            )
        flat = {**defaults(), **flatten_checked(params, source)}
        check_constraints(flat, source)
        self._init(
            meta["scenario.name"],
            meta["scenario.description"],
            meta["scenario.steps"],
            {k: flat[k] for k in PARAM_KEYS},
            path,
            extends,
            dict(overrides or {}),
        )

    def _init(self, name, description, steps, flat, path, extends, overrides) -> None:
        set_ = object.__setattr__
        set_(self, "_name", name)
        set_(self, "_description", description)
        set_(self, "_steps", steps)
        set_(self, "_flat", flat)
        set_(self, "_path", Path(path) if path is not None else None)
        set_(self, "_extends", extends)
        set_(self, "_overrides", overrides)
        set_(self, "_hash", None)

    @classmethod
    def _raw(cls, name, description, steps, flat, path, extends, overrides) -> Scenario:
        self = object.__new__(cls)
        self._init(name, description, steps, flat, path, extends, overrides)
        return self

    def __setattr__(self, attr, value):
        raise AttributeError("Scenario is immutable; use with_params() to make a changed copy")

    __delattr__ = __setattr__

    def __reduce__(self):
        return (
            Scenario._raw,
            (
                self._name,
                self._description,
                self._steps,
                dict(self._flat),
                str(self._path) if self._path else None,
                self._extends,
                dict(self._overrides),
            ),
        )

    # -- metadata ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return self._description

    @property
    def steps(self) -> int:
        return self._steps

    @property
    def path(self) -> Path | None:
        """The file the scenario was loaded from, or None."""
        return self._path

    @property
    def extends(self) -> str | None:
        """The ``extends`` of the file it was loaded from (provenance only)."""
        return self._extends

    @property
    def overrides(self) -> dict[str, Any]:
        """Every override applied by :meth:`with_params` since loading (dotted name -> value)."""
        return dict(self._overrides)

    # -- parameters --------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        """Every parameter as a nested dict (a fresh copy; changing it changes nothing)."""
        return nest(self._flat)

    def flat(self) -> dict[str, Any]:
        """Every parameter as dotted name -> value, e.g. ``"channels.mentoring.rate"`` (a copy)."""
        return dict(self._flat)

    def get(self, key: str) -> Any:
        """A parameter by dotted name; a table name (``"market"``, ``"channels.mentoring"``) gives a Section."""
        if key in self._flat:
            return self._flat[key]
        if key == "scenario.name":
            return self._name
        if key == "scenario.description":
            return self._description
        if key == "scenario.steps":
            return self._steps
        if key in PREFIXES and not key.startswith(META):
            return self.section(key)
        hint = suggest(key)
        raise KeyError(f"unknown parameter {key!r}" + (f"; did you mean {hint!r}?" if hint else ""))

    __getitem__ = get

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self._flat or key in PREFIXES or key in SCHEMA)

    def section(self, name: str) -> Section:
        """A read-only attribute view of one table: ``sc.section("market").base_churn``.

        ``name`` may be dotted: ``sc.section("channels.mentoring").rate``.
        """
        if name not in PREFIXES or name == META:
            hint = difflib.get_close_matches(name, SECTIONS, 1, 0.6)
            raise KeyError(
                f"unknown section {name!r}"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
                + "; sections: "
                + ", ".join(SECTIONS)
            )
        node: Any = nest({k: v for k, v in self._flat.items() if k.startswith(name + ".")})
        for part in name.split("."):
            node = node[part]
        return Section(name, node)

    # -- changing --------------------------------------------------------------------------
    def with_params(self, overrides: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), /, **kw: Any) -> Scenario:
        """A new validated scenario with some parameters changed; this one is left unchanged.

        Keys are dotted names (``"market.base_churn"``); a table name with a dict value sets
        several (``{"channels.mentoring": {"rate": 0.1}}``). ``scenario.steps`` and
        ``scenario.description`` may be changed too; the name stays. Errors name ``override``.
        """
        items = list(overrides.items() if isinstance(overrides, Mapping) else overrides)
        items += list(kw.items())
        table: dict[str, Any] = {}
        for key, value in items:
            if not isinstance(key, str):
                raise ScenarioError(
                    f"{OVERRIDE}: {key!r}: a parameter name must be a string",
                    source=OVERRIDE,
                    key=str(key),
                    expected="a dotted name",
                )
            table[key.strip()] = value
        changes = flatten_checked(table, OVERRIDE)
        for key in changes:
            if key in NOT_OVERRIDABLE:
                raise ScenarioError(
                    f"{OVERRIDE}: {key}: cannot be overridden", source=OVERRIDE, key=key, expected="a model parameter"
                )
        flat = dict(self._flat)
        description, steps = self._description, self._steps
        for key, value in changes.items():
            if key == "scenario.steps":
                steps = value
            elif key == "scenario.description":
                description = value
            else:
                flat[key] = value
        check_constraints(flat, OVERRIDE)
        return Scenario._raw(
            self._name, description, steps, flat, self._path, self._extends, {**self._overrides, **changes}
        )

    def renamed(self, name: str, description: str | None = None) -> Scenario:
        """The same scenario under another name (e.g. a variant made on the command line)."""
        if not isinstance(name, str) or not name.strip():
            raise ScenarioError(f"{OVERRIDE}: name {name!r}: expected a non-empty name", source=OVERRIDE)
        return Scenario._raw(
            name, self._description if description is None else description, self._steps, dict(self._flat),
            self._path, self._extends, dict(self._overrides),
        )  # fmt: skip

    def diff(self, other: Scenario) -> dict[str, tuple[Any, Any]]:
        """Parameters that differ: dotted name -> (value here, value in ``other``)."""
        return {k: (v, other._flat[k]) for k, v in self._flat.items() if other._flat[k] != v}

    # -- output ----------------------------------------------------------------------------
    def to_toml(self) -> str:
        """The fully resolved scenario as TOML text (no ``extends``); ``load_scenario`` reads it back equal."""
        header = [f"# Scenario {self._name!r}, fully resolved (every parameter, no 'extends')."]
        if self._path is not None:
            header.append(f"# from {self._path}" + (f" (extends {self._extends!r})" if self._extends else ""))
        if self._overrides:
            header.append("# overrides: " + ", ".join(f"{k} = {show(v)}" for k, v in self._overrides.items()))
        tables: dict[str, dict[str, Any]] = {
            META: {"name": self._name, "description": self._description, "steps": self._steps}
        }
        for key in PARAM_KEYS:
            table, leaf = key.rsplit(".", 1)
            tables.setdefault(table, {})[leaf] = self._flat[key]
        return write_tables(tables, header)

    # -- comparison ------------------------------------------------------------------------
    def _key(self):
        return (self._name, self._description, self._steps, tuple(self._flat.items()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(self._key()))
        return self._hash

    def __repr__(self) -> str:
        extra = f", overrides={self._overrides!r}" if self._overrides else ""
        where = f", path={str(self._path)!r}" if self._path else ""
        return f"Scenario({self._name!r}, steps={self._steps}{where}{extra})"
