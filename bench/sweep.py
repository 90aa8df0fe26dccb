"""Parallel efficiency of sweeps, and Dask against the local process pool.

Targets (DESIGN "Speed and size"): at least 85 % parallel efficiency on 2 workers for runs of
0.5 s or longer, efficiency = T_serial / (2 * T_parallel); Dask (a LocalCluster of 2 workers)
within 10 % of the process pool.

Every figure is the wall time of a whole ``sim.sweep(...)`` call into a fresh folder (design,
runs, Parquet parts, the final DuckDB count). "cold" includes starting the pool or the cluster
(what a user of ``python run.py sweep`` waits for); "warm" passes an executor started beforehand
(``executor=pool`` / ``executor=client``), which isolates the per-task overhead.

    python bench/sweep.py [--runs 12] [--steps 104] [--workers 2] [--repeat 1]

The machine's load average is printed: on a shared machine the figures move with it.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.sweep import sweep  # noqa: E402

PARAMS = {"market.base_churn": (0.002, 0.01)}  # barely changes a run's cost


def timed(label: str, root: Path, **kw) -> tuple[float, object]:
    out = root / label.replace(" ", "-")
    t0 = time.perf_counter()
    res = sweep("baseline", PARAMS, out=out, progress=False, **kw)
    seconds = time.perf_counter() - t0
    assert res.complete and res.n_failed == 0, res
    return seconds, res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=12, help="runs per sweep (design points x 2 replications)")
    ap.add_argument("--steps", type=int, default=104, help="weeks per run (baseline: 10,000 customers)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="repeat each measurement, keep the fastest")
    a = ap.parse_args()
    w = a.workers
    kw = dict(design="lhs", samples=a.runs // 2, reps=2, steps=a.steps)
    root = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    print(f"bench/sweep.py: {a.runs} runs of baseline x {a.steps} steps, {w} workers, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (before)")

    def best(label, **more):
        results = [timed(f"{label} {i}", root, **kw, **more) for i in range(a.repeat)]
        return min(results, key=lambda r: r[0])

    try:
        t_serial, serial = best("serial", executor="none")
        per_run = serial.runs["duration"]
        print(f"  run length (in-process): mean {per_run.mean():.2f} s, min {per_run.min():.2f} s")
        print(f"  serial (executor none)           {t_serial:7.2f} s")

        t_proc, _ = best("process cold", executor="process", workers=w)
        eff = t_serial / (w * t_proc)
        print(f"  process pool, cold               {t_proc:7.2f} s   efficiency {eff:6.1%}  (target >= 85 %)")

        import sim.simulate  # noqa: F401 -- as in sweep(): forked workers inherit the imports
        ctx = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
        with cf.ProcessPoolExecutor(w, mp_context=ctx) as pool:
            list(pool.map(abs, range(w)))  # start the workers
            t_proc_warm, _ = best("process warm", executor=pool)
        eff_warm = t_serial / (w * t_proc_warm)
        print(f"  process pool, warm               {t_proc_warm:7.2f} s   efficiency {eff_warm:6.1%}")

        t_dask, _ = best("dask cold", executor="dask", workers=w)
        print(f"  dask LocalCluster({w}), cold      {t_dask:7.2f} s   dask / process {t_dask / t_proc:6.1%}"
              f"  (target <= 110 %)")

        import logging

        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=w, threads_per_worker=1, dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            client.run(lambda: __import__("sim.simulate"))  # workers import the model first
            t_dask_warm, _ = best("dask warm", executor=client)
        print(f"  dask LocalCluster({w}), warm      {t_dask_warm:7.2f} s   dask / process "
              f"{t_dask_warm / t_proc_warm:6.1%}  efficiency {t_serial / (w * t_dask_warm):6.1%}")
        print(f"  load average {os.getloadavg()[0]:.2f} (after)")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
