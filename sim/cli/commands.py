"""The handlers of ``python run.py COMMAND``: each checks its arguments, calls the public API, prints.

A handler takes the parsed arguments and returns the exit code; bad input is an ``InputError`` or
``ScenarioError`` that :func:`sim.cli.main.main` prints as one line (exit code 2). The API modules
are imported by the handler that needs them, so a command loads only what it uses.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from sim.config.loader import list_scenarios, load_scenario, parse_overrides
from sim.io.errors import InputError, check_int
from sim.io.outputs import default_dir, display_path, moved, staged, target

MAX_PRINTED_ROWS = 1000  # rows `query` prints at most


# --- shared by the handlers ----------------------------------------------------------------------


@contextlib.contextmanager
def printed_warnings() -> Iterator[None]:
    """Show each warning raised inside as one ``warning: ...`` line on stderr, when it happens."""
    seen: list[str] = []

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if text not in seen:
            seen.append(text)
            print(f"warning: {text}", file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        yield


def interrupted(out) -> int:
    """Ctrl-C: say where the finished runs are and how to finish; exit code 130."""
    print(
        f"interrupted: the finished runs are in {out}; to finish, run the same command with --out {out}",
        file=sys.stderr,
    )
    return 130


def _overrides(args) -> dict:
    return parse_overrides(getattr(args, "overrides", None) or [])


def sweep_inputs(args) -> tuple[dict, dict]:
    """The ``--param`` ranges and ``--set`` overrides of a sweep-like command, parsed."""
    from sim.experiments.design import parse_params

    return parse_params(args.params), _overrides(args)


def format_table(df: pd.DataFrame, max_rows: int = MAX_PRINTED_ROWS) -> str:
    """A DataFrame as a fixed-width text table (pandas ``to_string``), at most ``max_rows`` rows."""
    if df.empty:
        return "(no rows)" if len(df.columns) == 0 else df.to_string(index=False) + "\n(no rows)"
    with pd.option_context(
        "display.width",
        250,
        "display.max_columns",
        None,
        "display.max_colwidth",
        60,
        "display.float_format",
        "{:.6g}".format,
    ):
        return df.head(max_rows).to_string(index=False)


# --- the commands --------------------------------------------------------------------------------


def cli_run(args) -> int:
    """``python run.py run SCENARIO [--seed N] [--steps N] [--set K=V] [--out DIR] [--no-progress]``."""
    from tqdm.auto import tqdm

    from sim.experiments.folders import write_run
    from sim.experiments.simulate import run
    from sim.present.report import scorecard_text

    sc = load_scenario(args.scenario)
    overrides = _overrides(args)
    if overrides:
        sc = sc.with_params(overrides)
    steps = sc.steps if args.steps is None else args.steps  # the parser bounds --seed and --steps
    out = target(args.out, "run", [sc.name])
    with staged(out) as tmp:
        with tqdm(
            total=steps,
            desc=f"run {sc.name}",
            unit="wk",
            file=sys.stderr,
            disable=not args.progress,
            dynamic_ncols=True,
        ) as bar:
            result = run(sc, seed=args.seed, steps=steps, progress=bar.update)
        report = moved(write_run(result, tmp), tmp, out)
    print(f"Scorecard of {sc.name!r} (seed {args.seed}, {steps} weeks)")
    print(scorecard_text(result.scorecard))
    print(f"wrote {display_path(report)}")
    return 0


def cli_compare(args) -> int:
    """``python run.py compare S1 S2 ... [--reps N] [--steps N] [--reference S] [--set K=V] [--out DIR]
    [--executor none|process|dask] [--workers N] [--dask-address ADDR] [--no-progress]``."""
    from sim.config.variants import parse_vary
    from sim.experiments.compare import plan_comparison, run_comparison

    plan = plan_comparison(
        args.scenarios,
        args.reps,
        args.steps,
        args.reference,
        _overrides(args),
        args.workers,
        cli=True,
        executor=args.executor,
        weights=args.weights,
        vary=parse_vary(args.vary) if args.vary else None,
    )
    base_seed = check_int(args.seed, "--seed", 0, "base of the replication seeds")
    out = target(args.out, "compare", [sc.name for sc in plan.scenarios])
    with staged(out) as tmp:
        cmp = run_comparison(plan, args.executor, args.workers, args.progress, base_seed, args.dask_address)
        report = moved(cmp.write(tmp), tmp, out)
    print(
        f"{len(plan.scenarios)} scenarios x {plan.reps} replications x {plan.weeks} weeks in "
        f"{cmp.elapsed:.1f} s (executor {cmp.executor})"
    )
    print(cmp.text())
    print(f"wrote {display_path(report)}")
    return 0


def cli_patterns(args) -> int:
    """``python run.py patterns [SCENARIO] [--reps N] [--steps N] [--set K=V] [--out DIR] [--executor ...]``:
    exit code 1 when an expectation fails."""
    from sim.analysis.patterns import FAIL, patterns
    from sim.experiments.executors import check_executor

    reps = check_int(args.reps, "--reps", 2, "paired replications per arm")
    steps = None if args.steps is None else check_int(args.steps, "--steps", 1, "weeks to simulate")
    if args.scenario is not None:
        load_scenario(args.scenario)  # refused before any work if it does not load
    overrides = _overrides(args)
    if overrides:
        load_scenario(args.scenario or "baseline").with_params(overrides)  # checked before any work
    check_executor(args.executor, args.workers)
    from sim.analysis.patterns import declared

    if not declared(args.scenario, args.only):
        raise InputError(
            f"--only {' '.join(args.only)}: no declared expectation matches; expected a parameter or channel"
        )
    out = target(args.out, "patterns", [args.scenario] if args.scenario else [])
    with staged(out) as tmp:
        res = patterns(
            args.scenario,
            reps=reps,
            steps=steps,
            params=overrides,
            executor=args.executor,
            workers=args.workers,
            progress=args.progress,
            dask_address=args.dask_address,
            only=args.only,
            loop=not args.only,
        )
        report = moved(res.write(tmp), tmp, out)
    print(res.text())
    print(f"wrote {display_path(report)}")
    return 1 if (res.table["verdict"] == FAIL).any() else 0


def cli_sweep(args) -> int:
    """`python run.py sweep SCENARIO --param NAME=LOW:HIGH ...`"""
    from sim.experiments.execute import SweepIncomplete, execute
    from sim.experiments.plan import make_plan

    params, overrides = sweep_inputs(args)
    address = args.dask_address
    out = args.out
    try:
        with printed_warnings():
            plan = make_plan(
                args.scenario,
                params,
                args.design,
                args.samples,
                args.reps,
                args.steps,
                overrides=overrides,
                arguments={"workers": args.workers, "dask_address": address},
            )
            if out is None:
                out = default_dir("sweep", [plan.scenario.name])
            res = execute(
                plan,
                executor=args.executor,
                out=out,
                workers=args.workers,
                dask_address=address,
                progress=args.progress,
            )
    except SweepIncomplete as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return interrupted(out)
    print(res.folder)
    print(f"{res.n_done} runs, {res.n_failed} failed")
    return 0


def cli_robust(args) -> int:
    """``python run.py robust POLICY... --uncertain KEY=LOW:HIGH ... [--futures N] [--reps R] ...``."""
    from sim.experiments.design import parse_params
    from sim.experiments.execute import SweepIncomplete, execute
    from sim.experiments.robust import RobustError, RobustResult, plan_robust

    uncertain = parse_params(args.uncertain, "--uncertain")
    out = args.out
    try:
        with printed_warnings():
            plan = plan_robust(args.policies, uncertain, args.futures, args.reps, args.steps, _overrides(args))
            if out is None:
                out = default_dir("robust", [sc.name for sc in plan.policies])
            res = execute(plan, args.executor, out, args.workers, args.dask_address, args.progress)
    except SweepIncomplete as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return interrupted(out)
    result = RobustResult(Path(res.folder), [sc.name for sc in plan.policies], [r.name for r in plan.ranges[2:]],
                          plan.policies[0])  # fmt: skip
    try:
        report = result.write_report()
    except RobustError as exc:  # every run failed (the warning above names the first error)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(result.text())
    print(f"{res.n_done} runs, {res.n_failed} failed")
    print(f"wrote {display_path(report)}")
    return 0


def cli_optimize(args) -> int:
    """``python run.py optimize SCENARIO --lever KEY=LOW:HIGH ... --objective KPI[:max|min] ...``."""
    from sim.experiments.optimize import optimize, parse_lever

    levers = dict(parse_lever(t) for t in args.lever)
    if len(levers) != len(args.lever):
        raise InputError("--lever: a lever is given twice; expected each once")
    try:
        res = optimize(
            args.scenario,
            levers,
            args.objective or ["value"],
            budget=args.budget,
            trials=args.trials,
            reps=args.reps,
            steps=args.steps,
            params=_overrides(args),
            out=args.out,
            executor=args.executor,
            workers=args.workers,
            dask_address=args.dask_address,
            progress=args.progress,
            seed=args.seed,
        )
    except KeyboardInterrupt:
        print("interrupted: the finished trials are stored; run the same command to resume", file=sys.stderr)
        return 130
    report = res.write_report()
    print(res.text())
    print(f"wrote {display_path(report)}")
    return 0


def cli_sensitivity(args) -> int:
    """`python run.py sensitivity SCENARIO --param NAME=LOW:HIGH ... --kpi NAME --method sobol|morris`"""
    from sim.experiments.execute import SweepIncomplete
    from sim.experiments.sensitivity import SensitivityError, sensitivity

    params, overrides = sweep_inputs(args)
    out = args.out
    if out is None:
        out = default_dir("sensitivity", [load_scenario(args.scenario).name])
    try:
        with printed_warnings():
            res = sensitivity(
                args.scenario,
                params,
                kpi=args.kpi,
                method=args.method,
                samples=args.samples,
                reps=args.reps,
                steps=args.steps,
                executor=args.executor,
                out=out,
                workers=args.workers,
                dask_address=args.dask_address,
                progress=args.progress,
                set=overrides,
            )
    except (SweepIncomplete, SensitivityError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return interrupted(out)
    with pd.option_context("display.float_format", "{:.4f}".format, "display.width", 200):
        print(
            f"{'Sobol' if res.method == 'sobol' else 'Morris'} indices of {res.kpi} "
            f"(N={res.n}, reps={res.reps}, {res.sweep.n_runs} runs):"
        )
        print(res.indices.to_string(index=False))
    print(res.folder)
    return 0


def cli_query(args) -> int:
    """`python run.py query DIR "SQL" [--format table|csv|json] [--unsafe]`: print the result."""
    from sim.experiments.store import query

    df = query(args.folder, args.sql, unsafe=args.unsafe, repair=True)
    if args.format == "csv":
        df.to_csv(sys.stdout, index=False)
        return 0
    if args.format == "json":  # strict JSON: NaN and infinities as null
        import json

        from sim.io.outputs import strict

        print(json.dumps(strict(df.to_dict(orient="records")), default=str, allow_nan=False))
        return 0
    print(format_table(df))
    if len(df) > MAX_PRINTED_ROWS:
        print(
            f"... {len(df)} rows, showing the first {MAX_PRINTED_ROWS}; add LIMIT/OFFSET, or print them "
            "all with --format csv",
            file=sys.stderr,
        )
    return 0


def cli_verify(args) -> int:
    """`python run.py verify DIR [--repair]`: check a results folder's parts against their checksums.
    Exit 0 when every part passes, 1 when one is damaged or stray (moved to quarantine/ with --repair)."""
    import pyarrow.parquet as pq

    from sim.experiments import store

    folder = Path(args.folder)
    if not store.is_store(folder):
        raise InputError(
            f"{folder}: not a results folder (no {store.MANIFEST}); expected a sweep, sensitivity or robust folder"
        )
    busy = f"{folder}: a sweep is writing into this folder; run verify --repair when it has finished"
    try:
        with store.writer_lock(folder, busy):
            report = store.verify(folder, repair=args.repair)
        writing = False
    except store.Busy:
        if args.repair:
            raise
        report, writing = store.verify(folder, repair=False), True
    except OSError:  # a folder this user cannot write: look only
        report, writing = store.verify(folder, repair=False), False
    design = folder / store.DESIGN
    expected = pq.ParquetFile(design).metadata.num_rows if design.is_file() else 0
    complete = sum(pq.ParquetFile(folder / store.RUNS / store.part_name(c)).metadata.num_rows for c in report.ok)
    aside = (
        sum(1 for p in (folder / store.QUARANTINE).rglob("*.parquet*")) if (folder / store.QUARANTINE).is_dir() else 0
    )
    print(f"{folder}: runs {expected} planned, {complete} complete, {expected - complete} missing")
    print(f"parts: {2 * len(report.ok)} ok, {len(report.damaged)} damaged, {len(report.stray)} stray"
          + (f" ({aside} in {store.QUARANTINE}/)" if aside else ""))  # fmt: skip
    for part, why in report.damaged.items():
        print(f"  damaged: {part}: {why}")
    for part in report.stray:
        print(f"  stray: {part} (no checks file commits it)")
    if report.quarantined or report.adopted:
        print(report.line())
    if writing:
        print("a sweep is writing into this folder: stray parts may be chunks in progress")
        return 0 if not report.damaged else 1
    if not report.clean and not report.quarantined:
        print("run again with --repair to move them into quarantine/ (resuming the command then reruns their runs)")
    return 0 if report.clean else 1


def cli_validate(args) -> int:
    """``python run.py validate [--reps N] [--out DIR] [--no-progress]``: the report, pass/fail."""
    from sim.validation.experiments import format_claims, validation_report

    if args.reps < 2:
        raise InputError(f"--reps {args.reps}: expected an int >= 2 (standard errors need two runs)")
    out = target(args.out, "validate", ["march1991"])  # refuses an unusable folder before work
    with staged(out) as tmp:
        rep = validation_report(reps=args.reps, out_dir=tmp, progress=args.progress)
    print(f"March (1991) on the knowledge engine: {args.reps} replications per condition, {rep.seconds:.1f} s")
    print(format_claims(rep.claims))
    for path in rep.paths.values():
        print(f"wrote {display_path(moved(path, tmp, out))}")
    return 0 if bool(rep.claims["passed"].all()) else 1


def cli_app(args) -> int:
    """``python run.py app``: serve the app until Ctrl+C (or SIGTERM)."""
    sc = load_scenario(args.scenario)  # a bad name is a one-line error before anything starts
    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: expected an integer in [0, 65535]")
    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.public:
        raise InputError(
            f"--host {args.host}: the page would be reachable from other machines, and every visitor can make "
            "the server simulate; expected 127.0.0.1, or add --public if you mean it"
        )
    from sim.present import app

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {args.host}: anyone who can reach this machine can use the app", file=sys.stderr)

    port = app.check_address(args.host, args.port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    missing = app.missing_assets()
    if missing:
        print(
            f"warning: Solara's browser assets {', '.join(missing)} are not installed; the page will fetch "
            "them from the internet (offline it stays blank). Install them with: pip install solara-assets "
            "'ipyvue<2' 'ipyvuetify<2'",
            file=sys.stderr,
        )
    print(
        f"Serving the CRM knowledge app (scenario {sc.name!r}) at http://{host}:{port}/  (Ctrl+C to stop)", flush=True
    )
    return app.serve(args.scenario, args.host, port, args.max_sessions)


def cli_scenarios(args) -> int:
    """`python run.py scenarios [--show NAME] [--schedule]`: the scenarios and what each stands for; one
    scenario fully resolved; or the week's schedule."""
    if args.schedule:
        from sim.engine.schedule import plan_text

        print(plan_text(), end="")
        return 0
    if args.show is not None:
        print(load_scenario(args.show).to_toml(), end="")
        return 0
    for name in list_scenarios():
        sc = load_scenario(name)
        print(f"{name:24s} {sc.description}")
    return 0
