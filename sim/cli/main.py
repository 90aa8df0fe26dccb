"""The command line: ``python run.py COMMAND ...``.

The handlers live in :mod:`sim.cli.commands` (``cli_<command>(args)``); this module only defines
the arguments, dispatches, and turns bad input into one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from sim.config.limits import MAX_REPS, MAX_SAMPLES, MAX_SEED, MAX_STEPS, MAX_TRIALS

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
        "verify",
        "validate",
        "app",
        "scenarios",
    )
}


def bounded(lo: int, hi: int, what: str):
    """An argparse type: an integer in [lo, hi], else a one-line usage error naming the range."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number ({what}, {lo}..{hi})") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is out of range: expected {lo}..{hi} ({what})")
        return value

    parse.__name__ = "int"
    return parse


def _workers(text: str) -> int:
    """At most four workers per core: more only queue up and take memory."""
    from sim.experiments.executors import cpus

    return bounded(1, 4 * cpus(), "worker processes, at most 4 per core")(text)


class _Help(argparse.RawDescriptionHelpFormatter):
    """Every option's default in its help, unless the help already says it."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        unset = default is None or default is False or default == [] or default == argparse.SUPPRESS
        shown = not unset and action.option_strings
        if shown and "default" not in text and action.nargs != 0:
            text += " (default: %(default)s)"
        return text


class CLIParser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line (exit 2) and whose help shows defaults."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Help)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {' '.join(message.split())} (see --help)\n")


def _common(p: argparse.ArgumentParser, steps: bool = True) -> None:
    if steps:
        p.add_argument(
            "--steps",
            type=bounded(1, MAX_STEPS, "weeks"),
            default=None,
            help="weeks to simulate (default: the scenario's)",
        )
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
    p.add_argument("--workers", type=_workers, default=None, help="worker processes (default: all cores)")
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
    ap = CLIParser(
        prog="python run.py",
        description="Agent-based simulation of knowledge transfer in customer relationship management.",
    )
    ap.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    ap.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run one scenario; scorecard, tables, plots and report.html")
    p.add_argument("scenario", help="a scenario name (see `scenarios`) or a path to a TOML file")
    p.add_argument("--seed", type=bounded(0, MAX_SEED, "seed"), default=0, help="the run's seed")
    _common(p)

    p = sub.add_parser("compare", help="compare scenarios over replications (common random numbers)")
    p.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        help="scenario names or files, or inline variants NAME:key=value,... (e.g. crm:policy.crm_maturity=3)",
    )
    p.add_argument(
        "--reps", type=bounded(1, MAX_REPS, "replications"), default=10, help="replications per scenario (default 10)"
    )
    p.add_argument("--reference", default=None, help="scenario the others are compared with (default: the first)")
    p.add_argument(
        "--seed", type=bounded(0, MAX_SEED, "seed"), default=0, help="base of the replication seeds (default 0)"
    )
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
    p.add_argument("scenario", help="a scenario name or file")
    _param_ranges(p)
    p.add_argument("--design", choices=["grid", "lhs", "sobol"], default="lhs", help="how points are placed")
    p.add_argument(
        "--samples",
        type=bounded(1, MAX_SAMPLES, "samples"),
        default=16,
        help="design points (grid: levels per parameter)",
    )
    p.add_argument("--reps", type=bounded(1, MAX_REPS, "replications"), default=1, help="replications per design point")
    _common(p)
    _executor(p)

    p = sub.add_parser("sensitivity", help="global sensitivity analysis (SALib Sobol or Morris) of a KPI")
    p.add_argument("scenario", help="a scenario name or file")
    _param_ranges(p)
    p.add_argument("--kpi", default="retention_rate", help="KPI of the run summary to analyse")
    p.add_argument("--method", choices=["sobol", "morris"], default="sobol", help="SALib method")
    p.add_argument(
        "--samples",
        type=bounded(1, MAX_SAMPLES, "samples"),
        default=64,
        help="base sample size N (Sobol) or trajectories (Morris)",
    )
    p.add_argument(
        "--reps",
        type=bounded(1, MAX_REPS, "replications"),
        default=1,
        help="replications per sample point (the KPI is their mean)",
    )
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
    p.add_argument(
        "--reps", type=bounded(1, MAX_REPS, "replications"), default=12, help="paired replications per arm (default 12)"
    )
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
    p.add_argument(
        "--futures", type=bounded(1, MAX_SAMPLES, "futures"), default=16, help="Latin-hypercube futures (default 16)"
    )
    p.add_argument(
        "--reps",
        type=bounded(1, MAX_REPS, "replications"),
        default=1,
        help="replications per policy and future (default 1)",
    )
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
    p.add_argument(
        "--trials",
        type=bounded(1, MAX_TRIALS, "trials"),
        default=30,
        help="trials in all, resumed trials included (default 30)",
    )
    p.add_argument(
        "--reps",
        type=bounded(1, MAX_REPS, "replications"),
        default=2,
        help="replications per trial, common random numbers (default 2)",
    )
    p.add_argument("--seed", type=bounded(0, MAX_SEED, "seed"), default=0, help="seed of the sampler (default 0)")
    _common(p)
    _executor(p)

    p = sub.add_parser("query", help="SQL (DuckDB) over a sweep's results store: tables runs and steps")
    p.add_argument("folder", help="a results folder (sweep, sensitivity, robust)")
    p.add_argument(
        "sql", help="one read-only SQL statement over the tables design, runs and steps (no other file is readable)"
    )
    p.add_argument("--format", choices=["table", "csv", "json"], default="table", help="how the rows are printed")
    p.add_argument(
        "--unsafe",
        action="store_true",
        help="lift the sandbox: any statement, any file you can reach (COPY, ATTACH, extensions); "
        "for your own machine only",
    )

    p = sub.add_parser("verify", help="check a results folder's parts against their checksums")
    p.add_argument("folder", help="a results folder (sweep, sensitivity, robust)")
    p.add_argument(
        "--repair", action="store_true", help="move damaged and stray parts into quarantine/ (resume reruns their runs)"
    )

    p = sub.add_parser("validate", help="reproduce March (1991) on the knowledge engine: pass/fail with figures")
    p.add_argument(
        "--reps", type=bounded(1, MAX_REPS, "replications"), default=80, help="replications per setting (default 80)"
    )
    p.add_argument("--out", default=None, metavar="DIR", help="output folder (default: outputs/validate-...)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")

    p = sub.add_parser("app", help="the browser app (Mesa SolaraViz)")
    p.add_argument("--port", type=bounded(0, 65535, "TCP port"), default=8765, help="TCP port of the page")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1: this machine only)")
    p.add_argument("--scenario", default="baseline", help="the scenario the page starts with")
    p.add_argument("--public", action="store_true", help="allow a --host other than this machine (127.0.0.1)")
    p.add_argument(
        "--max-sessions",
        type=bounded(1, 1000, "sessions"),
        default=16,
        help="browser tabs served at once; another tab gets a message (default 16)",
    )

    p = sub.add_parser("scenarios", help="list the scenarios with their descriptions")
    p.add_argument(
        "--show", metavar="SCENARIO", default=None, help="print one scenario fully resolved (every parameter, as TOML)"
    )
    p.add_argument("--schedule", action="store_true", help="print the order of the weekly processes")
    return ap


def version() -> str:
    """The installed distribution's version, else the package's own."""
    try:
        from importlib.metadata import version as installed

        return installed("crm-knowledge-sim")
    except Exception:  # noqa: BLE001 -- running from a checkout that is not installed
        return "(not installed)"


def one_line(exc: BaseException) -> str:
    """An exception as one line (the first line of its message)."""
    text = str(exc).strip().splitlines()
    return " ".join(text[0].split()) if text else type(exc).__name__  # no control characters either


def failed_write(exc: OSError) -> str:
    """What a failed write means, in one line: a full disk, a file-size limit, no permission, or else."""
    import errno
    import re

    code = exc.errno
    if code is None:  # Arrow's write errors carry the errno only in their text
        found = re.search(r"\[errno (\d+)\]", str(exc), re.IGNORECASE)
        code = int(found.group(1)) if found else None
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if code in (errno.ENOSPC, errno.EDQUOT):
        return "cannot write: the disk is full; free some space or choose another --out"
    if code == errno.EFBIG:
        return f"cannot write: a file would pass this system's file-size limit (ulimit -f){where}"
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write: permission denied{where}; choose another --out"
    return f"cannot write: {one_line(exc)}"


def main(argv: list[str] | None = None) -> int:
    """Run a command. Input errors: one line, exit 2. Unexpected errors and failed writes: one line, exit 1
    (``--debug`` shows the traceback). A closed pipe (``| head``) ends quietly."""
    from sim.config.errors import ScenarioError
    from sim.io.errors import InputError

    try:
        args = parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error (already printed in one line)
        return int(done.code or 0)
    module, name = HANDLERS[args.command]
    try:
        handler = getattr(import_module(module), name)
        from sim.cli.commands import printed_warnings

        with printed_warnings():  # a warning is one line on stderr
            code = int(handler(args) or 0)
        sys.stdout.flush()
        return code
    except (ScenarioError, InputError) as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except Exception as exc:  # noqa: BLE001 -- the one place that turns any fault into one line
        if args.debug:
            raise
        what = failed_write(exc) if isinstance(exc, OSError) else f"unexpected {type(exc).__name__}: {one_line(exc)}"
        print(f"error: {what} (run with --debug for the traceback)", file=sys.stderr)
        return 1


def _quiet_stdout() -> None:
    """After a closed pipe: point stdout at /dev/null so Python's exit flush cannot complain."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def entry() -> None:
    """Console-script entry point (``crm-sim``, ``python -m sim``)."""
    sys.exit(main())
