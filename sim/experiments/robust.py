"""Robustness across futures: which policy does well whatever the environment turns out to be?

Decision-making under deep uncertainty as in the EMA workbench (Kwakkel 2017): every policy (a
scenario, or a variant ``NAME:key=value,...``) is run in the same sampled futures -- a Latin hypercube
over uncertain environment and market parameters -- with common random numbers (future f,
replication r: the same seed for every policy). Per KPI: the mean and worst case over the futures,
the regret of each policy in each future against the best policy in that future, and the share of
futures in which the policy meets the scorecard's target (satisficing). Scenario discovery with PRIM
(the EMA workbench's) finds the futures where a policy fails its target; feature scoring (extra
trees) ranks the uncertainties by how much they move a KPI.

    from sim import robust
    res = robust(["baseline", "crm", "ckm"], {"environment.turbulence": (0.5, 3.0)}, futures=16)
    res.summary; res.regret; res.winners; res.prim; res.write_report()

The runs are stored like a sweep (Parquet parts, DuckDB, resumable: the same command started again
finishes only what is missing) through the one executor interface.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.kpis import KPIS
from sim.config import variants
from sim.config.limits import check_work, run_hours
from sim.experiments.design import ParamRange, check_params, design_points
from sim.experiments.plan import Plan, _design_hash, scenario_fingerprint
from sim.experiments.seeds import replication_seed
from sim.io.errors import InputError, check_int

HEADLINE = ("value", "retention_rate", "satisfaction_mean", "knowledge_gap")
MAX_RUNS = 100_000  # policies x futures x replications, at most


# --- pure functions of a (policy x future) table of KPI values -----------------------------------


def future_means(runs: pd.DataFrame, kpis) -> pd.DataFrame:
    """Mean of each KPI over the replications of each (policy, future); failed runs left out."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    return ok.groupby(["policy", "future"], as_index=False)[list(kpis)].mean()


def regret(table: pd.DataFrame, kpi: str, direction: str = "higher") -> pd.Series:
    """Regret of each row's policy in its future: how much worse it is than the best policy in that
    future (0 for the best; >= 0). ``table`` has ``future`` and the KPI, one row per policy x future."""
    values = table[kpi]
    best = values.groupby(table["future"]).transform("max" if direction == "higher" else "min")
    return (best - values) if direction == "higher" else (values - best)


def meets(values: pd.Series, target: float, direction: str = "higher") -> pd.Series:
    """Whether each value meets its target (at least it, or at most it for lower-is-better KPIs)."""
    return values >= target if direction == "higher" else values <= target


def robustness(table: pd.DataFrame, kpis, targets: dict, directions: dict) -> pd.DataFrame:
    """Per policy and KPI: mean, worst case, maximum and mean regret, and the share of futures meeting
    the target (satisficing)."""
    rows = []
    for kpi in kpis:
        direction = directions[kpi]
        t = table.assign(regret=regret(table, kpi, direction), ok=meets(table[kpi], targets[kpi], direction))
        for policy, g in t.groupby("policy", sort=True):
            worst = g[kpi].min() if direction == "higher" else g[kpi].max()
            rows.append(
                {"policy": policy, "kpi": kpi, "direction": direction, "target": targets[kpi],
                 "mean": g[kpi].mean(), "worst": worst, "max_regret": g["regret"].max(),
                 "mean_regret": g["regret"].mean(), "satisficing": g["ok"].mean()}
            )  # fmt: skip
    return pd.DataFrame(rows)


def winners(table: pd.DataFrame, kpi: str, direction: str = "higher") -> pd.DataFrame:
    """The row of the best policy in each future on one KPI."""
    best = table.groupby("future")[kpi].agg("idxmax" if direction == "higher" else "idxmin")
    return table.loc[best.to_numpy()]


def discover(x: pd.DataFrame, failed: np.ndarray, threshold: float = 0.8) -> dict | None:
    """PRIM (EMA workbench) on the futures where a policy fails: the box of uncertain values that holds
    them (limits, coverage, density), or None when it never or always fails."""
    if failed.sum() == 0 or failed.all():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the workbench warns about optional evaluators it does not need here
        from ema_workbench.analysis import prim

        box = prim.Prim(x.reset_index(drop=True), np.asarray(failed, dtype=bool), threshold=threshold).find_box()
    limits = box.box_lims[-1]
    restricted = {c: (float(limits.loc[0, c]), float(limits.loc[1, c])) for c in x.columns}
    return {"limits": restricted, "coverage": float(box.coverage), "density": float(box.density)}


