"""The scenario schema: every parameter, collected from the components that declare it.

The model's processes, channels, levers and set-up (``sim.engine``) and the scorecard
(``sim.analysis.kpis``) each declare the parameters they own, with a default, a range and a
source; this module only gathers them, in section order, and knows how to check a nested table
against them (unknown keys get the closest valid name).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from sim.analysis import kpis
from sim.config import limits
from sim.config.errors import ScenarioError
from sim.config.params import Param, par
from sim.config.toml_io import show, type_name
from sim.engine import levers
from sim.engine.channels import CHANNEL_NAMES, CHANNELS
from sim.engine.schedule import COMPONENTS, WARMUP

#: Sections of model parameters, in file order (the ``[scenario]`` metadata is not among them).
SECTIONS: tuple[str, ...] = (
    "knowledge",
    "environment",
    "organization",
    "market",
    "crm",
    "policy",
    "costs",
    "channels",
    "scorecard",
)
META = "scenario"

_META_PARAMS = (
    Param("scenario.name", str, "Scenario name (defaults to the file's stem)", nonempty=True),
    Param("scenario.description", str, "The strategy or situation the scenario stands for", default=""),
    Param("scenario.steps", int, "Default run length in steps (weeks)", 1, default=104),
    Param(
        "scenario.extends",
        str,
        "Scenario this one inherits from: a name, or a path relative to the file",
        nonempty=True,
    ),
)
ENABLED = par(
    "channels.enabled",
    list(CHANNEL_NAMES),
    "The channels the scenario runs (default: all of them); a channel not listed moves nothing and costs nothing",
    choices=CHANNEL_NAMES,
)


def _declared() -> list[Param]:
    out = [WARMUP, *(p for c in COMPONENTS for p in c.params)]
    out += levers.params()
    out += [ENABLED] + [p for ch in CHANNELS for p in ch.params]
    out += list(kpis.PARAMS)
    return out


def _collect() -> dict[str, Param]:
    params = _declared()
    seen: dict[str, Param] = {}
    for p in params:
        if p.key in seen and seen[p.key] != p:
            raise RuntimeError(f"parameter {p.key} is declared twice, differently")
        if p.section not in SECTIONS and p is not WARMUP:
            raise RuntimeError(f"parameter {p.key}: section {p.section!r} is not one of {SECTIONS}")
        seen[p.key] = p
    order = {META: -1, **{s: i for i, s in enumerate(SECTIONS)}}
    model = sorted(seen.values(), key=lambda p: order[p.section])  # stable: declaration order within a section
    return {p.key: within_limits(p) for p in (*_META_PARAMS, *model)}


def within_limits(p: Param) -> Param:
    """The parameter within the machine's hard limits (sim.config.limits): sizes and counts, money and
    targets, weights. A declared bound tighter than the limit stays."""
    hi = lo = None
    if p.key in limits.SIZE_LIMITS:
        hi = limits.SIZE_LIMITS[p.key][0]
    elif p.type is float and p.key.endswith(".weight"):
        hi = limits.WEIGHT_LIMIT
    elif p.type is float and p.choices is None:
        money = p.section in ("costs", "scorecard") or p.key.endswith("cost")
        most = limits.MONEY_LIMIT if money else limits.MAGNITUDE_LIMIT
        hi, lo = most, -most
    changes = {}
    if hi is not None and (p.hi is None or p.hi > hi):
        changes["hi"] = hi
    if lo is not None and (p.lo is None or p.lo < lo):
        changes["lo"] = lo
    return dataclasses.replace(p, **changes) if changes else p


SCHEMA: dict[str, Param] = _collect()
PREFIXES: frozenset[str] = frozenset(".".join(k.split(".")[:i]) for k in SCHEMA for i in range(1, k.count(".") + 1))
ALL_NAMES: tuple[str, ...] = tuple(SCHEMA) + tuple(sorted(PREFIXES))
META_KEYS = ("scenario.name", "scenario.description", "scenario.steps", "scenario.extends")  # per file, not params
PARAM_KEYS: tuple[str, ...] = tuple(k for k in SCHEMA if k not in META_KEYS)
NOT_OVERRIDABLE = ("scenario.name", "scenario.extends")


#: Rules between parameters: (keys, holds(values...), what is expected).
CONSTRAINTS: tuple[tuple[tuple[str, ...], Any, str], ...] = (
    (
        ("market.market_potential", "market.initial_customers"),
        lambda whole, n0: whole >= n0,
        "the whole market (customers and prospects) holds at least the initial customers",
    ),
    (
        ("market.fit_weight", "market.use_weight"),
        lambda fit, use: fit + use <= 1.0,
        "product fit and value in use together at most the whole of perceived quality (sum <= 1)",
    ),
)


def check_constraints(flat: Mapping[str, Any], source: str) -> None:
    """Raise a one-line ScenarioError if the values break a rule between parameters, or if the model
    they describe would not fit in memory (sim.config.limits)."""
    for keys, holds, expected in CONSTRAINTS:
        values = [flat[k] for k in keys]
        if not holds(*values):
            shown = ", ".join(f"{k} = {show(v)}" for k, v in zip(keys, values))
            raise ScenarioError(
                f"{source}: {shown}: expected {expected}", source=source, key=keys[0], expected=expected, given=shown
            )
    problem = limits.memory_problem(flat)
    if problem:
        sizes = [k for k in limits.MEMORY_KEYS if flat[k] != SCHEMA[k].default] or list(limits.MEMORY_KEYS[:2])
        shown = ", ".join(f"{k} = {show(flat[k])}" for k in sizes)
        raise ScenarioError(
            f"{source}: {shown}: too large for this machine: the model {problem}",
            source=source,
            key=sizes[0],
            expected="a model that fits in memory",
            given=shown,
        )


def defaults() -> dict[str, Any]:
    """Every model parameter's declared default (dotted name -> value)."""
    return {k: SCHEMA[k].default for k in PARAM_KEYS}


def suggest(key: str) -> str | None:
    """The closest valid dotted name to ``key``, or None."""
    close = difflib.get_close_matches(key, ALL_NAMES, n=1, cutoff=0.6)
    if close:
        return close[0]
    # a right name in the wrong section, or a bare name without its section
    last = key.rsplit(".", 1)[-1]
    tails: dict[str, str] = {}
    for name in ALL_NAMES:
        tails.setdefault(name.rsplit(".", 1)[-1], name)
    close = difflib.get_close_matches(last, list(tails), n=1, cutoff=0.75)
    return tails[close[0]] if close else None


def unknown(source: str, key: str) -> ScenarioError:
    hint = suggest(key)
    if hint:
        msg = f"{source}: {key}: unknown parameter; did you mean {hint!r}?"
    else:
        msg = f"{source}: {key}: unknown parameter; valid sections are " + ", ".join((META,) + SECTIONS)
    return ScenarioError(msg, source=source, key=key, expected="a known parameter", hint=hint)


def flatten_checked(data: Mapping[str, Any], source: str, prefix: str = "") -> dict[str, Any]:
    """Validate a nested table (one file's content, or an override table) and flatten it."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if key in SCHEMA:
            out[key] = SCHEMA[key].check(v, source)
        elif key in PREFIXES:
            if not isinstance(v, Mapping):
                shown = show(v)
                raise ScenarioError(
                    f"{source}: {key} = {shown}: wrong type, expected a table [{key}], given {type_name(v)}",
                    source=source,
                    key=key,
                    expected=f"a table [{key}]",
                    given=shown,
                )
            out.update(flatten_checked(v, source, key + "."))
        else:
            raise unknown(source, key)
    return out


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted names -> nested tables."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out
