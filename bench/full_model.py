"""Speed and size of the full CRM model (DESIGN.md "Speed and size").

Baseline scenario, K = 64, 104 weekly steps, at 1,000 / 10,000 / 100,000 initial customers (market
potential in the baseline's proportion, 8.5 places per initial customer). Staff scale with customers -- teams of 20,
200 employees at 10,000 -- keeping the baseline's 50 customers per employee; ``--fixed-staff``
keeps 200 employees at every size instead. Every size runs in a fresh subprocess, so set-up,
timings and peak memory are independent of the other sizes:

* set-up: building the model (agents, network, arrays);
* warm-up: the scenario's warm-up weeks (``scenario.warmup``, run by the model before step 0);
* stepping: 104 steps, best of a few repetitions (wall clock and CPU time of the process);
* per customer-step: stepping time / (initial customers x steps), and per active customer-step
  (the sum over steps of active customers, which differs between sizes when growth differs);
* scaling: per-customer-step cost relative to the 10,000 case (1.0 = linear);
* peak memory: ``ru_maxrss`` of the subprocess (whole process, imports included) and the
  ``tracemalloc`` peak of one set-up + run (Python objects and numpy buffers), each measured in its
  own fresh subprocess.

Targets: 10,000 customers under 1 s of stepping; cost linear in customers; 100,000 under 1 GB;
1,000,000 customers (1,000 teams) set up in under 5 s and stepped at a per-customer-step cost within
1.2x of the 10,000 case. Memory (tracemalloc, plain RSS) is measured up to 100,000 customers
(``--memory-max`` raises that).
``--profile`` adds a pyinstrument profile of the stepping of the given sizes.

    python bench/full_model.py [--sizes 1000 10000 100000] [--steps 104] [--fixed-staff]
                               [--profile 10000 100000]

Timings on a shared machine are noisy: compare CPU time and best-of-N rather than single runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

# One BLAS thread per model, as a sweep runs one model per core. A second BLAS thread adds CPU time but no
# speed (1,000,000 customers: 63.5 s wall either way; CPU 89.6 s with two threads, 63.6 s with one), so
# with it the per-customer CPU cost compared across sizes measured the spinning thread, not the model.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
TARGET_STEP_SECONDS_10K = 1.0
TARGET_PEAK_BYTES_100K = 1 << 30
TARGET_SETUP_SECONDS_1M = 5.0
TARGET_SCALING_1M = 1.2
CUSTOMERS_PER_TEAM = 1000
MARKET_PER_CUSTOMER = 8.5  # the baseline's whole market per initial customer (85,000 / 10,000)
TEAM_SIZE = 20


def params(customers: int, fixed_staff: bool) -> dict:
    teams = 10 if fixed_staff else max(1, customers // CUSTOMERS_PER_TEAM)
    return {
        "market.initial_customers": customers,
        "market.market_potential": int(MARKET_PER_CUSTOMER * customers),
        "organization.teams": teams,
        "organization.team_size": TEAM_SIZE,
    }


def build(customers: int, fixed_staff: bool, seed: int = 1, warmup: int = 0):
    """The model set up (warm-up 0 by default: set-up, warm-up and stepping are timed apart)."""
    from sim.config.loader import load_scenario
    from sim.model import CRMKnowledgeModel

    sc = load_scenario("baseline").with_params({**params(customers, fixed_staff), "scenario.warmup": warmup})
    return CRMKnowledgeModel(scenario=sc, rng=seed)


def warmup_weeks() -> int:
    from sim.config.loader import load_scenario

    return int(load_scenario("baseline").get("scenario.warmup"))


def reps_for(customers: int) -> int:
    return 5 if customers <= 1000 else 3 if customers <= 10_000 else 1


# ------------------------------------------------------------------------------------- workers


def worker_time(customers: int, steps: int, fixed_staff: bool) -> dict:
    import resource

    from sim.experiments.simulate import release

    setups, warmups, walls, cpus, active_steps = [], [], [], [], 0
    for rep in range(reps_for(customers)):
        t = time.perf_counter()
        model = build(customers, fixed_staff, seed=rep + 1)
        setups.append(time.perf_counter() - t)
        t = time.perf_counter()
        model.warm_up(warmup_weeks())  # the scenario's warm-up, as CRMKnowledgeModel runs it
        warmups.append(time.perf_counter() - t)
        active = 0
        t, c = time.perf_counter(), time.process_time()
        for _ in range(steps):
            model.step()
            active += model.stats["active_customers"]
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        if rep == 0:
            active_steps = active
            employees = int(model.employees.beliefs.shape[0])
            final = dict(
                active=int(model.stats["active_customers"]),
                acquired=int(model.acquired_total),
                churned=int(model.churned_total),
            )
        release(model)
        del model
    return dict(
        customers=customers,
        employees=employees,
        steps=steps,
        reps=len(walls),
        setup=min(setups),
        warmup=min(warmups),
        step_wall=min(walls),
        step_cpu=min(cpus),
        step_walls=walls,
        active_customer_steps=int(active_steps),
        maxrss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        **final,
    )


def worker_memory(customers: int, steps: int, fixed_staff: bool) -> dict:
    import resource
    import tracemalloc

    import sim.model  # noqa: F401  (imports are not the model's memory)

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    model = build(customers, fixed_staff)
    after_setup = tracemalloc.get_traced_memory()[0]
    for _ in range(steps):
        model.step()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return dict(
        customers=customers,
        traced_setup=after_setup,
        traced_end=current,
        traced_peak=peak,
        maxrss_imports=rss0,
        maxrss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    )


def worker_plain_rss(customers: int, steps: int, fixed_staff: bool) -> dict:
    """Peak RSS of one set-up + run without tracemalloc (its bookkeeping inflates RSS)."""
    import resource

    import sim.model  # noqa: F401

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    model = build(customers, fixed_staff)
    for _ in range(steps):
        model.step()
    return dict(
        customers=customers, maxrss_imports=rss0, maxrss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    )


def worker_profile(customers: int, steps: int, fixed_staff: bool) -> dict:
    from pyinstrument import Profiler

    model = build(customers, fixed_staff)
    profiler = Profiler(interval=0.001)
    profiler.start()
    for _ in range(steps):
        model.step()
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    return dict(customers=customers, profile=text)


WORKERS = {"time": worker_time, "memory": worker_memory, "rss": worker_plain_rss, "profile": worker_profile}


def in_subprocess(mode: str, customers: int, steps: int, fixed_staff: bool) -> dict:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        mode,
        "--sizes",
        str(customers),
        "--steps",
        str(steps),
    ] + (["--fixed-staff"] if fixed_staff else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, env={**os.environ, **ONE_THREAD})
    if out.returncode != 0:
        raise RuntimeError(f"{mode} worker for {customers} customers failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------- report


def mb(x: float) -> str:
    return f"{x / 2**20:,.0f}" if x == x else "-"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000, 1_000_000])
    ap.add_argument("--memory-max", type=int, default=100_000, help="measure memory up to this size (default 100000)")
    ap.add_argument("--steps", type=int, default=104)
    ap.add_argument("--fixed-staff", action="store_true", help="200 employees at every size")
    ap.add_argument(
        "--profile",
        type=int,
        nargs="*",
        default=None,
        help="profile the stepping of these sizes (default with no value: 10000 100000)",
    )
    ap.add_argument("--profile-lines", type=int, default=60)
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.sizes[0], args.steps, args.fixed_staff)))
        return 0

    staff = (
        "200 employees at every size"
        if args.fixed_staff
        else f"{TEAM_SIZE} employees per {CUSTOMERS_PER_TEAM:,} customers"
    )
    print(f"Full model, baseline scenario, K = 64, {args.steps} steps; {staff}.")
    print(
        "Each size in fresh subprocesses; stepping = best of N repetitions. The machine is shared: timings are noisy.\n"
    )
    rows = []
    for n in args.sizes:
        t = in_subprocess("time", n, args.steps, args.fixed_staff)
        if n <= args.memory_max:
            m = in_subprocess("memory", n, args.steps, args.fixed_staff)
            r = in_subprocess("rss", n, args.steps, args.fixed_staff)
            rows.append(
                {
                    **t,
                    **{k: v for k, v in m.items() if k.startswith("traced")},
                    "maxrss": r["maxrss"],
                    "maxrss_imports": r["maxrss_imports"],
                }
            )
        else:  # the timing worker's own peak RSS; no tracemalloc run
            rows.append({**t, "traced_peak": float("nan"), "maxrss_imports": rows[0]["maxrss_imports"] if rows else 0})
        print(f"  measured {n:,} customers", file=sys.stderr)

    ref = next((r for r in rows if r["customers"] == 10_000), rows[0])

    def per_cs(r):
        return r["step_wall"] / (r["customers"] * r["steps"])

    def per_acs(r):
        return r["step_cpu"] / max(r["active_customer_steps"], 1)

    head = (
        f"{'customers':>10} {'staff':>6} {'reps':>4} {'set-up s':>9} {'warm-up s':>9} {'step s':>8} {'cpu s':>7} "
        f"{'us/cust-step':>12} {'us/active c-s':>13} {'scaling':>7} {'peak RSS MB':>11} {'traced peak MB':>14} "
        f"{'active end':>10}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['customers']:>10,} {r['employees']:>6} {r['reps']:>4} {r['setup']:>9.3f} {r['warmup']:>9.3f} "
            f"{r['step_wall']:>8.3f} "
            f"{r['step_cpu']:>7.3f} {per_cs(r) * 1e6:>12.3f} {per_acs(r) * 1e6:>13.3f} "
            f"{per_acs(r) / per_acs(ref):>7.2f} {mb(r['maxrss']):>11} {mb(r['traced_peak']):>14} {r['active']:>10,}"
        )
    print(
        "\nscaling = CPU time per active customer-step relative to 10,000 customers (1.0 = linear);"
        f" peak RSS includes ~{mb(rows[0]['maxrss_imports'])} MB of interpreter and imports."
    )
    ok = []
    for r in rows:
        if r["customers"] == 10_000:
            ok.append(
                f"10,000 customers stepping {r['step_wall']:.2f} s wall / {r['step_cpu']:.2f} s CPU "
                f"(target < {TARGET_STEP_SECONDS_10K:.0f} s): "
                f"{'met' if min(r['step_wall'], r['step_cpu']) < TARGET_STEP_SECONDS_10K else 'MISSED'}"
            )
        if r["customers"] == 100_000:
            ok.append(
                f"100,000 customers peak RSS {mb(r['maxrss'])} MB (target < 1024 MB): "
                f"{'met' if r['maxrss'] < TARGET_PEAK_BYTES_100K else 'MISSED'}"
            )
            ok.append(
                f"100,000 vs 10,000 cost per active customer-step: {per_acs(r) / per_acs(ref):.2f} "
                f"({'linear within noise' if per_acs(r) / per_acs(ref) <= 1.25 else 'above linear: see the profile'})"
            )
        if r["customers"] == 1_000_000:
            ok.append(
                f"1,000,000 customers set-up {r['setup']:.2f} s (target < {TARGET_SETUP_SECONDS_1M:.0f} s): "
                f"{'met' if r['setup'] < TARGET_SETUP_SECONDS_1M else 'MISSED'}"
            )
            ratio = per_acs(r) / per_acs(ref)
            ok.append(
                f"1,000,000 vs 10,000 cost per active customer-step: {ratio:.2f} (target <= "
                f"{TARGET_SCALING_1M}): {'met' if ratio <= TARGET_SCALING_1M else 'MISSED'}"
            )
    for line in ok:
        print("  " + line)

    profile_sizes = args.profile if args.profile else ([10_000, 100_000] if args.profile is not None else [])
    for n in profile_sizes:
        p = in_subprocess("profile", n, args.steps, args.fixed_staff)
        print(f"\n--- pyinstrument, {n:,} customers, {args.steps} steps ---")
        print("\n".join(p["profile"].splitlines()[: args.profile_lines]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
