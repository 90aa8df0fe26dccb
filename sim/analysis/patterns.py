"""Does the model behave as theory says? Pattern-oriented modelling (Grimm et al. 2005) as a command.

Every lever, environment parameter and transfer channel declares, beside its definition, the
direction theory expects on the outcomes it should move (:class:`sim.config.params.Contrast` on a
lever, a process or a channel; ``Channel.ablation`` for switching a channel off) and the source that
says so. :func:`patterns` runs each contrast on common random numbers -- replication ``r`` of the low
and the high arm share their seed -- and judges each expectation by the paired 95 % interval of the
difference:

* ``PASS``: the interval excludes 0 on the expected side (for "no effect": it lies within the
  declared margin);
* ``FAIL``: the interval excludes 0 on the other side (for "no effect": it excludes the margin);
* ``n.s.``: the replications cannot tell (the interval straddles 0 or the margin).

    from sim import patterns
    res = patterns(reps=12)            # every declared expectation, each on its home scenario
    res.table; res.failed; res.write("outputs/patterns")

``python run.py patterns [SCENARIO] [--reps N] [--out DIR]`` prints the table, writes CSV, a forest
plot and a report, and exits with status 1 when an expectation fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.kpis import KPIS
from sim.analysis.stats import paired_difference
from sim.config.params import Contrast, Expect

PASS, FAIL, NOT_SIGNIFICANT, NOT_USED = "PASS", "FAIL", "n.s.", "not used"
LOOP_KEY = "market.voice_relationship"  # the relational-capital loop (Xie 2.(4))
LOOP_DRIVER = ("policy.crm_maturity", 1, 3)  # a knowledge policy whose effect the loop amplifies


@dataclass(frozen=True)
class Pattern:
    """One expectation to check: a contrast (low and high overrides) on a scenario, and an outcome."""

    kind: str  # "lever", "environment" or "channel"
    name: str  # what changes, e.g. "policy.crm_maturity 1 -> 3" or "customer_voice off"
    scenario: str
    low: tuple  # overrides of the first arm (a parameter's low value; a channel as it runs), (key, value) pairs
    high: tuple  # overrides of the second arm (the high value; the channel switched off)
    expect: Expect


def _pairs(d: dict) -> tuple:
    return tuple(sorted(d.items()))


def declared(scenario: str | None = None, only: Iterable[str] = ()) -> list[Pattern]:
    """Every declared expectation, each on its home scenario (or all on ``scenario``); with ``only``,
    those whose change names one of the given words (a parameter key or a channel name)."""
    from sim.engine.channels import CHANNELS
    from sim.engine.levers import LEVERS
    from sim.engine.schedule import COMPONENTS

    out: list[Pattern] = []

    def contrast(kind: str, c: Contrast) -> None:
        for e in c.expects:
            out.append(
                Pattern(
                    kind,
                    f"{c.key} {c.low} -> {c.high}",
                    scenario or c.scenario,
                    _pairs({c.key: c.low}),
                    _pairs({c.key: c.high}),
                    e,
                )
            )

    for lever in LEVERS:
        if lever.contrast is not None:
            contrast("lever", lever.contrast)
    for comp in COMPONENTS:
        for c in comp.contrasts:
            contrast("environment", c)
    for ch in CHANNELS:
        for c in ch.contrasts:
            contrast("channel", c)
        for e in ch.ablation:  # the channel as the scenario runs it, then switched off
            off = _pairs({f"channels.{ch.name}.rate": 0.0})
            out.append(Pattern("channel", f"{ch.name} off", scenario or ch.home, (), off, e))
    only = tuple(only)
    return [p for p in out if not only or any(word in p.name for word in only)]


def _uses(scenario, pattern: Pattern) -> bool:
    """Whether the scenario runs the channel of an ablation (enabled, with a positive rate and effort)."""
    if not pattern.name.endswith(" off"):
        return True
    from sim.engine.channels import BY_NAME

    ch = BY_NAME[pattern.name[: -len(" off")]]
    effort = 1.0 if ch.lever is None else float(scenario.get(ch.lever.key))
    rate = float(scenario.get(f"channels.{ch.name}.rate"))
    return ch.name in scenario.get("channels.enabled") and effort > 0 and rate > 0


def outcomes_of(result, names: Iterable[str]) -> dict[str, float]:
    """The outcomes of one run: a KPI from the summary, else the mean of a step-table column over the
    measured weeks."""
    steps = result.steps.iloc[1:]
    out = {}
    for name in names:
        if name in result.summary:
            out[name] = float(result.summary[name])
        elif name in steps:
            out[name] = float(steps[name].mean())
        else:
            raise KeyError(f"unknown outcome {name!r}: neither a KPI nor a step-table column")
    return out


def _task(task):
    """Worker: run one arm of one replication and return only its outcomes (small to pickle)."""
    from sim.experiments.simulate import run

    scenario, seed, steps, names = task
    return outcomes_of(run(scenario, seed=seed, steps=steps), names)


def verdict(low: float, high: float, sign: int, margin: float) -> str:
    """PASS, FAIL or n.s. for a paired interval [low, high] of an effect and the expected sign."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return NOT_SIGNIFICANT
    if sign == 0:
        if -margin <= low and high <= margin:
            return PASS
        return FAIL if (low > margin or high < -margin) else NOT_SIGNIFICANT
    if (sign > 0 and low > 0) or (sign < 0 and high < 0):
        return PASS
    if (sign > 0 and high < 0) or (sign < 0 and low > 0):
        return FAIL
    return NOT_SIGNIFICANT


