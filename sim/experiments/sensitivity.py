"""Global sensitivity analysis of a KPI with SALib (Sobol' or Morris), run through the sweep machinery.

    from sim import sensitivity
    sa = sensitivity("baseline", {"market.base_churn": (0.002, 0.01),
                                  "policy.codification": (0.0, 0.8)},
                     kpi="retention_rate", method="sobol", samples=64, steps=52)
    sa.indices      # parameter, S1, S1_conf, ST, ST_conf   (Morris: mu, mu_star, mu_star_conf, sigma)
    sa.plot()       # bar chart with confidence intervals
    sa.problem      # the SALib problem dict

* Sobol': Saltelli's scheme (``SALib.sample.sobol.sample``, ``calc_second_order=False``): ``N * (D + 2)``
  model evaluations; first-order and total indices with bootstrap confidence intervals.
* Morris: ``N`` trajectories of ``D + 1`` points on a ``num_levels`` grid; ``mu_star`` (mean
  absolute elementary effect), its confidence interval, and ``sigma``.

The sample is run as a sweep with a custom design (one design point per sample row, ``reps``
replications each on common random numbers; the KPI is averaged over the replications), so the
folder is a sweep results store (``python run.py query``) and resumes like one. Beside it:
``problem.json`` (the SALib problem, the method and its settings), ``sample.csv`` (SALib's sample
as drawn, one row per design point; the values run are in ``design.parquet``) and
``indices-<kpi>.csv`` / ``.png``.
:func:`analyze` recomputes the indices of any KPI from a folder, so the analysis always matches the
sample it was run on.

Integer parameters are sampled on the real interval and mapped to integers uniformly
(``floor(low + u * (high - low + 1))``); Morris uses the values actually run.
"""

from __future__ import annotations

import difflib
import importlib.metadata as md
import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.kpis import OUTCOMES
from sim.experiments.design import ParamRange, check_params
from sim.experiments.execute import execute
from sim.experiments.plan import make_plan
from sim.experiments.results import SweepResult
from sim.io.errors import InputError, caller_level, check_int
from sim.io.outputs import write_table

__all__ = ["sensitivity", "analyze", "SensitivityResult", "SensitivityError", "METHODS", "MIN_SOBOL_N", "MIN_MORRIS_N"]

METHODS = ("sobol", "morris")
PROBLEM = "problem.json"
SAMPLE = "sample.csv"
MIN_SOBOL_N = 64  # below this, Sobol' indices are usually too noisy to rank parameters
MIN_MORRIS_N = 10  # trajectories: 10-50 is the usual advice (Campolongo et al. 2007)


class SensitivityError(RuntimeError):
    """The runs could not be analysed (e.g. every replication of a sample point failed)."""


@dataclass
class SensitivityResult:
    """Indices of one KPI, the SALib problem and the sweep that produced them."""

    indices: pd.DataFrame
    problem: dict
    kpi: str
    method: str
    folder: Path
    n: int
    reps: int

    @property
    def sweep(self) -> SweepResult:
        """The underlying results store (runs, steps, sql)."""
        return SweepResult(self.folder)

    def plot(self, ax=None):
        """A horizontal bar chart of the indices with their confidence intervals; returns the Axes."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(6.5, 1.2 + 0.55 * len(self.indices)))
        _draw(ax, self.indices, self.method, self.kpi, self.n, self.reps)
        return ax

    def __repr__(self) -> str:
        return (
            f"SensitivityResult(kpi={self.kpi!r}, method={self.method!r}, N={self.n}, reps={self.reps}, "
            f"folder={str(self.folder)!r})\n{self.indices.to_string(index=False)}"
        )


def _draw(ax, indices: pd.DataFrame, method: str, kpi: str, n: int, reps: int) -> None:
    y = np.arange(len(indices))
    names = indices["parameter"].tolist()
    if method == "sobol":
        h = 0.38
        ax.barh(y - h / 2, indices["S1"], h, xerr=indices["S1_conf"], capsize=3, label="first order S1")
        ax.barh(y + h / 2, indices["ST"], h, xerr=indices["ST_conf"], capsize=3, label="total ST")
        ax.set_xlabel(f"Sobol' index of {kpi} (bars: 95 % confidence)")
        ax.axvline(0, color="black", lw=0.6)
    else:
        h = 0.38
        ax.barh(y - h / 2, indices["mu_star"], h, xerr=indices["mu_star_conf"], capsize=3, label="mu* (mean |EE|)")
        ax.barh(y + h / 2, indices["sigma"], h, label="sigma (interaction / non-linearity)")
        ax.set_xlabel(f"elementary effects on {kpi} (bars: 95 % confidence of mu*)")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.legend(loc="best", fontsize="small")
    ax.set_title(f"{'Sobol' if method == 'sobol' else 'Morris'} sensitivity, N={n}, reps={reps}")


def _check_kpi(kpi: str) -> None:
    valid = OUTCOMES  # the KPI columns of the runs table: every declared numeric outcome of a run
    if kpi not in valid:
        close = difflib.get_close_matches(str(kpi), valid, 1, 0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InputError(f"--kpi {kpi}: unknown KPI; {hint}valid KPIs: {', '.join(valid)}")


def _problem(ranges: list[ParamRange]) -> dict:
    return {
        "num_vars": len(ranges),
        "names": [r.name for r in ranges],
        "bounds": [[float(r.low), float(r.high)] for r in ranges],
    }


def _sample(
    problem: dict, ranges: list[ParamRange], method: str, n: int, seed: int, num_levels: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SALib's sample as drawn, and mapped to the values run (integers for integer parameters)."""
    problem = json.loads(json.dumps(problem))  # SALib marks the dict it samples from; keep ours clean
    if method == "sobol":
        from SALib.sample import sobol as sampler

        x = sampler.sample(problem, n, calc_second_order=False, seed=seed)
    else:
        from SALib.sample import morris as sampler

        x = sampler.sample(problem, n, num_levels=num_levels, seed=seed)
    data = {}
    for i, r in enumerate(ranges):
        col = x[:, i]
        if r.integer:
            data[r.name] = r.values((col - r.low) / (r.high - r.low))
        else:
            data[r.name] = np.clip(col, r.low, r.high).astype(float)
    return pd.DataFrame(x, columns=[r.name for r in ranges]), pd.DataFrame(data)


