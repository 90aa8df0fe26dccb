"""Replications on common random numbers and scenario comparison.

    from sim.experiments.compare import run_many, compare
    cmp = compare(["baseline", "km", "crm", "ckm"], reps=8, steps=104)
    cmp.summary; cmp.differences; cmp.plot_timeseries(); cmp.write("outputs/my-comparison")

Seeds: replication ``r`` of *every* scenario runs with ``replication_seed(r)``
(:mod:`sim.experiments.seeds`) -- common random numbers, so differences between scenarios can be
estimated on pairs of runs that share their random start (same network, beliefs, customers) and
as much of their random path as the policies leave in step. Matplotlib is imported only when a
figure is drawn, so worker processes stay light.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis import payback
from sim.analysis.scorecard import rescore
from sim.analysis.stats import mean_interval, paired_difference, welch_interval
from sim.config import variants
from sim.config.limits import check_work, run_hours
from sim.config.scenario import Scenario
from sim.experiments.executors import check_executor, open_executor, run_tasks
from sim.experiments.seeds import replication_seed
from sim.experiments.simulate import RUN_KEYS, tidy
from sim.io.errors import InputError, check_int

# summary keys that are not KPIs, and an alias of "clv" left out of the statistics
_NOT_KPIS = (*RUN_KEYS, "own_score")
Task = tuple  # (scenario: Scenario | str | Path, seed: int, steps: int | None)


# --- replications --------------------------------------------------------------------------------


def run_task(task: Task):
    """Run one (scenario, seed, steps) task: the top-level, importable function worker processes call."""
    from sim.experiments.simulate import run

    scenario, seed, steps = task
    return run(scenario, seed=seed, steps=steps)


def describe_task(task) -> str:
    """How a failed task is named in its error."""
    try:
        scenario, seed, steps = task
        name = scenario.name if isinstance(scenario, Scenario) else str(scenario)
        return f"the run of scenario {name!r}, seed {seed}, steps {steps}"
    except (TypeError, ValueError):
        return f"the run of {repr(task)[:200]}"


def run_many(
    tasks: Iterable[Task],
    executor: str | Executor | None = "process",
    workers: int | None = None,
    progress: bool = True,
    *,
    fn: Callable[[Any], Any] = run_task,
    desc: str = "runs",
    return_exceptions: bool = False,
    dask_address: str | None = None,
) -> list:
    """Run tasks and return their results in task order, whichever executor runs them.

    Args:
        tasks: ``(scenario, seed, steps)`` tuples (anything ``fn`` accepts).
        executor: an executor spec of :func:`sim.experiments.executors.open_executor`: ``"process"``
            (the default), ``"none"`` (``None`` too), ``"dask"`` (with ``dask_address``), a Dask
            Client or any ``concurrent.futures.Executor`` (used, not shut down).
        workers: size of the process pool (default: all cores, at most one per task).
        progress: a tqdm bar on stderr.
        fn: a top-level (picklable) function of one task; default :func:`run_task` -> ``RunResult``.
        return_exceptions: a failed task gives its exception instead of stopping everything.
    """
    tasks = list(tasks)
    executor = "none" if executor is None else executor
    workers = check_executor(executor, workers, flag=lambda f: f"{f} =")
    with open_executor(executor, workers, dask_address, most=len(tasks)) as (ex, _, _):
        return run_tasks(
            ex,
            fn,
            tasks,
            failures="return" if return_exceptions else "raise",
            describe=describe_task,
            progress=progress,
            desc=desc,
        )


# --- comparison ----------------------------------------------------------------------------------


def kpi_columns(runs: pd.DataFrame) -> list[str]:
    return [c for c in runs.columns if c not in ("rep", *_NOT_KPIS) and pd.api.types.is_numeric_dtype(runs[c])]


def summarize_runs(runs: pd.DataFrame, names: Sequence[str], level: float = 0.95) -> pd.DataFrame:
    """Per scenario x KPI: mean, sd, n, ci_low, ci_high (t interval over replications)."""
    rows = []
    for name in names:
        r = runs.loc[runs["scenario"] == name]
        for kpi in kpi_columns(runs):
            rows.append({"scenario": name, "kpi": kpi, **mean_interval(r[kpi], level)})
    return pd.DataFrame(rows, columns=["scenario", "kpi", "mean", "sd", "n", "ci_low", "ci_high"])


def differences_to(runs: pd.DataFrame, names: Sequence[str], reference: str, level: float = 0.95) -> pd.DataFrame:
    """Each scenario minus the reference, per KPI: paired t interval (pairs = replications sharing a
    seed), the unpaired Welch interval for contrast, and the correlation of the pairs."""
    cols = [
        "scenario",
        "reference",
        "kpi",
        "difference",
        "n",
        "paired_sd",
        "paired_ci_low",
        "paired_ci_high",
        "welch_ci_low",
        "welch_ci_high",
        "excludes_zero",
        "correlation",
    ]
    ref = runs.loc[runs["scenario"] == reference].set_index("rep")
    rows = []
    for name in names:
        if name == reference:
            continue
        other = runs.loc[runs["scenario"] == name].set_index("rep")
        common = ref.index.intersection(other.index)
        for kpi in kpi_columns(runs):
            paired = paired_difference(
                other.loc[common, kpi].to_numpy(float), ref.loc[common, kpi].to_numpy(float), level
            )
            _, wlo, whi = welch_interval(other[kpi], ref[kpi], level)
            lo, hi = paired["ci_low"], paired["ci_high"]
            rows.append(
                {
                    "scenario": name,
                    "reference": reference,
                    "kpi": kpi,
                    "difference": paired["mean"],
                    "n": paired["n"],
                    "paired_sd": paired["sd"],
                    "paired_ci_low": lo,
                    "paired_ci_high": hi,
                    "welch_ci_low": wlo,
                    "welch_ci_high": whi,
                    "excludes_zero": bool(np.isfinite(lo) and (lo > 0 or hi < 0)),
                    "correlation": paired["correlation"],
                }
            )
    return pd.DataFrame(rows, columns=cols)


def scorecards_side_by_side(scenarios: Sequence[Scenario], summary: pd.DataFrame, yardstick: Scenario) -> pd.DataFrame:
    """The firm scorecard per scenario from the mean KPI values, all on one yardstick: kpi,
    perspective, the yardstick's target and weight, then ``<scenario>_mean`` and ``<scenario>_status``
    (against the yardstick's target). A scenario whose own scorecard weighs a KPI differently gets a
    ``<scenario>_own_weight`` column, so its own priorities stay visible beside the common scale."""
    from sim.analysis.scorecard import KPIS, build_scorecard

    means = summary.pivot(index="kpi", columns="scenario", values="mean")
    base = build_scorecard({k: means.loc[k, scenarios[0].name] for k in KPIS}, yardstick)
    out = base[["kpi", "perspective", "description", "unit", "direction", "target", "weight"]].copy()
    for sc in scenarios:
        card = build_scorecard({k: means.loc[k, sc.name] for k in KPIS}, yardstick)
        out[f"{sc.name}_mean"] = card["value"].to_numpy()
        out[f"{sc.name}_status"] = card["status"].to_numpy()
        own = np.array([float(sc.get(f"scorecard.kpi.{k}.weight")) for k in out["kpi"]])
        if not np.allclose(own, out["weight"].to_numpy()):
            out[f"{sc.name}_own_weight"] = own
    return out


@dataclass
class Comparison:
    """Scenarios compared over replications on common random numbers (tidy tables + figures)."""

    scenarios: list[Scenario]
    reference: str
    reps: int
    weeks: int
    seeds: list[int]
    params: dict
    runs: pd.DataFrame
    steps: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    scorecards: pd.DataFrame
    base_seed: int = 0
    executor: str = "process"
    yardstick: str = ""  # the scenario whose targets and weights score every scenario
    payback: pd.DataFrame = field(default_factory=pd.DataFrame)  # cumulative differences to the reference
    breakeven: pd.DataFrame = field(default_factory=pd.DataFrame)  # break-even week per scenario
    horizons: pd.DataFrame = field(default_factory=pd.DataFrame)  # value and rank at 1, 2, 5 years
    returns: pd.DataFrame = field(default_factory=pd.DataFrame)  # extra spend, extra value, return
    elapsed: float = 0.0
    created: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))

    @property
    def names(self) -> list[str]:
        return [sc.name for sc in self.scenarios]

    def __repr__(self) -> str:
        return (
            f"Comparison({', '.join(self.names)}; reference={self.reference!r}, reps={self.reps}, weeks={self.weeks})"
        )

    # figures
    def plot_timeseries(self, columns=None):
        from sim.present import plots

        return plots.timeseries(self.steps, columns)

    def plot_scorecard(self):
        from sim.present import plots

        return plots.scorecard_chart(self.runs)

    def plot_flows(self):
        from sim.present import plots

        return plots.flows(self.steps)

    def plot_payback(self):
        from sim.present import plots

        return plots.payback(self.payback, self.breakeven)

    def plot_differences(self, kpis=None):
        from sim.present import plots
        from sim.present.report import headline_kpis

        return plots.differences(self.differences, headline_kpis(self.differences["kpi"]) if kpis is None else kpis)

    def text(self) -> str:
        from sim.present.report import comparison_text

        return comparison_text(self)

    def meta(self) -> dict:
        from sim.present.report import versions

        return {
            "scenarios": self.names,
            "reference": self.reference,
            "reps": self.reps,
            "weeks": self.weeks,
            "seeds": self.seeds,
            "base_seed": self.base_seed,
            "params": self.params,
            "executor": self.executor,
            "yardstick": self.yardstick,
            "elapsed_s": round(self.elapsed, 3),
            "date": self.created,
            "version": versions(),
        }

    def write(self, out_dir: str | Path | None = None, command: str | None = None) -> Path:
        """Write tables (Parquet + CSV), each scenario as TOML, meta.json, PNGs and report.html (last).
        Returns the report's path."""
        from sim.experiments.folders import write_comparison

        return write_comparison(self, out_dir, command)


@dataclass
class _Plan:
    scenarios: list[Scenario]
    reference: str
    reps: int
    weeks: int
    params: dict
    yardstick: Scenario | None = None


def plan_comparison(
    scenarios,
    reps=10,
    steps=None,
    reference=None,
    params=None,
    workers=None,
    cli: bool = False,
    executor="process",
    weights=None,
    vary=None,
) -> _Plan:
    """Check every input of :func:`compare` and load the scenarios; raises before any run.

    ``cli`` words the messages with the command's flags (``--reps``) instead of argument names.
    """
    flag = (lambda f: f"--{f}") if cli else (lambda f: f"{f} =")
    reps = check_int(reps, flag("reps"), 1, "replications per scenario")
    if steps is not None:
        steps = check_int(steps, flag("steps"), 0, "weeks to simulate")
    check_executor(executor, workers, flag)
    if isinstance(scenarios, (str, Path, Scenario)):
        scenarios = [scenarios]
    scenarios = list(scenarios or [])
    if not scenarios:
        raise InputError("no scenarios: expected at least one scenario name or path")
    given = [s if isinstance(s, Scenario) else str(s) for s in scenarios]
    seen = set()
    for g in given:
        if isinstance(g, str):
            if g in seen:
                raise InputError(f"scenario {g!r} given twice: expected each scenario once")
            seen.add(g)
    if vary is not None:
        key, values = vary
        loaded = variants.vary(scenarios, key, values)
        given = [sc.name for sc in loaded]
    else:
        loaded = [variants.load_variant(s) for s in scenarios]
    names = [sc.name for sc in loaded]
    for i, name in enumerate(names):
        if name in names[:i]:
            j = names.index(name)
            raise InputError(
                f"two scenarios are named {name!r} ({_shown(given[j])} and {_shown(given[i])}): "
                "expected distinct scenario names"
            )
    params = dict(params or {})
    if params:
        loaded = [sc.with_params(params) for sc in loaded]
    if reference is None:
        reference = names[0]
    else:
        ref = str(reference)
        if ref not in names:
            matches = [n for n, g in zip(names, given) if isinstance(g, str) and g == ref]
            if not matches:
                raise InputError(
                    f"{flag('reference')} {ref!r}: not among the compared scenarios; expected one of "
                    + ", ".join(names)
                )
            ref = matches[0]
        reference = ref
    if steps is None:
        horizons = {sc.name: sc.steps for sc in loaded}
        if len(set(horizons.values())) > 1:
            shown = ", ".join(f"{n} {w}" for n, w in horizons.items())
            raise InputError(
                f"the scenarios run for different numbers of weeks ({shown}): expected the same; set {flag('steps')} N"
            )
        steps = next(iter(horizons.values()))
    yardstick = loaded[names.index(reference)] if weights is None else _yardstick(weights, names, loaded, params)
    hours = sum(run_hours(sc, steps, reps) for sc in loaded)
    check_work(hours, f"comparing {len(loaded)} scenarios x {reps} replications")
    return _Plan(loaded, reference, reps, int(steps), params, yardstick)


def _yardstick(weights, names: list[str], loaded: list[Scenario], params: dict) -> Scenario:
    """The scenario whose scorecard scores them all: one of the compared scenarios by name, or any
    scenario name or file (its targets and weights)."""
    if isinstance(weights, str) and weights in names:
        return loaded[names.index(weights)]
    sc = variants.load_variant(weights)
    return sc.with_params(params) if params else sc


def _shown(g) -> str:
    return repr(g.path or g.name) if isinstance(g, Scenario) else repr(g)


def compare(
    scenarios,
    reps: int = 10,
    steps: int | None = None,
    reference: str | None = None,
    params: dict | None = None,
    executor: str | Executor = "process",
    workers: int | None = None,
    progress: bool = True,
    base_seed: int = 0,
    dask_address: str | None = None,
    weights=None,
    vary=None,
) -> Comparison:
    """Run every scenario ``reps`` times on common random numbers and compare them.

    Args:
        scenarios: names, paths or ``Scenario`` objects (distinct names).
        reps: replications per scenario; replication r uses ``replication_seed(r, base_seed)``.
        steps: weeks per run (default: the scenarios' own, which must agree).
        reference: the scenario the others are compared with (default: the first).
        params: dotted overrides applied to every scenario, validated before any run.
        executor, workers, dask_address, progress: see :func:`run_many`.
        weights: the scorecard every scenario is scored on (a scenario name or file; default: the
            reference's), so the ranking does not depend on which scenario is listed first.
        vary: ``(key, [values])``: each scenario once per value (``NAME:key=value``).

    Scenarios may be written inline: ``"crm:policy.crm_maturity=3,policy.loyalty_scheme=0.3"``.
    """
    plan = plan_comparison(
        scenarios, reps, steps, reference, params, workers, executor=executor, weights=weights, vary=vary
    )
    base_seed = check_int(base_seed, "base_seed =", 0, "seed of the replication seeds")
    return run_comparison(plan, executor, workers, progress, base_seed, dask_address)


def run_comparison(
    plan: _Plan, executor, workers, progress: bool, base_seed: int, dask_address: str | None = None
) -> Comparison:
    """Run a checked plan (see :func:`plan_comparison`) and build the comparison's tables."""
    seeds = [replication_seed(r, base_seed) for r in range(plan.reps)]
    keys = [(sc.name, r) for sc in plan.scenarios for r in range(plan.reps)]
    tasks = [(sc, seeds[r], plan.weeks) for sc in plan.scenarios for r in range(plan.reps)]
    t0 = time.perf_counter()
    results = run_many(
        tasks, executor=executor, workers=workers, progress=progress, desc="compare", dask_address=dask_address
    )
    elapsed = time.perf_counter() - t0
    names = [sc.name for sc in plan.scenarios]
    runs, steps_df = tidy(results, keys)
    yardstick = plan.yardstick or plan.scenarios[names.index(plan.reference)]
    runs = rescore(runs, yardstick)
    summary = summarize_runs(runs, names)
    annual = float(yardstick.get("market.annual_discount_rate"))
    pay = payback.payback(steps_df, names, plan.reference, annual)
    horizons = payback.horizon_values(steps_df, names, annual)
    return Comparison(
        scenarios=plan.scenarios,
        reference=plan.reference,
        reps=plan.reps,
        weeks=plan.weeks,
        seeds=seeds,
        params=plan.params,
        runs=runs,
        steps=steps_df,
        summary=summary,
        differences=differences_to(runs, names, plan.reference),
        scorecards=scorecards_side_by_side(plan.scenarios, summary, yardstick),
        base_seed=base_seed,
        executor=executor if isinstance(executor, str) else type(executor).__name__,
        elapsed=elapsed,
        yardstick=yardstick.name,
        payback=pay,
        breakeven=payback.breakeven(pay),
        horizons=horizons,
        returns=payback.returns(pay, horizons, plan.reference),
    )