@dataclass
class PatternsResult:
    """The verdict on every declared expectation (``table``) and the relational-capital loop gain."""

    table: pd.DataFrame
    loop: pd.DataFrame
    reps: int
    weeks: int | None
    params: dict = field(default_factory=dict)

    @property
    def failed(self) -> pd.DataFrame:
        return self.table[self.table["verdict"] == FAIL]

    @property
    def counts(self) -> dict[str, int]:
        return {v: int((self.table["verdict"] == v).sum()) for v in (PASS, FAIL, NOT_SIGNIFICANT, NOT_USED)}

    def text(self) -> str:
        from sim.present.report import patterns_text

        return patterns_text(self)

    def plot(self):
        from sim.present.plots import forest

        return forest(self.table)

    def write(self, out_dir: str | Path | None = None, command: str | None = None) -> Path:
        """CSV of the verdicts and the loop, a forest plot and report.html; returns the report's path."""
        from sim.experiments.folders import write_patterns

        return write_patterns(self, out_dir, command)


def patterns(
    scenario: str | None = None,
    reps: int = 12,
    steps: int | None = None,
    params: dict | None = None,
    executor="process",
    workers: int | None = None,
    progress: bool = True,
    dask_address: str | None = None,
    only: Iterable[str] = (),
    loop: bool = True,
) -> PatternsResult:
    """Check every declared expectation on paired replications.

    Args:
        scenario: run every contrast on this scenario (a name or path; e.g. your own variant of the
            model) instead of each contrast's home scenario; channels it does not use are "not used".
        reps: replications per arm (replication r of every arm shares its seed).
        steps: measured weeks (default: each scenario's).
        params: overrides applied to every arm (e.g. a smaller market to go faster).
        executor, workers, dask_address: where the runs execute (see ``sim.experiments.executors``).
        only: check only the expectations whose change names one of these words.
        loop: also measure the relational-capital loop's gain (four more arms).
    """
    from sim.config.loader import load_scenario
    from sim.config.schema import SCHEMA
    from sim.experiments.compare import run_many
    from sim.experiments.seeds import replication_seed
    from sim.io.errors import InputError, check_int

    reps = check_int(reps, "reps", 2, "paired replications per arm")
    params = dict(params or {})
    rows = declared(scenario, only)
    if not rows:
        raise InputError(f"only {', '.join(only)}: no declared expectation matches; expected a parameter or channel")
    base = {name: load_scenario(name) for name in {p.scenario for p in rows}}
    base = {name: sc.with_params(params) if params else sc for name, sc in base.items()}
    loop_scenario = scenario or "baseline"
    if loop_scenario not in base:
        sc = load_scenario(loop_scenario)
        base[loop_scenario] = sc.with_params(params) if params else sc
    on = float(base[loop_scenario].get(LOOP_KEY)) or float(SCHEMA[LOOP_KEY].default)
    driver_key, d_low, d_high = LOOP_DRIVER
    loop_arms = [_pairs({LOOP_KEY: v, driver_key: d}) for v in (0.0, on) for d in (d_low, d_high)] if loop else []

    def arm(sc: str, over: tuple) -> tuple:
        """An arm as the overrides that differ from its scenario: equal arms of two contrasts run once."""
        return sc, tuple((k, v) for k, v in over if base[sc].get(k) != v)

    arms: dict[tuple, list[str]] = {}  # (scenario, overrides) -> outcomes needed
    for p in rows:
        if _uses(base[p.scenario], p):
            for over in (p.low, p.high):
                arms.setdefault(arm(p.scenario, over), []).append(p.expect.outcome)
    for over in loop_arms:
        arms.setdefault(arm(loop_scenario, over), []).extend(["knowledge_gap", "retention_rate"])
    keys = list(arms)
    tasks = [
        (
            base[sc].with_params(dict(over)) if over else base[sc],
            replication_seed(r),
            steps,
            tuple(set(arms[(sc, over)])),
        )
        for sc, over in keys
        for r in range(reps)
    ]
    results = run_many(
        tasks,
        executor=executor,
        workers=workers,
        progress=progress,
        fn=_task,
        desc="patterns",
        dask_address=dask_address,
    )
    values = {key: results[i * reps : (i + 1) * reps] for i, key in enumerate(keys)}

    def arm_values(sc, over, outcome) -> np.ndarray:
        return np.array([v[outcome] for v in values[arm(sc, over)]], dtype=float)

    table = []
    for p in rows:
        row = {
            "kind": p.kind,
            "change": p.name,
            "scenario": p.scenario,
            "outcome": p.expect.outcome,
            "expected": {1: "+", -1: "-", 0: "0"}[p.expect.sign],
            "source": p.expect.source,
        }
        if not _uses(base[p.scenario], p):
            table.append(
                {
                    **row,
                    "effect": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "sd_base": np.nan,
                    "n": 0,
                    "verdict": NOT_USED,
                }
            )
            continue
        low, high = arm_values(p.scenario, p.low, p.expect.outcome), arm_values(p.scenario, p.high, p.expect.outcome)
        d = paired_difference(high, low)
        table.append(
            {
                **row,
                "effect": d["mean"],
                "ci_low": d["ci_low"],
                "ci_high": d["ci_high"],
                "sd_base": float(np.std(low, ddof=1)),
                "n": d["n"],
                "verdict": verdict(d["ci_low"], d["ci_high"], p.expect.sign, p.expect.margin),
            }
        )
    gain = _loop(arm_values, loop_scenario, loop_arms) if loop else pd.DataFrame()
    return PatternsResult(pd.DataFrame(table), gain, reps, steps, params)