def sensitivity(
    scenario,
    params: Mapping[str, tuple],
    kpi: str = "retention_rate",
    method: str = "sobol",
    samples: int = 64,
    reps: int = 1,
    steps: int | None = None,
    executor="process",
    out=None,
    workers: int | None = None,
    dask_address: str | None = None,
    progress: bool = True,
    set: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    num_levels: int = 4,
    chunk_size: int | None = None,
) -> SensitivityResult:
    """Sobol' or Morris indices of ``kpi`` over ``params`` (``{"dotted.name": (low, high)}``).

    ``samples``: the base sample size N (Sobol': N * (D + 2) points) or the number of trajectories
    (Morris: N * (D + 1) points); each point is run ``reps`` times (common random numbers) and the
    KPI averaged. ``seed``: of the sample (``seed + 1``: of the bootstrap of the confidence
    intervals). The other arguments are :func:`sim.experiments.sweep.sweep`'s; ``out`` is resumed like a sweep's.
    """
    from sim.config.loader import load_scenario
    from sim.config.scenario import Scenario

    if method not in METHODS:
        raise InputError(f"--method {method}: expected one of {', '.join(METHODS)}")
    _check_kpi(kpi)
    samples = check_int(
        samples,
        "--samples",
        2 if method == "morris" else 1,
        "Morris trajectories" if method == "morris" else "Sobol' base sample size N",
    )
    if check_int(num_levels, "num_levels", 2, "Morris grid levels") % 2:
        raise InputError(f"num_levels {num_levels!r}: expected an even integer >= 2")
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if set:
        base = base.with_params(dict(set))
    ranges = check_params(base, params, steps)
    problem = _problem(ranges)
    if method == "sobol" and samples < MIN_SOBOL_N:
        warnings.warn(
            f"Sobol' indices from N={samples} base samples are unstable (wide confidence "
            f"intervals, even negative indices); use --samples {MIN_SOBOL_N} or more",
            UserWarning,
            stacklevel=caller_level(),
        )
    if method == "morris" and samples < MIN_MORRIS_N:
        warnings.warn(
            f"Morris screening from {samples} trajectories is unreliable; use --samples {MIN_MORRIS_N} or more",
            UserWarning,
            stacklevel=caller_level(),
        )
    drawn, points = _sample(problem, ranges, method, samples, int(seed), int(num_levels))
    settings = {
        "method": method,
        "N": samples,
        "seed": int(seed),
        **({"calc_second_order": False} if method == "sobol" else {"num_levels": int(num_levels)}),
    }
    plan = make_plan(
        scenario,
        params,
        design=points,
        reps=reps,
        steps=steps,
        overrides=set,
        command="sensitivity",
        identity_extra=settings,
        arguments={**settings, "kpi": kpi, "workers": workers, "dask_address": dask_address},
    )
    meta = {
        **settings,
        "problem": problem,
        "integer_parameters": [r.name for r in ranges if r.integer],
        "reps": int(reps),
        "runs": len(plan.table),
        "note": "problem + method settings of the sample in sample.csv / design.parquet; "
        "sim.experiments.sensitivity.analyze(folder, kpi) recomputes the indices",
        "salib": md.version("SALib"),
    }
    plan.extra_files = {PROBLEM: json.dumps(meta, indent=2) + "\n", SAMPLE: drawn.to_csv(index=False)}
    res = execute(
        plan,
        executor=executor,
        out=out,
        workers=workers,
        dask_address=dask_address,
        progress=progress,
        chunk_size=chunk_size,
    )
    return analyze(res.folder, kpi)


