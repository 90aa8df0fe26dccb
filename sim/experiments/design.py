"""Parameter ranges and designs of a sweep: what is varied, over which values (nothing runs here)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.io.errors import InputError

DESIGNS = ("grid", "lhs", "sobol")
MAX_GRID = 1_000_000  # design points of a grid, at most


@dataclass(frozen=True)
class ParamRange:
    """What a sweep varies: a number between ``low`` and ``high``, or one of a list of ``choices`` (then
    ``low..high`` are the choices' indices, so every design and SALib method treats it as an integer)."""

    name: str
    low: float | int
    high: float | int
    integer: bool
    choices: tuple | None = None

    def values(self, u: np.ndarray) -> np.ndarray:
        """Points of the unit interval -> values; integers (and choices) are uniform over ``low..high``."""
        u = np.asarray(u, dtype=float)
        if self.integer:
            v = np.clip(np.floor(self.low + u * (self.high - self.low + 1)), self.low, self.high).astype(np.int64)
            return self.chosen(v)
        return self.low + u * (self.high - self.low)

    def levels(self, n: int) -> np.ndarray:
        """``n`` evenly spaced levels from low to high (integers: rounded, without repeats); every choice."""
        if self.choices is not None:
            return self.chosen(np.arange(len(self.choices)))
        v = np.linspace(self.low, self.high, n)
        return np.unique(np.rint(v)).astype(np.int64) if self.integer else v

    def chosen(self, index: np.ndarray) -> np.ndarray:
        """Indices -> the choices they stand for (numbers stay numbers)."""
        return index if self.choices is None else np.array(self.choices)[index]

    def spec(self) -> list:
        """How the range is written in a folder's manifest: ``[low, high]`` or ``["choices", a, b, ...]``."""
        return ["choices", *self.choices] if self.choices is not None else [self.low, self.high]


def is_number(x) -> bool:
    """A real number that is not a bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def check_params(base, params: Mapping[str, Any], steps=None, flag: str = "--param") -> list[ParamRange]:
    """Validate ``{dotted.name: (low, high)}`` against the scenario schema; a list of ParamRange."""
    from sim.config.schema import SCHEMA

    if not isinstance(params, Mapping) or not params:
        raise InputError(
            "params: expected at least one parameter range, e.g. "
            f"{{'market.base_churn': (0.002, 0.01)}} or {flag} market.base_churn=0.002:0.01"
        )
    out = []
    for name, bounds in params.items():
        if not isinstance(name, str):
            raise InputError(f"{flag} {name!r}: a parameter name must be a dotted string")
        name = name.strip()
        if name not in SCHEMA:
            base.with_params({name: 0})  # raises the ScenarioError naming the closest valid name
        spec = SCHEMA[name]
        if name in ("scenario.name", "scenario.extends", "scenario.description"):
            raise InputError(f"{flag} {name}: cannot be swept")
        if isinstance(bounds, (tuple, list)) and bounds and bounds[0] == "choices":
            out.append(_choices(base, name, tuple(bounds[1:]), out, flag))
            continue
        if spec.type not in (int, float):
            raise InputError(
                f"{flag} {name}: {spec.expected()} cannot be swept over a range; "
                f"expected a list of values, e.g. {flag} {name}=a,b"
            )
        if name == "scenario.steps" and steps is not None:
            raise InputError(f"{flag} scenario.steps: has no effect with --steps; drop --steps to sweep the run length")
        if not isinstance(bounds, (tuple, list)) or len(bounds) != 2 or not all(is_number(b) for b in bounds):
            raise InputError(f"{flag} {name}={bounds!r}: expected a (low, high) pair of numbers")
        low, high = bounds
        if not all(math.isfinite(float(b)) for b in bounds):
            raise InputError(f"{flag} {name}={low}:{high}: expected finite bounds")
        if spec.type is int:
            if float(low) != int(low) or float(high) != int(high):
                raise InputError(f"{flag} {name}={low}:{high}: integer parameter, expected integer bounds")
            low, high = int(low), int(high)
        else:
            low, high = float(low), float(high)
        if not low < high:
            raise InputError(f"{flag} {name}={low}:{high}: expected LOW < HIGH")
        base.with_params({name: low})  # range checks: ScenarioError with the expected range
        base.with_params({name: high})
        if any(p.name == name for p in out):
            raise InputError(f"{flag} {name}: given twice")
        out.append(ParamRange(name, low, high, spec.type is int))
    return out


def _choices(base, name: str, values: tuple, seen: list, flag: str = "--param") -> ParamRange:
    """A list of values to sweep over, each a valid value of the parameter."""
    if len(values) < 2:
        raise InputError(f"{flag} {name}: expected at least two values, e.g. {name}=a,b")
    if len(set(map(str, values))) != len(values):
        raise InputError(f"{flag} {name}: a value is listed twice")
    for v in values:
        base.with_params({name: v})  # a ScenarioError naming what is expected
    if any(p.name == name for p in seen):
        raise InputError(f"{flag} {name}: given twice")
    return ParamRange(name, 0, len(values) - 1, True, tuple(values))


def design_points(ranges: list[ParamRange], design: str = "lhs", samples: int = 16, seed: int = 0) -> pd.DataFrame:
    """The design: one row per point, one column per parameter (integer parameters as int64)."""
    from scipy.stats import qmc

    d = len(ranges)
    if design == "grid":
        import itertools

        levels = [r.levels(samples) for r in ranges]
        size = math.prod(len(v) for v in levels)
        if size > MAX_GRID:
            raise InputError(
                f"--design grid: {samples} levels of {d} parameters make {size:,} points "
                f"(at most {MAX_GRID:,}); use fewer --samples, or --design lhs/sobol"
            )
        rows = list(itertools.product(*levels))
        data = {r.name: np.array([row[i] for row in rows]) for i, r in enumerate(ranges)}
    elif design in ("lhs", "sobol"):
        sampler = qmc.LatinHypercube(d, rng=seed) if design == "lhs" else qmc.Sobol(d, scramble=True, rng=seed)
        u = sampler.random(samples)
        data = {r.name: r.values(u[:, i]) for i, r in enumerate(ranges)}
    else:
        raise InputError(f"--design {design}: expected one of {', '.join(DESIGNS)}")
    df = pd.DataFrame(data)
    for r in ranges:
        if r.choices is None:
            df[r.name] = df[r.name].astype(np.int64 if r.integer else np.float64)
    return df


def custom_points(ranges: list[ParamRange], points: pd.DataFrame) -> pd.DataFrame:
    """A design given as a DataFrame (one column per parameter), checked against the ranges."""
    names = [r.name for r in ranges]
    missing = [n for n in names if n not in points.columns]
    extra = [c for c in points.columns if c not in names]
    if missing or extra:
        raise InputError(f"design: the columns must be the parameters {names}; missing {missing}, unexpected {extra}")
    df = points[names].reset_index(drop=True).copy()
    for r in ranges:
        if r.choices is not None:
            unknown = sorted(set(map(str, df[r.name])) - set(map(str, r.choices)))
            if unknown:
                raise InputError(f"design: {r.name}: values {unknown} not among {list(r.choices)}")
            continue
        col = df[r.name].to_numpy(dtype=float)
        if not np.all(np.isfinite(col)) or col.min() < r.low or col.max() > r.high:
            raise InputError(f"design: {r.name}: values outside [{r.low}, {r.high}]")
        if r.integer:
            if not np.all(col == np.rint(col)):
                raise InputError(f"design: {r.name}: integer parameter, expected integer values")
            df[r.name] = col.astype(np.int64)
        else:
            df[r.name] = col
    return df


def _number(text: str):
    import tomllib

    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return None
    return value if is_number(value) else None


def parse_param(text: str, flag: str = "--param") -> tuple[str, tuple]:
    """``"market.base_churn=0.002:0.01"`` -> ``("market.base_churn", (0.002, 0.01))``;
    ``"policy.customer_role=passive,active"`` -> ``("policy.customer_role", ("choices", "passive", "active"))``."""
    from sim.config.toml_io import parse_value

    example = f"e.g. {flag} market.base_churn=0.002:0.01 or {flag} policy.customer_role=passive,active"
    if "=" not in text:
        raise InputError(f"{flag} {text}: expected NAME=LOW:HIGH or NAME=a,b,c, {example}")
    name, rng = (s.strip() for s in text.split("=", 1))
    if "," in rng and ":" not in rng:
        values = tuple(parse_value(v.strip()) for v in rng.split(","))
        if not name or any(v == "" for v in values):
            raise InputError(f"{flag} {text}: expected NAME=a,b,c with no empty value, {example}")
        return name, ("choices", *values)
    parts = rng.split(":")
    if not name or len(parts) != 2:
        raise InputError(f"{flag} {text}: expected NAME=LOW:HIGH or NAME=a,b,c, {example}")
    low, high = (_number(p) for p in parts)
    if low is None or high is None:
        raise InputError(f"{flag} {text}: LOW and HIGH must be numbers, {example}")
    return name, (low, high)


def parse_params(texts, flag: str = "--param") -> dict[str, tuple]:
    """Several ``--param`` texts -> ``{name: (low, high)}``; a name given twice is refused."""
    out: dict[str, tuple] = {}
    for t in texts:
        name, bounds = parse_param(t, flag)
        if name in out:
            raise InputError(f"{flag} {name}: given twice")
        out[name] = bounds
    return out
