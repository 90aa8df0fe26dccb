"""A sweep's plan: the validated inputs, the table of every run, and the fingerprints that make it resumable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.limits import check_work, run_hours
from sim.experiments.design import ParamRange, check_params, custom_points, design_points
from sim.experiments.seeds import replication_seed
from sim.io.errors import check_int


@dataclass
class Plan:
    """Everything a sweep needs, validated; nothing written yet."""

    command: str
    scenario: Any  # the base Scenario (with --set overrides)
    ranges: list[ParamRange]
    table: pd.DataFrame  # the design table (one row per run)
    steps: int | None
    identity: dict
    arguments: dict
    extra_files: dict[str, str] = field(default_factory=dict)  # written with the manifest
    policies: list | None = None  # robust: one scenario per value of the design's ``policy`` column

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.ranges]


def native(v):
    """A numpy or Python value as a plain int, float, bool or str (for scenarios and JSON)."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v)
    return str(v)


def design_table(points: pd.DataFrame, reps: int) -> pd.DataFrame:
    """One row per run: run_id, point, <parameters>, rep, seed (``run_id = point * reps + rep``)."""
    n = len(points)
    point = np.repeat(np.arange(n, dtype=np.int64), reps)
    rep = np.tile(np.arange(reps, dtype=np.int64), n)
    seeds = np.array([replication_seed(r) for r in range(reps)], dtype=np.int64)
    table = pd.DataFrame({"run_id": point * reps + rep, "point": point})
    for c in points.columns:
        table[c] = points[c].to_numpy()[point]
    table["rep"] = rep
    table["seed"] = seeds[rep]
    return table


def scenario_fingerprint(scenario) -> str:
    data = {
        "name": scenario.name,
        "description": scenario.description,
        "steps": scenario.steps,
        "params": scenario.flat(),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _design_hash(table: pd.DataFrame) -> str:
    return hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()


def code_version() -> str:
    """A fingerprint of the package's source (every ``.py`` file under ``sim/``), stored in the manifest."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def make_plan(
    scenario,
    params,
    design="lhs",
    samples=16,
    reps=1,
    steps=None,
    overrides=None,
    design_seed=0,
    command="sweep",
    arguments=None,
    identity_extra=None,
) -> Plan:
    """Validate the inputs and build the design table. Raises ScenarioError / InputError."""
    from sim.config.loader import load_scenario
    from sim.config.scenario import Scenario

    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if overrides:
        base = base.with_params(dict(overrides))
    reps = check_int(reps, "--reps", 1, "replications per design point")
    samples = check_int(samples, "--samples", 1, "design points, or grid levels per parameter")
    design_seed = check_int(design_seed, "design_seed", 0, "seed of the lhs / sobol design")
    if steps is not None:
        steps = check_int(steps, "--steps", 0, "weeks per run")
    ranges = check_params(base, params, steps)
    if isinstance(design, pd.DataFrame):
        points, design_name = custom_points(ranges, design), "custom"
    else:
        points, design_name = design_points(ranges, design, samples, design_seed), design
    check_work(run_hours(base, steps, reps, points), f"{command} of {len(points) * reps:,} runs")
    for values in points.itertuples(index=False):  # every point is a valid scenario
        base.with_params({r.name: native(v) for r, v in zip(ranges, values)})
    table = design_table(points, reps)
    identity = {
        "scenario": scenario_fingerprint(base),
        "params": [[r.name, *r.spec()] for r in ranges],
        "design": design_name,
        "samples": samples if design_name != "custom" else len(points),
        "reps": reps,
        "steps": steps,
        "design_seed": design_seed,
        **(identity_extra or {}),
        "design_sha256": _design_hash(table),
    }
    args = {
        "scenario": str(scenario) if not isinstance(scenario, Scenario) else scenario.name,
        "params": {r.name: r.spec() for r in ranges},
        "design": design_name,
        "samples": identity["samples"],
        "reps": reps,
        "steps": steps,
        "set": dict(overrides or {}),
        "design_seed": design_seed,
        **(arguments or {}),
    }
    return Plan(command, base, ranges, table, steps, identity, args)
