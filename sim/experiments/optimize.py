"""Searching lever settings with Optuna: which policy is best, and what does it cost?

Levers are searched within given ranges (``policy.co_creation=0:1``, integers ``policy.crm_maturity=1:3``,
categories ``policy.customer_role=passive,captive,active``) for one objective (the best trial) or
several (the Pareto front), each a KPI maximised or minimised (by default in its declared direction).
The noise of a stochastic model is handled by averaging ``reps`` replications on common random numbers:
every trial runs the same seeds, so trials differ by their levers, not by luck. ``budget`` caps the
yearly knowledge and policy spend (the levers' costs, ``sim.engine.ledger.POLICY_COSTS``) as an Optuna
constraint: over-budget trials are kept in the study but are never among the best.

The study lives in ``study.db`` (SQLite) inside the output folder: the same command started again after
a kill resumes it and runs only the trials still missing. Trials are evaluated in batches of one per
worker on the one executor interface. At the end the best trials are re-evaluated with four times the
replications and written as ready-to-run scenario files.

    from sim import optimize
    res = optimize("ckm", {"policy.co_creation": (0.0, 1.0)}, objectives=["value"], trials=20)
    res.best; res.trials; res.write_report()
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.kpis import KPIS
from sim.config import variants
from sim.experiments.seeds import replication_seed
from sim.io.errors import InputError, check_int

STUDY = "study.db"
ARGS = "optimize.json"
CONFIRM = 4  # re-evaluate the best trials with this many times the replications
MAX_BEST = 5  # best trials re-evaluated and written as scenario files, at most
MAX_TRIALS = 10_000


@dataclass(frozen=True)
class LeverRange:
    """A searched lever: a float or int range, or a list of choices."""

    key: str
    low: Any = None
    high: Any = None
    choices: tuple | None = None
    integer: bool = False

    def suggest(self, trial):
        if self.choices is not None:
            return trial.suggest_categorical(self.key, list(self.choices))
        if self.integer:
            return trial.suggest_int(self.key, int(self.low), int(self.high))
        return trial.suggest_float(self.key, float(self.low), float(self.high))


def parse_lever(text: str) -> tuple[str, tuple]:
    """``KEY=LOW:HIGH`` -> (key, (low, high)); ``KEY=a,b,c`` -> (key, (a, b, c)) choices."""
    from sim.config.toml_io import parse_value

    if "=" not in text:
        raise InputError(f"--lever {text}: expected KEY=LOW:HIGH or KEY=a,b,c, e.g. policy.co_creation=0:1")
    key, _, spec = (s.strip() for s in text.partition("="))
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 2:
            raise InputError(f"--lever {text}: expected KEY=LOW:HIGH, e.g. policy.co_creation=0:1")
        return key, ("range", parse_value(parts[0]), parse_value(parts[1]))
    values = tuple(parse_value(v.strip()) for v in spec.split(",") if v.strip())
    if len(values) < 2:
        raise InputError(f"--lever {text}: expected KEY=LOW:HIGH or at least two choices KEY=a,b")
    return key, ("choices", *values)


def lever_ranges(base, levers: dict) -> list[LeverRange]:
    """Check every lever against the scenario schema: a numeric range inside the parameter's range, or
    choices that are valid values."""
    from sim.config.schema import SCHEMA

    if not levers:
        raise InputError("no levers: expected at least one --lever KEY=LOW:HIGH")
    out = []
    for key, spec in levers.items():
        if key not in SCHEMA:
            base.with_params({key: 0})  # the ScenarioError naming the closest valid name
        p = SCHEMA[key]
        if not isinstance(spec, tuple) or not spec:
            raise InputError(f"--lever {key}: expected (low, high) or ('choices', a, b, ...)")
        if spec[0] == "choices":
            choices = spec[1:]
            for c in choices:
                base.with_params({key: c})  # valid values only
            out.append(LeverRange(key, choices=tuple(choices)))
            continue
        low, high = spec[1:] if spec[0] == "range" else spec
        if p.type not in (int, float):
            raise InputError(f"--lever {key}: {p.expected()}; give its choices as KEY=a,b,c")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)) or not low < high:
            raise InputError(f"--lever {key}={low}:{high}: expected numbers with LOW < HIGH")
        base.with_params({key: low})  # inside the parameter's own range
        base.with_params({key: high})
        if p.type is int and (low != int(low) or high != int(high)):
            raise InputError(f"--lever {key}={low}:{high}: integer lever, expected integer bounds")
        out.append(LeverRange(key, low, high, integer=p.type is int))
    return out


def parse_objective(text: str) -> tuple[str, str]:
    """``KPI`` or ``KPI:max`` / ``KPI:min`` -> (kpi, "maximize" | "minimize")."""
    kpi, _, how = text.partition(":")
    kpi = kpi.strip()
    if kpi not in KPIS:
        import difflib

        close = difflib.get_close_matches(kpi, list(KPIS), 1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(f"--objective {text}: unknown KPI, expected one of {', '.join(KPIS)}{hint}")
    if how and how not in ("max", "min"):
        raise InputError(f"--objective {text}: expected KPI, KPI:max or KPI:min")
    if not how:
        how = "max" if KPIS[kpi].direction == "higher" else "min"
    return kpi, "maximize" if how == "max" else "minimize"


def yearly_spend(steps: pd.DataFrame) -> float:
    """The knowledge and policy spend of a run per year (the levers' costs over the measured weeks)."""
    from sim.engine.ledger import POLICY_COSTS

    flow = steps.iloc[1:]
    years = max(len(flow), 1) / 52.0
    return float(flow[[c for c in POLICY_COSTS if c in flow]].to_numpy().sum()) / years


def evaluate(task) -> dict[str, float]:
    """Worker: run a setting on every seed; the mean of each KPI and of the yearly spend."""
    from sim.experiments.simulate import run

    scenario, seeds, steps = task
    rows = []
    for seed in seeds:
        res = run(scenario, seed=seed, steps=steps)
        rows.append({**{k: float(res.summary[k]) for k in KPIS}, "spend": yearly_spend(res.steps)})
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


@dataclass
class OptimizeResult:
    """The study's trials, the best (Pareto) trials re-evaluated, and where they were written."""

    folder: Path
    objectives: list[tuple[str, str]]
    trials: pd.DataFrame
    best: pd.DataFrame
    budget: float | None

    def text(self) -> str:
        from sim.present.report import optimize_text

        return optimize_text(self)

    def plot(self):
        from sim.present.plots import pareto

        return pareto(self.trials, self.objectives, self.best)

    def write_report(self) -> Path:
        from sim.experiments.folders import write_optimize

        return write_optimize(self)


def _sampler(seed: int):
    """TPE; the budget reaches it through ``Trial.set_constraint`` (feasible when <= 0)."""
    import optuna

    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=8)


