"""Parallel efficiency of sweeps, and Dask against the local process pool.

Targets (DESIGN "Speed and size"): at least 85 % parallel efficiency on 2 workers for runs of
0.5 s or longer, efficiency = T_serial / (2 * T_parallel); Dask (a LocalCluster of 2 workers)
within 10 % of the process pool.

Every figure is the wall time of a whole ``sim.sweep(...)`` call into a fresh folder (design,
runs, Parquet parts, the final DuckDB count). "cold" includes starting the pool or the cluster
(what a user of ``python run.py sweep`` waits for); "warm" passes an executor started beforehand
(``executor=pool`` / ``executor=client``), which isolates the per-task overhead.

    python bench/sweep.py [--runs 24] [--steps 104] [--workers 2] [--repeat 1]

Beside each figure: how many CPUs other processes kept busy meanwhile (from /proc/stat, less this
process tree's own CPU time). On a shared machine the figures move with it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.experiments.executors import local_cluster, process_pool  # noqa: E402
from sim.experiments.sweep import sweep  # noqa: E402

PARAMS = {"market.base_churn": (0.002, 0.01)}  # barely changes a run's cost


TICK = os.sysconf("SC_CLK_TCK")


def _busy_seconds() -> float:
    """CPU time spent by everything on the machine (all CPUs), from /proc/stat."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / TICK  # all but idle and iowait


def _our_seconds() -> float:
    """CPU time of this process and all its descendants, alive or finished."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    total = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    parent, stats = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parent[pid] = int(fields[1])
        stats[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime of a live process
    for pid, seconds in stats.items():  # live descendants (finished ones are in RUSAGE_CHILDREN)
        p = parent.get(pid)
        while p and p != os.getpid():
            p = parent.get(p)
        if p == os.getpid():
            total += seconds
    return total


def timed(label: str, root: Path, **kw) -> tuple[float, float, object]:
    """Wall time of one sweep, and the CPUs busy meanwhile with work that is not ours."""
    out = root / label.replace(" ", "-")
    busy0, ours0, t0 = _busy_seconds(), _our_seconds(), time.perf_counter()
    res = sweep("baseline", PARAMS, out=out, progress=False, **kw)
    seconds = time.perf_counter() - t0
    foreign = max(0.0, (_busy_seconds() - busy0) - (_our_seconds() - ours0)) / seconds
    assert res.complete and res.n_failed == 0, res
    return seconds, foreign, res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=24, help="runs per sweep (design points x 2 replications)")
    ap.add_argument("--steps", type=int, default=104, help="weeks per run (baseline: 10,000 customers)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="repeat each measurement, keep the fastest")
    a = ap.parse_args()
    w = a.workers
    kw = dict(design="lhs", samples=a.runs // 2, reps=2, steps=a.steps)
    root = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    print(
        f"bench/sweep.py: {a.runs} runs of baseline x {a.steps} steps, {w} workers, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (before)"
    )

    def best(label, **more):
        results = [timed(f"{label} {i}", root, **kw, **more) for i in range(a.repeat)]
        return min(results, key=lambda r: r[0])

    def warm_up(executor) -> None:
        """A tiny sweep, so that every worker has started and imported what a sweep needs."""
        sweep(
            "baseline",
            PARAMS,
            design="lhs",
            samples=2 * w,
            steps=1,
            executor=executor,
            chunk_size=1,
            out=root / f"warm-up-{executor if isinstance(executor, str) else type(executor).__name__}",
            progress=False,
        )

    def other(foreign: float) -> str:
        return f"[other work: {foreign:.2f} CPUs]"

    try:
        warm_up("none")  # imports (pyarrow, duckdb, ...) are not part of the serial time
        t_serial, f, serial = best("serial", executor="none")
        per_run = serial.runs["duration"]
        print(f"  run length (in-process): mean {per_run.mean():.2f} s, min {per_run.min():.2f} s")
        print(f"  serial (executor none)           {t_serial:7.2f} s                        {other(f)}")

        t_proc, f, _ = best("process cold", executor="process", workers=w)
        eff = t_serial / (w * t_proc)
        print(
            f"  process pool, cold               {t_proc:7.2f} s   efficiency {eff:6.1%}  {other(f)}  (target >= 85 %)"
        )

        with process_pool(w) as pool:  # the pool executor="process" starts
            warm_up(pool)
            t_proc_warm, f, _ = best("process warm", executor=pool)
        eff_warm = t_serial / (w * t_proc_warm)
        print(f"  process pool, warm               {t_proc_warm:7.2f} s   efficiency {eff_warm:6.1%}  {other(f)}")

        t_dask, f, _ = best("dask cold", executor="dask", workers=w)
        print(
            f"  dask LocalCluster({w}), cold      {t_dask:7.2f} s   dask/process {t_dask / t_proc:6.1%}"
            f" {other(f)}  (target <= 110 %)"
        )

        from dask.distributed import Client

        with local_cluster(w) as cluster, Client(cluster) as client:
            warm_up(client)
            t_dask_warm, f, _ = best("dask warm", executor=client)
        print(
            f"  dask LocalCluster({w}), warm      {t_dask_warm:7.2f} s   dask/process "
            f"{t_dask_warm / t_proc_warm:6.1%} {other(f)}  efficiency {t_serial / (w * t_dask_warm):.1%}"
        )
        print(
            f"  load average {os.getloadavg()[0]:.2f} (after). Figures are the fastest of {a.repeat}; "
            "'other work' is CPU used by other processes meanwhile (a shared machine)."
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