def analyze(folder: str | Path, kpi: str = "retention_rate", write: bool = True) -> SensitivityResult:
    """The indices of ``kpi`` from a sensitivity folder, with the problem and sample stored there.

    Writes ``indices-<kpi>.csv`` and ``indices-<kpi>.png`` into the folder (``write=False``: don't).
    """
    folder = Path(folder)
    path = folder / PROBLEM
    if not path.is_file():
        raise InputError(f"{folder}: not a sensitivity folder (no {PROBLEM})")
    _check_kpi(kpi)
    meta = json.loads(path.read_text())
    problem, method = meta["problem"], meta["method"]
    sweep = SweepResult(folder)
    if not sweep.complete:
        raise SensitivityError(
            f"{folder}: {sweep.n_done} of {sweep.n_runs} runs stored; finish the "
            "sensitivity run (repeat its command) before analysing it"
        )
    runs = sweep.runs
    ok = runs[runs["status"] == "ok"]
    means = ok.groupby("point")[kpi].mean() if kpi in ok else pd.Series(dtype=float)  # no run succeeded: no column
    y = means.reindex(range(int(runs["point"].max()) + 1))
    missing = int(y.isna().sum())
    if missing:
        raise SensitivityError(
            f"{missing} of {len(y)} sample points have no successful run "
            f"(see the runs table's error column in {folder}); cannot compute indices"
        )
    y = y.to_numpy(dtype=float)
    names = problem["names"]
    if np.ptp(y) == 0:
        warnings.warn(
            f"{kpi} is the same at every sample point; its indices are undefined",
            UserWarning,
            stacklevel=caller_level(),
        )
    bootstrap = int(meta["seed"]) + 1  # the confidence intervals' resampling (SALib's sobol ignores seed 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "sobol":
            from SALib.analyze import sobol as analyzer

            si = analyzer.analyze(problem, y, calc_second_order=False, seed=bootstrap, print_to_console=False)
            indices = pd.DataFrame(
                {"parameter": names, "S1": si["S1"], "S1_conf": si["S1_conf"], "ST": si["ST"], "ST_conf": si["ST_conf"]}
            )
            if np.nanmax(indices["ST_conf"]) > np.nanmax(np.abs(indices["ST"])) or np.nanmax(
                indices["S1_conf"]
            ) > np.nanmax(np.abs(indices["S1"])):
                warnings.warn(
                    f"the confidence intervals of the Sobol' indices of {kpi} are wider than the "
                    f"indices themselves (N={meta['N']}); use a larger --samples",
                    UserWarning,
                    stacklevel=caller_level(),
                )
        else:
            from SALib.analyze import morris as analyzer

            # the sample as drawn: SALib finds each step of a trajectory from it (a step that
            # rounds to the same integer is an elementary effect of 0, not a lost step)
            x = pd.read_csv(folder / SAMPLE)[names].to_numpy(dtype=float)
            si = analyzer.analyze(problem, x, y, num_levels=meta["num_levels"], seed=bootstrap, print_to_console=False)
            indices = pd.DataFrame(
                {
                    "parameter": names,
                    "mu": si["mu"],
                    "mu_star": si["mu_star"],
                    "mu_star_conf": si["mu_star_conf"],
                    "sigma": si["sigma"],
                }
            )
    result = SensitivityResult(
        indices=indices,
        problem=problem,
        kpi=kpi,
        method=method,
        folder=folder,
        n=int(meta["N"]),
        reps=int(meta["reps"]),
    )
    if write:
        write_table(indices, folder / f"indices-{kpi}", formats=("csv",))
        _save_plot(result, folder / f"indices-{kpi}.png")
    return result


def _save_plot(result: SensitivityResult, path: Path) -> None:
    from matplotlib.figure import Figure

    from sim.present.plots import save_png

    fig = Figure(figsize=(6.5, 1.2 + 0.55 * len(result.indices)), layout="constrained")
    result.plot(fig.subplots())
    save_png(fig, path, dpi=120)