def _check_same(folder: Path, arguments: dict) -> None:
    """A folder holding another optimization is refused; the same one is resumed."""
    path = folder / ARGS
    if path.exists():
        stored = json.loads(path.read_text())
        if stored != arguments:
            changed = sorted(k for k in arguments if stored.get(k) != arguments[k])
            raise InputError(
                f"--out {folder}: holds another optimization ({', '.join(changed)} differ); use another "
                "--out folder, or repeat the original command to resume it"
            )
    elif any(p.name != ".write-test" for p in folder.iterdir()):
        raise InputError(f"--out {folder}: not empty and holds no optimization; expected a new or empty folder")


def optimize(
    scenario,
    levers: dict,
    objectives=("value",),
    budget: float | None = None,
    trials: int = 30,
    reps: int = 2,
    steps: int | None = None,
    params: dict | None = None,
    out=None,
    executor="process",
    workers: int | None = None,
    dask_address: str | None = None,
    progress: bool = True,
    seed: int = 0,
) -> OptimizeResult:
    """Search the levers for the best setting(s) of the objectives.

    Args:
        scenario: the base scenario (name, file or ``NAME:key=value,...``).
        levers: ``{key: (low, high)}`` or ``{key: ("choices", a, b, ...)}``.
        objectives: KPI names, optionally ``"kpi:max"`` / ``"kpi:min"``; several: a Pareto front.
        budget: at most this yearly knowledge and policy spend (an Optuna constraint).
        trials: trials in the study in all (a resumed study runs only the missing ones).
        reps: replications per trial, on the same seeds for every trial.
        steps, params, out, executor, workers, dask_address, progress: as for :func:`sim.compare`.
        seed: the sampler's seed.
    """
    import optuna

    from sim.experiments.compare import run_many
    from sim.experiments.executors import check_executor
    from sim.io.outputs import default_dir, prepare, write_json

    base = variants.load_variant(scenario)
    if params:
        base = base.with_params(dict(params))
    ranges = lever_ranges(base, levers)
    objs = [parse_objective(o) if isinstance(o, str) else tuple(o) for o in objectives] or [("value", "maximize")]
    trials = check_int(trials, "--trials", 1, "trials in the study")
    if trials > MAX_TRIALS:
        raise InputError(f"--trials {trials}: at most {MAX_TRIALS:,}")
    reps = check_int(reps, "--reps", 1, "replications per trial")
    seed = check_int(seed, "--seed", 0, "seed of the sampler")
    if steps is not None:
        steps = check_int(steps, "--steps", 1, "weeks per run")
    if budget is not None and not (isinstance(budget, (int, float)) and np.isfinite(budget) and budget >= 0):
        raise InputError(f"--budget {budget}: expected a finite amount >= 0")
    workers = check_executor(executor, workers)
    folder = prepare(out if out is not None else default_dir("optimize", [base.name]), "optimize").resolve()
    arguments = {
        "scenario": base.name,
        "levers": {r.key: list(r.choices) if r.choices else [r.low, r.high] for r in ranges},
        "objectives": [list(o) for o in objs],
        "budget": budget,
        "reps": reps,
        "steps": steps,
        "set": dict(params or {}),
        "seed": seed,
    }
    _check_same(folder, arguments)
    write_json(folder / ARGS, arguments)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    study = optuna.create_study(
        study_name="optimize",
        storage=f"sqlite:///{folder / STUDY}",
        load_if_exists=True,
        directions=[d for _, d in objs],
        sampler=_sampler(seed),
    )
    from optuna.trial import TrialState

    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):  # left by a killed run
        study.tell(t.number, state=TrialState.FAIL)
    seeds = [replication_seed(r) for r in range(reps)]
    batch = max(1, workers or 1) if executor not in ("none", None) else 1
    if executor == "process" and workers is None:
        from sim.experiments.executors import cpus

        batch = cpus()
    while (done := len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))) < trials:
        asked = [study.ask() for _ in range(min(batch, trials - done))]
        settings = [{r.key: r.suggest(t) for r in ranges} for t in asked]
        tasks = [(base.with_params(s), seeds, steps) for s in settings]
        results = run_many(tasks, executor=executor, workers=workers, progress=False, fn=evaluate,
                           dask_address=dask_address)  # fmt: skip
        for trial, res in zip(asked, results):
            trial.set_user_attr("spend", res["spend"])
            trial.set_user_attr("constraint", 0.0 if budget is None else res["spend"] - budget)
            if budget is not None:
                trial.set_constraint("budget", res["spend"] - budget)
            for k in KPIS:
                trial.set_user_attr(k, res[k])
            study.tell(trial, [res[k] for k, _ in objs])
        if progress:
            import sys

            print(f"optimize: {done + len(asked)}/{trials} trials", file=sys.stderr, flush=True)
    table = trials_table(study, objs)
    best = _confirm(base, table, objs, ranges, reps, steps, executor, workers, dask_address, folder)
    return OptimizeResult(folder, objs, table, best, budget)


