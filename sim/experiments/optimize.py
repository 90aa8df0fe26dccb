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

import numpy as np
import pandas as pd

from sim.analysis.kpis import KPIS
from sim.config import variants
from sim.config.limits import MAX_TRIALS, check_work, run_hours
from sim.experiments.design import ParamRange, check_params, parse_param
from sim.experiments.plan import native
from sim.experiments.seeds import replication_seed
from sim.io.errors import InputError, check_int

STUDY = "study.db"
ARGS = "optimize.json"
CONFIRM = 4  # re-evaluate the best trials with this many times the replications
MAX_BEST = 5  # best trials re-evaluated and written as scenario files, at most


FLAG = "--lever"


def suggest(r: ParamRange, trial):
    """Optuna's suggestion for one lever: one of its choices, an integer or a float in its range."""
    if r.choices is not None:
        return trial.suggest_categorical(r.name, list(r.choices))
    if r.integer:
        return trial.suggest_int(r.name, int(r.low), int(r.high))
    return trial.suggest_float(r.name, float(r.low), float(r.high))


def parse_lever(text: str) -> tuple[str, tuple]:
    """``KEY=LOW:HIGH`` or ``KEY=a,b,c``, parsed as a sweep's ``--param`` is."""
    return parse_param(text, FLAG)


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
        levers: ``{key: (low, high)}`` or ``{key: ("choices", a, b, ...)}``, checked as a sweep's ranges.
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
    ranges = check_params(base, levers, steps, FLAG)
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
    runs = trials * reps + MAX_BEST * reps * CONFIRM  # the study, then the best trials confirmed
    check_work(run_hours(base, steps, runs), f"optimize: {trials:,} trials x {reps} replications")
    workers = check_executor(executor, workers)
    folder = prepare(out if out is not None else default_dir("optimize", [base.name]), "optimize").resolve()
    arguments = {
        "scenario": base.name,
        "levers": {r.name: r.spec() for r in ranges},
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
    from sim.experiments.executors import cpus

    batch = 1 if executor in ("none", None) else (workers or cpus())  # one trial per worker at a time
    while (done := len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))) < trials:
        asked = [study.ask() for _ in range(min(batch, trials - done))]
        settings = [{r.name: suggest(r, t) for r in ranges} for t in asked]
        tasks = [(base.with_params(s), seeds, steps) for s in settings]
        results = run_many(tasks, executor=executor, workers=workers, progress=False, fn=evaluate,
                           dask_address=dask_address)  # fmt: skip
        for trial, res in zip(asked, results):
            trial.set_user_attr("spend", res["spend"])
            if budget is not None:
                trial.set_constraint("budget", res["spend"] - budget)
            for k in KPIS:
                trial.set_user_attr(k, res[k])
            study.tell(trial, [res[k] for k, _ in objs])
        if progress:
            import sys

            print(f"optimize: {done + len(asked)}/{trials} trials", file=sys.stderr, flush=True)
    table = trials_table(study, objs, budget)
    best = _confirm(base, table, objs, ranges, reps, steps, executor, workers, dask_address, folder)
    return OptimizeResult(folder, objs, table, best, budget)


def trials_table(study, objs, budget: float | None = None) -> pd.DataFrame:
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
        spend = t.user_attrs.get("spend")
        row.update(spend=spend, feasible=budget is None or spend <= budget)
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
    settings = [{r.name: native(row[r.name]) for r in ranges} for _, row in best.iterrows()]
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
