"""The command line: ``python run.py COMMAND ...``.

The handlers live in :mod:`sim.cli.commands` (``cli_<command>(args)``); this module only defines
the arguments, dispatches, and turns bad input into one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

HANDLERS = {
    command: ("sim.cli.commands", f"cli_{command}")
    for command in (
        "run",
        "compare",
        "sweep",
        "sensitivity",
        "patterns",
        "robust",
        "optimize",
        "query",
        "validate",
        "app",
        "scenarios",
    )
}


def _common(p: argparse.ArgumentParser, steps: bool = True) -> None:
    if steps:
        p.add_argument("--steps", type=int, default=None, help="weeks to simulate (default: the scenario's)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter, e.g. --set market.base_churn=0.01 (repeatable)",
    )
    p.add_argument("--out", default=None, metavar="DIR", help="output folder (default: outputs/<command>-...)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")


def _executor(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--executor",
        choices=["none", "process", "dask"],
        default="process",
        help="where runs execute: in this process, a local process pool (default), or Dask",
    )
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument(
        "--dask-address",
        default=None,
        metavar="ADDR",
        help="a running Dask scheduler, e.g. tcp://HOST:8786 (default: start a LocalCluster)",
    )


def _param_ranges(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="NAME=LOW:HIGH",
        help="a parameter and its range, e.g. market.base_churn=0.002:0.01 (repeatable)",
    )


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python run.py",
        description="Agent-based simulation of knowledge transfer in customer relationship management.",
    )
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run one scenario; scorecard, tables, plots and report.html")
    p.add_argument("scenario", help="a scenario name (see `scenarios`) or a path to a TOML file")
    p.add_argument("--seed", type=int, default=0)
    _common(p)

    p = sub.add_parser("compare", help="compare scenarios over replications (common random numbers)")
    p.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        help="scenario names or files, or inline variants NAME:key=value,... (e.g. crm:policy.crm_maturity=3)",
    )
    p.add_argument("--reps", type=int, default=10, help="replications per scenario (default 10)")
    p.add_argument("--reference", default=None, help="scenario the others are compared with (default: the first)")
    p.add_argument("--seed", type=int, default=0, help="base of the replication seeds (default 0)")
    p.add_argument(
        "--weights",
        default=None,
        metavar="SCENARIO",
        help="score every scenario on this scenario's targets and weights (a name or file; default: the reference's)",
    )
    p.add_argument(
        "--vary",
        default=None,
        metavar="KEY=V1,V2,...",
        help="run each scenario once per value, e.g. policy.crm_maturity=1,2,3 (default: no variants)",
    )
    _common(p)
    _executor(p)

    p = sub.add_parser("sweep", help="parameter sweep (grid, Latin hypercube, Sobol) into a results store")
    p.add_argument("scenario")
    _param_ranges(p)
    p.add_argument("--design", choices=["grid", "lhs", "sobol"], default="lhs")
    p.add_argument("--samples", type=int, default=16, help="design points (grid: levels per parameter)")
    p.add_argument("--reps", type=int, default=1, help="replications per design point")
    _common(p)
    _executor(p)

    p = sub.add_parser("sensitivity", help="global sensitivity analysis (SALib Sobol or Morris) of a KPI")
    p.add_argument("scenario")
    _param_ranges(p)
    p.add_argument("--kpi", default="retention_rate", help="KPI of the run summary to analyse")
    p.add_argument("--method", choices=["sobol", "morris"], default="sobol")
    p.add_argument("--samples", type=int, default=64, help="base sample size N (Sobol) or trajectories (Morris)")
    p.add_argument("--reps", type=int, default=1, help="replications per sample point (the KPI is their mean)")
    _common(p)
    _executor(p)

    p = sub.add_parser(
        "patterns", help="check the model against theory: every declared expectation on paired seeds (PASS/FAIL)"
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="run every contrast on this scenario (default: each contrast on its home scenario)",
    )
    p.add_argument("--reps", type=int, default=12, help="paired replications per arm (default 12)")
    p.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="NAME",
        help="check only the changes naming one of these parameters or channels (default: all)",
    )
    _common(p)
    _executor(p)

    p = sub.add_parser("robust", help="policies on the same sampled futures: regret, satisficing, PRIM")
    p.add_argument("policies", nargs="+", metavar="POLICY", help="scenario names, files or NAME:key=value,... variants")
    p.add_argument(
        "--uncertain",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH",
        help="an uncertain parameter and its range, e.g. environment.turbulence=0.5:3 (repeatable)",
    )
    p.add_argument("--futures", type=int, default=16, help="Latin-hypercube futures (default 16)")
    p.add_argument("--reps", type=int, default=1, help="replications per policy and future (default 1)")
    _common(p)
    _executor(p)

    p = sub.add_parser("optimize", help="search lever settings with Optuna (multi-objective, budget, resumable)")
    p.add_argument("scenario", help="the scenario whose levers are searched")
    p.add_argument(
        "--lever",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH",
        help="a lever and its range (KEY=a,b,c for categories), e.g. policy.co_creation=0:1 (repeatable)",
    )
    p.add_argument(
        "--objective",
        action="append",
        default=[],
        metavar="KPI[:max|min]",
        help="a KPI to optimize (default direction: the KPI's own), repeatable (default: value)",
    )
    p.add_argument("--budget", type=float, default=None, help="most knowledge and policy spend a year (default: none)")
    p.add_argument("--trials", type=int, default=30, help="trials in all, resumed trials included (default 30)")
    p.add_argument("--reps", type=int, default=2, help="replications per trial, common random numbers (default 2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampler (default 0)")
    _common(p)
    _executor(p)

    p = sub.add_parser("query", help="SQL (DuckDB) over a sweep's results store: tables runs and steps")
    p.add_argument("folder")
    p.add_argument("sql")

    p = sub.add_parser("validate", help="reproduce March (1991) on the knowledge engine: pass/fail with figures")
    p.add_argument("--reps", type=int, default=80, help="replications per setting (default 80)")
    p.add_argument("--out", default=None, metavar="DIR")
    p.add_argument("--no-progress", dest="progress", action="store_false")

    p = sub.add_parser("app", help="the browser app (Mesa SolaraViz)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--scenario", default="baseline")

    p = sub.add_parser("scenarios", help="list the scenarios with their descriptions")
    p.add_argument(
        "--show", metavar="SCENARIO", default=None, help="print one scenario fully resolved (every parameter, as TOML)"
    )
    p.add_argument("--schedule", action="store_true", help="print the order of the weekly processes")
    return ap


def main(argv: list[str] | None = None) -> int:
    from sim.config.errors import ScenarioError
    from sim.io.errors import InputError

    args = parser().parse_args(argv)
    module, name = HANDLERS[args.command]
    try:
        handler = getattr(import_module(module), name)
        return int(handler(args) or 0)
    except (ScenarioError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """Console-script entry point (``crm-sim``, ``python -m sim``)."""
    sys.exit(main())
