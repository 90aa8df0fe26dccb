"""Scenario variants written inline: ``NAME:key=value,key=value`` and ``--vary key=v1,v2,v3``.

A strategist comparing CRM maturity levels should not need a file per level:
``compare baseline "crm:policy.crm_maturity=3"`` or ``compare crm --vary policy.crm_maturity=1,2,3``.
Each variant is the named (or path) scenario with the overrides applied and validated, named after
what it changes.
"""

from __future__ import annotations

from pathlib import Path

from sim.config.errors import ScenarioError
from sim.config.loader import load_scenario, parse_override
from sim.config.scenario import Scenario
from sim.config.toml_io import parse_value


def load_variant(text: str | Path | Scenario) -> Scenario:
    """A scenario from a name, a path, or ``NAME:key=value,...`` (the base with those overrides)."""
    if isinstance(text, (Scenario, Path)) or ":" not in str(text) or Path(str(text)).exists():
        return load_scenario(text)
    base, _, changes = str(text).partition(":")
    overrides = dict(parse_override(c) for c in changes.split(",") if c.strip())
    if not overrides:
        raise ScenarioError(f"{text!r}: expected NAME:key=value,... with at least one key=value", source=str(text))
    variant = load_scenario(base).with_params(overrides)
    return variant.renamed(str(text).strip(), f"{variant.description} Variant: {changes.strip()}.")


def parse_vary(text: str) -> tuple[str, list]:
    """``key=v1,v2,...`` -> (key, [values]) for ``--vary``."""
    if "=" not in text:
        raise ScenarioError(f"--vary {text!r}: expected key=v1,v2,..., e.g. policy.crm_maturity=1,2,3", source="--vary")
    key, _, raw = text.partition("=")
    values = [parse_value(v.strip()) for v in raw.split(",") if v.strip()]
    if not key.strip() or not values:
        raise ScenarioError(f"--vary {text!r}: expected key=v1,v2,..., e.g. policy.crm_maturity=1,2,3", source="--vary")
    return key.strip(), values


def vary(scenarios, key: str, values) -> list[Scenario]:
    """Every scenario once per value of ``key``, named ``NAME:key=value`` (validated)."""
    out = []
    for s in scenarios:
        base = load_variant(s)
        for v in values:
            shown = str(v).lower() if isinstance(v, bool) else str(v)
            out.append(base.with_params({key: v}).renamed(f"{base.name}:{key}={shown}"))
    return out