def _loop(arm_values, scenario: str, arms: list[tuple]) -> pd.DataFrame:
    """The relational-capital loop's gain: how much more a knowledge policy (CRM maturity 1 -> 3) moves
    the knowledge gap and retention when relationships feed what customers share (Xie 2.(4)) than when
    the loop is cut: gain = effect with the loop / effect without - 1."""
    off_low, off_high, on_low, on_high = arms
    rows = []
    for outcome in ("knowledge_gap", "retention_rate"):
        without = paired_difference(arm_values(scenario, off_high, outcome), arm_values(scenario, off_low, outcome))
        with_loop = paired_difference(arm_values(scenario, on_high, outcome), arm_values(scenario, on_low, outcome))
        gain = with_loop["mean"] / without["mean"] - 1.0 if without["mean"] else np.nan
        rows.append(
            {
                "outcome": outcome,
                "effect_without_loop": without["mean"],
                "without_ci_low": without["ci_low"],
                "without_ci_high": without["ci_high"],
                "effect_with_loop": with_loop["mean"],
                "with_ci_low": with_loop["ci_low"],
                "with_ci_high": with_loop["ci_high"],
                "loop_gain": gain,
            }
        )
    return pd.DataFrame(rows)


def outcome_names() -> list[str]:
    """Every outcome an expectation may name: the KPIs, then the step-table columns."""
    from sim.engine.measures import STEP_COLUMNS

    return [*KPIS, *(c for c in STEP_COLUMNS if c not in KPIS)]
