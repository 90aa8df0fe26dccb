"""Parameter sweeps: designs, replications, executors, a Parquet results store, resuming.

    from sim import sweep
    res = sweep("baseline", {"market.base_churn": (0.002, 0.01), "organization.teams": (5, 20)},
                design="lhs", samples=32, reps=4, steps=52, out="outputs/churn-sweep")
    res.runs        # one row per run: run_id, point, <parameters>, rep, seed, status, error, duration, KPIs
    res.steps       # run_id + the step table of every successful run
    res.sql('SELECT "market.base_churn", avg(retention_rate) FROM runs GROUP BY 1 ORDER BY 1')

* **Design** (:mod:`sim.experiments.design`): ``grid`` (``samples`` levels per parameter, every
  combination), ``lhs`` (scipy's LatinHypercube) or ``sobol`` (scipy's scrambled Sobol'), both
  with a fixed seed (``design_seed``), or a DataFrame of points (one column per parameter).
  Integer parameters take integer values (uniform over the integers of the range). Every point is
  validated with ``Scenario.with_params`` before anything is written (:mod:`sim.experiments.plan`).
* **Runs.** ``run_id = point * reps + rep``; the seed of replication ``rep`` is
  ``sim.experiments.seeds.replication_seed(rep)`` at every design point (common random numbers).
* **Chunks, resume, failures**: :mod:`sim.experiments.execute`; the store:
  :mod:`sim.experiments.store`; reading it back: :mod:`sim.experiments.results`.
* **Executors** (:mod:`sim.experiments.executors`): ``"none"`` (in this process), ``"process"`` (a
  process pool, the default), ``"dask"`` (a Dask ``LocalCluster``, or the scheduler at
  ``dask_address``), or any ``concurrent.futures.Executor`` (or a ``dask.distributed.Client``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.experiments.execute import execute
from sim.experiments.plan import make_plan
from sim.experiments.results import SweepResult


def sweep(
    scenario,
    params: Mapping[str, tuple],
    design="lhs",
    samples: int = 16,
    reps: int = 1,
    steps: int | None = None,
    executor="process",
    out=None,
    workers: int | None = None,
    dask_address: str | None = None,
    progress: bool = True,
    set: Mapping[str, Any] | None = None,
    *,
    design_seed: int = 0,
    chunk_size: int | None = None,
    retry_failed: bool = False,
) -> SweepResult:
    """Run a parameter sweep with replications into a Parquet results store; see the module help.

    ``params``: ``{"dotted.name": (low, high)}``. ``design``: ``"grid"`` (``samples`` levels per
    parameter), ``"lhs"``, ``"sobol"`` (``samples`` points) or a DataFrame of points.
    ``set``: overrides applied to every run. ``out``: the folder (default
    ``outputs/sweep-<scenario>-<time>``); a folder holding the same sweep is resumed.
    ``chunk_size``: runs per task and per Parquet part (default: guided, see
    :func:`sim.experiments.execute.chunk_starts`). ``retry_failed``: run again the chunks that hold failed runs.
    """
    plan = make_plan(
        scenario,
        params,
        design,
        samples,
        reps,
        steps,
        overrides=set,
        design_seed=design_seed,
        arguments={"workers": workers, "dask_address": dask_address},
    )
    return execute(
        plan,
        executor=executor,
        out=out,
        workers=workers,
        dask_address=dask_address,
        progress=progress,
        chunk_size=chunk_size,
        retry_failed=retry_failed,
    )