def feature_scores(x: pd.DataFrame, outcomes: dict[str, np.ndarray]) -> pd.DataFrame:
    """How much each uncertainty moves each KPI (EMA workbench feature scoring, extra trees)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import feature_scoring

        # a third of the uncertainties per split, as the workbench's default, but at least one
        # (its default rounds one or two uncertainties down to none); a fixed seed keeps reports stable
        per_split = max(1, round(x.shape[1] / 3))
        return feature_scoring.get_feature_scores_all(
            x.reset_index(drop=True), outcomes, max_features=per_split, random_state=0
        )


# --- planning and running ------------------------------------------------------------------------


def plan_robust(policies, uncertain, futures=16, reps=1, steps=None, params=None, design_seed=0) -> Plan:
    """Validate the inputs and build the run table (policy x future x replication); raises before any
    run. Every policy in future f, replication r, gets the seed ``replication_seed(f * reps + r)``."""
    if isinstance(policies, (str, Path)):
        policies = [policies]
    policies = list(policies or [])
    if len(policies) < 1:
        raise InputError("no policies: expected at least one scenario name, file or NAME:key=value,... variant")
    futures = check_int(futures, "--futures", 2, "sampled futures")
    reps = check_int(reps, "--reps", 1, "replications per policy and future")
    if steps is not None:
        steps = check_int(steps, "--steps", 1, "weeks per run")
    loaded = [variants.load_variant(p) for p in policies]
    if params:
        loaded = [sc.with_params(dict(params)) for sc in loaded]
    names = [sc.name for sc in loaded]
    if len(set(names)) != len(names):
        raise InputError(f"policies {', '.join(names)}: a policy is named twice; expected distinct names")
    ranges = check_params(loaded[0], uncertain, steps, "--uncertain")
    for sc in loaded[1:]:
        check_params(sc, uncertain, steps, "--uncertain")
    n_runs = len(loaded) * futures * reps
    if n_runs > MAX_RUNS:
        raise InputError(
            f"{n_runs:,} runs ({len(loaded)} policies x {futures} futures x {reps} reps): at most {MAX_RUNS:,}"
        )
    points = design_points(ranges, "lhs", futures, design_seed)
    hours = sum(run_hours(sc, steps, reps, points) for sc in loaded)
    check_work(hours, f"robust of {len(loaded) * len(points) * reps:,} runs")
    P, F = len(loaded), futures
    policy = np.repeat(np.arange(P), F * reps)
    future = np.tile(np.repeat(np.arange(F), reps), P)
    rep = np.tile(np.arange(reps), P * F)
    table = pd.DataFrame({"run_id": np.arange(P * F * reps, dtype=np.int64),
                          "point": (policy * F + future).astype(np.int64),
                          "policy": policy.astype(np.int64), "future": future.astype(np.int64)})  # fmt: skip
    for r in ranges:
        table[r.name] = points[r.name].to_numpy()[future]
    table["rep"] = rep.astype(np.int64)
    table["seed"] = np.array([replication_seed(int(f) * reps + int(k)) for f, k in zip(future, rep)], dtype=np.int64)
    all_ranges = [ParamRange("policy", 0, P - 1, True), ParamRange("future", 0, F - 1, True), *ranges]
    identity = {
        "policies": [scenario_fingerprint(sc) for sc in loaded],
        "uncertain": [[r.name, *r.spec()] for r in ranges],
        "futures": futures,
        "reps": reps,
        "steps": steps,
        "design_seed": design_seed,
        "design_sha256": _design_hash(table),
    }
    arguments = {"policies": names, "uncertain": {r.name: r.spec() for r in ranges}, "futures": futures,
                 "reps": reps, "steps": steps, "set": dict(params or {}), "design_seed": design_seed}  # fmt: skip
    extra = {"policies.toml": "\n".join(f"# policy {i}: {sc.name}\n{sc.to_toml()}" for i, sc in enumerate(loaded))}
    return Plan("robust", loaded[0], all_ranges, table, steps, identity, arguments, extra, policies=loaded)


def robust(
    policies,
    uncertain: dict,
    futures: int = 16,
    reps: int = 1,
    steps: int | None = None,
    params: dict | None = None,
    out=None,
    executor="process",
    workers: int | None = None,
    dask_address: str | None = None,
    progress: bool = True,
    design_seed: int = 0,
) -> RobustResult:
    """Evaluate every policy on the same sampled futures with common random numbers.

    Args:
        policies: scenario names, files or inline variants ``NAME:key=value,...``.
        uncertain: ``{dotted.key: (low, high)}`` of environment and market parameters to sample.
        futures: Latin-hypercube futures; reps: replications per policy and future.
        steps, params: weeks per run; overrides applied to every policy.
        out, executor, workers, dask_address, progress: as for :func:`sim.sweep` (resumable).
    """
    from sim.experiments.execute import execute

    plan = plan_robust(policies, uncertain, futures, reps, steps, params, design_seed)
    result = execute(plan, executor, out, workers, dask_address, progress)
    return RobustResult(Path(result.folder), [sc.name for sc in plan.policies], [r.name for r in plan.ranges[2:]],
                        plan.policies[0])  # fmt: skip


class RobustError(RuntimeError):
    """The runs cannot be analysed: none of them succeeded."""


@dataclass
class RobustResult:
    """The stored runs of a robust analysis and what they say (tables computed on first use)."""

    folder: Path
    policies: list[str]
    uncertain: list[str]
    yardstick: object  # the scenario whose scorecard targets define satisficing (the first policy)
    kpis: tuple[str, ...] = HEADLINE

    @cached_property
    def runs(self) -> pd.DataFrame:
        from sim.experiments.results import load_sweep

        runs = load_sweep(self.folder).runs
        if "status" in runs and not (runs["status"] == "ok").any():  # no KPI columns were ever written
            raise RobustError(f"all {len(runs)} runs failed; nothing to analyse; see the runs table in {self.folder}")
        runs["policy_name"] = [self.policies[int(p)] for p in runs["policy"]]
        return runs

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """One row per policy x future: the uncertain values and each KPI's mean over replications."""
        means = future_means(self.runs, KPIS)
        futures = self.runs.drop_duplicates("future").set_index("future")[self.uncertain]
        out = means.join(futures, on="future")
        out.insert(1, "policy_name", [self.policies[int(p)] for p in out["policy"]])
        return out

    def _targets(self):
        targets = {k: float(self.yardstick.get(f"scorecard.kpi.{k}.target")) for k in KPIS}
        directions = {k: self.yardstick.get(f"scorecard.kpi.{k}.direction") for k in KPIS}
        return targets, directions

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Per policy and KPI: mean, worst case, max and mean regret, satisficing share."""
        targets, directions = self._targets()
        s = robustness(self.outcomes, KPIS, targets, directions)
        s.insert(1, "policy_name", [self.policies[int(p)] for p in s["policy"]])
        return s

    @cached_property
    def winners(self) -> pd.DataFrame:
        """The best policy in each future on ``value`` (NPV + customer equity)."""
        _, directions = self._targets()
        best = winners(self.outcomes, "value", directions["value"])
        return best[["future", "policy", "policy_name", "value", *self.uncertain]]

    @cached_property
    def prim(self) -> pd.DataFrame:
        """Per policy: the PRIM box of the futures where it misses its value target (or none)."""
        targets, directions = self._targets()
        rows = []
        for p, g in self.outcomes.groupby("policy", sort=True):
            failed = ~meets(g["value"], targets["value"], directions["value"]).to_numpy()
            box = discover(g[self.uncertain], failed)
            limits = (
                "" if box is None else "; ".join(f"{k} in [{a:.3g}, {b:.3g}]" for k, (a, b) in box["limits"].items())
            )
            rows.append(
                {
                    "policy": self.policies[int(p)],
                    "futures_failing": int(failed.sum()),
                    "futures": len(g),
                    "box": limits,
                    "coverage": np.nan if box is None else box["coverage"],
                    "density": np.nan if box is None else box["density"],
                }
            )
        return pd.DataFrame(rows)

    @cached_property
    def features(self) -> pd.DataFrame:
        """Feature scores of the uncertainties on each headline KPI (all policies' futures pooled)."""
        t = self.outcomes
        return feature_scores(t[self.uncertain], {k: t[k].to_numpy() for k in self.kpis})

    def text(self) -> str:
        from sim.present.report import robust_text

        return robust_text(self)

    def plot_winners(self):
        from sim.present.plots import robust_winners

        return robust_winners(self.outcomes, self.winners, self.uncertain, self.policies)

    def write_report(self) -> Path:
        """Tables as CSV and report.html into the folder; returns the report's path."""
        from sim.experiments.folders import write_robust

        return write_robust(self)


def load_robust(folder: str | Path) -> RobustResult:
    """A finished robust analysis from its folder."""
    import json

    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    args = manifest["arguments"]
    first = variants.load_variant(args["policies"][0])
    if args.get("set"):
        first = first.with_params(args["set"])
    return RobustResult(folder, list(args["policies"]), list(args["uncertain"]), first)