def trials_table(study, objs) -> pd.DataFrame:
    """One row per complete trial: its levers, objectives, spend, feasibility and whether it is best."""
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    try:  # optuna's best trials are the feasible ones; with none feasible there is no best
        best = {t.number for t in study.best_trials}
    except ValueError:
        best = set()
    rows = []
    for t in done:
        row = {"trial": t.number, **t.params}
        row.update({k: v for k, v in zip((k for k, _ in objs), t.values)})
        row.update(spend=t.user_attrs.get("spend"), feasible=t.user_attrs.get("constraint", 0.0) <= 0.0)
        row["best"] = t.number in best and row["feasible"]
        rows.append(row)
    return pd.DataFrame(rows)


def _confirm(base, table, objs, ranges, reps, steps, executor, workers, dask_address, folder) -> pd.DataFrame:
    """Re-evaluate the best feasible trials with more replications and write each as a scenario file."""
    from sim.experiments.compare import run_many
    from sim.io.outputs import atomic_write_text

    best = table[table["best"]]
    if len(objs) == 1:
        key, direction = objs[0]
        best = best.sort_values(key, ascending=direction == "minimize")
    best = best.head(MAX_BEST)
    if best.empty:
        return best.assign(scenario_file=pd.Series(dtype=str))
    seeds = [replication_seed(r) for r in range(reps * CONFIRM)]
    settings = [{r.key: _native(row[r.key]) for r in ranges} for _, row in best.iterrows()]
    results = run_many([(base.with_params(s), seeds, steps) for s in settings], executor=executor, workers=workers,
                       progress=False, fn=evaluate, dask_address=dask_address)  # fmt: skip
    out = best.copy()
    files = []
    for i, (s, res) in enumerate(zip(settings, results), 1):
        for k, _ in objs:
            out.loc[out.index[i - 1], f"{k}_confirmed"] = res[k]
        out.loc[out.index[i - 1], "spend_confirmed"] = res["spend"]
        name = f"{base.name}-optimized-{i}"
        shown = ", ".join(f"{k} = {v}" for k, v in s.items())
        sc = base.with_params(s).renamed(name, f"{base.description} Optimized ({shown}).")
        path = folder / f"{name.replace(':', '_').replace('=', '_')}.toml"
        atomic_write_text(path, sc.to_toml())
        files.append(path.name)
    out["scenario_file"] = files
    return out


def _native(v):
    return v.item() if isinstance(v, np.generic) else v
