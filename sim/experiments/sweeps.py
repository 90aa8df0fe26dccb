"""Parameter sweeps: designs, replications, executors, a Parquet results store, resuming.

    from sim import sweep
    res = sweep("baseline", {"market.base_churn": (0.002, 0.01), "organization.teams": (5, 20)},
                design="lhs", samples=32, reps=4, steps=52, out="outputs/churn-sweep")
    res.runs        # one row per run: run_id, point, <parameters>, rep, seed, status, error, duration, KPIs
    res.steps       # run_id + the step table of every successful run
    res.sql('SELECT "market.base_churn", avg(retention_rate) FROM runs GROUP BY 1 ORDER BY 1')

How it works
------------
* **Design.** ``grid`` (``samples`` levels per parameter, every combination), ``lhs`` (scipy's
  LatinHypercube) or ``sobol`` (scipy's scrambled Sobol'), both with a fixed seed (``design_seed``),
  or a DataFrame of points (one column per parameter). Integer parameters take integer values
  (uniform over the integers of the range). Every point is validated with
  ``Scenario.with_params`` before anything is written.
* **Runs.** ``run_id = point * reps + rep``; the seed of replication ``rep`` is
  ``sim.experiments.seeds.replication_seed(rep)`` at every design point (common random numbers).
* **Chunks.** Runs are cut into chunks (guided by the number of workers: large first, single runs
  at the end; or ``chunk_size`` runs each), stored in the manifest; one task per chunk. The
  worker that runs a chunk writes its two Parquet parts when the whole chunk is done, atomically
  (see :mod:`sim.experiments.store`).
* **Resume.** Started again with the same arguments and folder, a sweep runs only the chunks that
  are not complete and ends with the same data as an uninterrupted sweep. A folder holding a
  different sweep is refused.
* **Failures.** A run that raises is stored with ``status = "failed"`` and ``error = "Type:
  message"``; the sweep goes on and warns at the end how many failed.
* **Executors** (:mod:`sim.experiments.executors`): ``"none"`` (in this process), ``"process"`` (a
  process pool, the default), ``"dask"`` (a Dask ``LocalCluster``, or the scheduler at
  ``dask_address``), or any ``concurrent.futures.Executor`` (or a ``dask.distributed.Client``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import numbers
import os
import platform
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import pandas as pd

from sim.experiments import store as storage
from sim.experiments.executors import check_executor, open_executor, run_tasks
from sim.experiments.seeds import replication_seed
from sim.io.errors import InputError, caller_level, check_int
from sim.io.outputs import atomic_write_text, default_dir, prepare, write_json

__all__ = ["sweep", "SweepResult", "SweepIncomplete", "load_sweep", "design_points", "chunk_starts",
           "parse_param", "parse_params", "run_chunk", "DESIGNS"]

DESIGNS = ("grid", "lhs", "sobol")
FORMAT = 1
MAX_CHUNK = 50          # runs per chunk, at most (guided chunks)
CHUNKS_PER_WORKER = 4   # guided chunks: a chunk takes 1 / (4 * workers) of the runs still left
LOCK = ".sweep.lock"
MAX_GRID = 1_000_000    # design points of a grid, at most


class SweepIncomplete(RuntimeError):
    """Some chunks could not be run or stored (a worker died, the disk filled...). Resumable."""


# --------------------------------------------------------------------------------------------
# Parameters and designs


@dataclass(frozen=True)
class ParamRange:
    name: str
    low: float | int
    high: float | int
    integer: bool

    def values(self, u: np.ndarray) -> np.ndarray:
        """Points of the unit interval -> values; integers are uniform over ``low..high``."""
        u = np.asarray(u, dtype=float)
        if self.integer:
            v = np.floor(self.low + u * (self.high - self.low + 1))
            return np.clip(v, self.low, self.high).astype(np.int64)
        return self.low + u * (self.high - self.low)

    def levels(self, n: int) -> np.ndarray:
        """``n`` evenly spaced levels from low to high (integers: rounded, without repeats)."""
        v = np.linspace(self.low, self.high, n)
        return np.unique(np.rint(v)).astype(np.int64) if self.integer else v


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def check_params(base, params: Mapping[str, Any], steps=None) -> list[ParamRange]:
    """Validate ``{dotted.name: (low, high)}`` against the scenario schema; a list of ParamRange."""
    from sim.config.scenario import SCHEMA

    if not isinstance(params, Mapping) or not params:
        raise InputError("params: expected at least one parameter range, e.g. "
                         "{'market.base_churn': (0.002, 0.01)} or --param market.base_churn=0.002:0.01")
    out = []
    for name, bounds in params.items():
        if not isinstance(name, str):
            raise InputError(f"--param {name!r}: a parameter name must be a dotted string")
        name = name.strip()
        if name not in SCHEMA:
            base.with_params({name: 0})  # raises the ScenarioError naming the closest valid name
        spec = SCHEMA[name]
        if spec.type not in (int, float):
            raise InputError(f"--param {name}: {spec.expected()} cannot be swept over a range; "
                             "expected an int or float parameter (set it with --set)")
        if name in ("scenario.name", "scenario.extends", "scenario.description"):
            raise InputError(f"--param {name}: cannot be swept")
        if name == "scenario.steps" and steps is not None:
            raise InputError("--param scenario.steps: has no effect with --steps; drop --steps to sweep the run length")
        if (not isinstance(bounds, (tuple, list)) or len(bounds) != 2
                or not all(_is_number(b) for b in bounds)):
            raise InputError(f"--param {name}={bounds!r}: expected a (low, high) pair of numbers")
        low, high = bounds
        if not all(math.isfinite(float(b)) for b in bounds):
            raise InputError(f"--param {name}={low}:{high}: expected finite bounds")
        if spec.type is int:
            if float(low) != int(low) or float(high) != int(high):
                raise InputError(f"--param {name}={low}:{high}: integer parameter, expected integer bounds")
            low, high = int(low), int(high)
        else:
            low, high = float(low), float(high)
        if not low < high:
            raise InputError(f"--param {name}={low}:{high}: expected LOW < HIGH")
        base.with_params({name: low})   # range checks: ScenarioError with the expected range
        base.with_params({name: high})
        if any(p.name == name for p in out):
            raise InputError(f"--param {name}: given twice")
        out.append(ParamRange(name, low, high, spec.type is int))
    return out


def design_points(ranges: list[ParamRange], design: str = "lhs", samples: int = 16, seed: int = 0) -> pd.DataFrame:
    """The design: one row per point, one column per parameter (integer parameters as int64)."""
    from scipy.stats import qmc

    d = len(ranges)
    if design == "grid":
        import itertools

        levels = [r.levels(samples) for r in ranges]
        size = math.prod(len(v) for v in levels)
        if size > MAX_GRID:
            raise InputError(f"--design grid: {samples} levels of {d} parameters make {size:,} points "
                             f"(at most {MAX_GRID:,}); use fewer --samples, or --design lhs/sobol")
        rows = list(itertools.product(*levels))
        data = {r.name: np.array([row[i] for row in rows]) for i, r in enumerate(ranges)}
    elif design in ("lhs", "sobol"):
        sampler = (qmc.LatinHypercube(d, rng=seed) if design == "lhs"
                   else qmc.Sobol(d, scramble=True, rng=seed))
        u = sampler.random(samples)
        data = {r.name: r.values(u[:, i]) for i, r in enumerate(ranges)}
    else:
        raise InputError(f"--design {design}: expected one of {', '.join(DESIGNS)}")
    df = pd.DataFrame(data)
    for r in ranges:
        df[r.name] = df[r.name].astype(np.int64 if r.integer else np.float64)
    return df


def _custom_points(ranges: list[ParamRange], points: pd.DataFrame) -> pd.DataFrame:
    names = [r.name for r in ranges]
    missing = [n for n in names if n not in points.columns]
    extra = [c for c in points.columns if c not in names]
    if missing or extra:
        raise InputError(f"design: the columns must be the parameters {names}; "
                         f"missing {missing}, unexpected {extra}")
    df = points[names].reset_index(drop=True).copy()
    for r in ranges:
        col = df[r.name].to_numpy(dtype=float)
        if not np.all(np.isfinite(col)) or col.min() < r.low or col.max() > r.high:
            raise InputError(f"design: {r.name}: values outside [{r.low}, {r.high}]")
        if r.integer:
            if not np.all(col == np.rint(col)):
                raise InputError(f"design: {r.name}: integer parameter, expected integer values")
            df[r.name] = col.astype(np.int64)
        else:
            df[r.name] = col
    return df


def _native(v):
    return int(v) if isinstance(v, (np.integer, int)) else float(v)


def _design_table(points: pd.DataFrame, reps: int) -> pd.DataFrame:
    """One row per run: run_id, point, <parameters>, rep, seed."""
    n = len(points)
    point = np.repeat(np.arange(n, dtype=np.int64), reps)
    rep = np.tile(np.arange(reps, dtype=np.int64), n)
    seeds = np.array([replication_seed(r) for r in range(reps)], dtype=np.int64)
    table = pd.DataFrame({"run_id": point * reps + rep, "point": point})
    for c in points.columns:
        table[c] = points[c].to_numpy()[point]
    table["rep"] = rep
    table["seed"] = seeds[rep]
    return table


def _fingerprint(scenario) -> str:
    data = {"name": scenario.name, "description": scenario.description, "steps": scenario.steps,
            "params": scenario.flat()}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _design_hash(table: pd.DataFrame) -> str:
    return hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# The worker side


@dataclass
class ChunkTask:
    """One task: run these runs of the scenario and store them as chunk ``chunk`` of ``folder``."""

    folder: str
    chunk: int
    scenario: Any
    steps: int | None
    names: list[str]
    runs: list[tuple[int, int, int, int, tuple]]  # run_id, point, rep, seed, parameter values


def run_chunk(task: ChunkTask) -> dict:
    """Run one chunk and write its Parquet parts; returns a small report. Runs in the worker."""
    from sim.experiments.simulate import RUN_KEYS, run

    rows, tables, errors = [], [], []
    started = time.perf_counter()
    for run_id, point, rep, seed, values in task.runs:
        params = dict(zip(task.names, values))
        row = {"run_id": run_id, "point": point, **params, "rep": rep, "seed": seed}
        t0 = time.perf_counter()
        try:
            result = run(task.scenario.with_params(params), seed=seed, steps=task.steps)
        except Exception as exc:  # noqa: BLE001 -- a failed run is data; the sweep goes on
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            row.update(status="failed", error=error, duration=time.perf_counter() - t0)
            errors.append((run_id, error))
        else:
            row.update(status="ok", error=None, duration=time.perf_counter() - t0)
            row.update({k: float(v) for k, v in result.summary.items()
                        if k not in RUN_KEYS and _is_number(v)})
            steps = result.steps.copy()
            steps.insert(0, "run_id", np.int64(run_id))
            tables.append(steps)
            del result
        rows.append(row)
    runs = pd.DataFrame(rows)
    runs = runs.astype({"run_id": "int64", "point": "int64", "rep": "int64", "seed": "int64"})
    steps = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame({"run_id": pd.Series([], dtype="int64")})
    storage.write_chunk(Path(task.folder), task.chunk, runs, steps)
    return {"chunk": task.chunk, "runs": len(rows), "failed": len(errors), "errors": errors,
            "seconds": time.perf_counter() - started, "pid": os.getpid()}


# --------------------------------------------------------------------------------------------
# The folder: lock, manifest, resume


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[int | None]:
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform
        yield None
        return
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError(f"--out {folder}: another sweep is writing into this folder") from None
        yield fd
    finally:
        os.close(fd)


def _short(v) -> str:
    text = json.dumps(v, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_same(folder: Path, stored: dict, identity: dict, command: str) -> None:
    if stored.get("format") != FORMAT or stored.get("command") != command:
        raise InputError(f"--out {folder}: holds a {stored.get('command', 'different')} run, not this "
                         f"{command}; use another --out folder")
    old = stored.get("identity", {})
    for key in identity:
        if old.get(key) != identity[key]:
            raise InputError(f"--out {folder}: holds a different {command} ({key}: {_short(old.get(key))} "
                             f"there, {_short(identity[key])} now); use another --out folder, or repeat "
                             "the original command to resume it")


@dataclass
class Plan:
    """Everything a sweep needs, validated; nothing written yet."""

    command: str
    scenario: Any                 # the base Scenario (with --set overrides)
    ranges: list[ParamRange]
    table: pd.DataFrame           # the design table (one row per run)
    steps: int | None
    identity: dict
    arguments: dict
    extra_files: dict[str, str] = field(default_factory=dict)   # written with the manifest

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.ranges]


def make_plan(scenario, params, design="lhs", samples=16, reps=1, steps=None, overrides=None,
              design_seed=0, command="sweep", arguments=None, identity_extra=None) -> Plan:
    """Validate the inputs and build the design table. Raises ScenarioError / InputError."""
    from sim.config.scenario import Scenario, load_scenario

    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if overrides:
        base = base.with_params(dict(overrides))
    reps = check_int(reps, "--reps", 1, "replications per design point")
    samples = check_int(samples, "--samples", 1, "design points, or grid levels per parameter")
    design_seed = check_int(design_seed, "design_seed", 0, "seed of the lhs / sobol design")
    if steps is not None:
        steps = check_int(steps, "--steps", 0, "weeks per run")
    ranges = check_params(base, params, steps)
    if isinstance(design, pd.DataFrame):
        points, design_name = _custom_points(ranges, design), "custom"
    else:
        points, design_name = design_points(ranges, design, samples, design_seed), design
    for values in points.itertuples(index=False):  # every point is a valid scenario
        base.with_params({r.name: _native(v) for r, v in zip(ranges, values)})
    table = _design_table(points, reps)
    identity = {
        "scenario": _fingerprint(base),
        "params": [[r.name, r.low, r.high] for r in ranges],
        "design": design_name,
        "samples": samples if design_name != "custom" else len(points),
        "reps": reps,
        "steps": steps,
        "design_seed": design_seed,
        **(identity_extra or {}),
        "design_sha256": _design_hash(table),
    }
    args = {"scenario": str(scenario) if not isinstance(scenario, Scenario) else scenario.name,
            "params": {r.name: [r.low, r.high] for r in ranges}, "design": design_name,
            "samples": identity["samples"], "reps": reps, "steps": steps,
            "set": dict(overrides or {}), "design_seed": design_seed, **(arguments or {})}
    return Plan(command, base, ranges, table, steps, identity, args)


def _chunks(table: pd.DataFrame, starts: list[int], names: list[str]) -> list[list[tuple]]:
    """The runs of the design table cut into chunks beginning at ``starts``, in run_id order."""
    cols = ["run_id", "point", "rep", "seed", *names]
    rows = [(int(r[0]), int(r[1]), int(r[2]), int(r[3]), tuple(_native(v) for v in r[4:]))
            for r in table[cols].itertuples(index=False, name=None)]
    bounds = [*starts, len(rows)]
    return [rows[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def chunk_starts(n_runs: int, workers: int, size: int | None = None) -> list[int]:
    """Where each chunk begins: every ``size`` runs, or (``size=None``) guided by the worker count.

    Guided: each chunk takes ``1 / (4 * workers)`` of the runs still left (between 1 and 50), so
    chunks are large while there is much to do and single runs at the end, where they balance the
    workers. The boundaries are stored in the manifest; resuming reuses them.
    """
    if size is not None:
        return list(range(0, n_runs, size))
    starts, start = [], 0
    while start < n_runs:
        starts.append(start)
        start += max(1, min(MAX_CHUNK, math.ceil((n_runs - start) / (CHUNKS_PER_WORKER * max(1, workers)))))
    return starts


def execute(plan: Plan, executor="process", out=None, workers=None, dask_address=None, progress=True,
            chunk_size: int | None = None, retry_failed: bool = False) -> "SweepResult":
    """Run a validated plan into ``out`` (resuming what is there). The engine of sweep and sensitivity."""
    workers = check_executor(executor, workers)  # checked here, before the folder is made
    if chunk_size is not None:
        chunk_size = check_int(chunk_size, "chunk_size", 1, "runs per chunk")
    folder = prepare(out if out is not None else default_dir(plan.command, [plan.scenario.name]),
                     plan.command).resolve()
    n_runs = len(plan.table)
    if not storage.is_store(folder):
        ours = {storage.SCENARIO, storage.DESIGN, LOCK, *plan.extra_files}
        foreign = sorted(p.name for p in folder.iterdir()
                         if p.name not in ours and not (p.name.startswith(".") and p.name.endswith(".tmp")))
        if foreign:
            raise InputError(f"--out {folder}: not empty and holds no {plan.command} (e.g. {foreign[0]}); "
                             "expected a new or empty folder, or the folder of a sweep to resume")
    with _lock(folder) as lock_fd:
        stored = storage.read_manifest(folder)
        if stored is not None:
            _check_same(folder, stored, plan.identity, plan.command)
            if stored.get("code") != code_version():
                warnings.warn(f"the code in sim/ changed since the sweep in {folder} started; the runs "
                              "stored before come from the older code", UserWarning, stacklevel=caller_level())
            if chunk_size is not None and chunk_size != stored["chunk_size"]:
                raise InputError(f"chunk_size {chunk_size}: this folder's sweep uses other chunks "
                                 f"({stored['chunk_size'] or 'guided'}); leave it unset to resume")
        else:
            leftovers = storage.completed_chunks(folder) or (folder / storage.RUNS).exists()
            if leftovers:
                raise InputError(f"--out {folder}: holds results without a {storage.MANIFEST}; "
                                 "use another --out folder")
        storage.clean_temporaries(folder)
        done = set(storage.completed_chunks(folder))
        if stored is not None:
            chunks = _chunks(plan.table, stored["chunk_starts"], plan.names)
            if retry_failed:
                done -= _chunks_with_failures(folder)
            todo = [c for c in range(len(chunks)) if c not in done]
            if not todo:
                return _finished(folder, n_runs)
        with open_executor(executor, workers, dask_address, lock_fd=lock_fd) as (ex, n_workers, label):
            if stored is None:
                starts = chunk_starts(n_runs, n_workers, chunk_size)
                _write_start(folder, plan, chunk_size, starts, label)
                chunks = _chunks(plan.table, starts, plan.names)
                todo = list(range(len(chunks)))
            already = sum(len(chunks[c]) for c in range(len(chunks)) if c not in todo)
            tasks = [ChunkTask(str(folder), c, plan.scenario, plan.steps, plan.names, chunks[c]) for c in todo]
            _drive(ex, n_workers, tasks, n_runs, already, progress, folder, plan.command)
    return _finished(folder, n_runs)


def _finished(folder: Path, n_runs: int) -> "SweepResult":
    """The result of a complete sweep; warns how many runs failed."""
    result = SweepResult(folder)
    n_failed = result.n_failed
    if n_failed:
        first = result.sql("SELECT error FROM runs WHERE status = 'failed' ORDER BY run_id LIMIT 1").iloc[0, 0]
        warnings.warn(f"{n_failed} of {n_runs} runs failed (first: {first}); see the runs table's "
                      "status and error columns", RuntimeWarning, stacklevel=caller_level())
    return result


def code_version() -> str:
    """A fingerprint of the package's source (every ``.py`` file under ``sim/``), stored in the manifest."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def kpi_names() -> tuple[str, ...]:
    """The KPI columns of the runs table: every declared numeric outcome of a run's summary."""
    from sim.analysis.kpis import OUTCOMES

    return OUTCOMES


def _chunks_with_failures(folder: Path) -> set[int]:
    import pyarrow.parquet as pq

    out = set()
    for c in storage.completed_chunks(folder):
        status = pq.read_table(folder / storage.RUNS / storage.part_name(c), columns=["status"])
        if "failed" in status.column(0).to_pylist():
            out.add(c)
    return out


def _write_start(folder: Path, plan: Plan, chunk_size: int | None, starts: list[int], label: str) -> None:
    """Scenario, design and extra files first; the manifest last (it marks a started sweep)."""
    import importlib.metadata as md

    atomic_write_text(folder / storage.SCENARIO, plan.scenario.to_toml())
    storage.write_parquet_atomic(plan.table, folder / storage.DESIGN)
    for name, text in plan.extra_files.items():
        atomic_write_text(folder / name, text)
    versions = {"python": platform.python_version()}
    for pkg in ("mesa", "numpy", "pandas", "scipy"):
        with contextlib.suppress(md.PackageNotFoundError):
            versions[pkg] = md.version(pkg)
    write_json(folder / storage.MANIFEST, {
        "format": FORMAT,
        "command": plan.command,
        "arguments": {**plan.arguments, "executor": label},
        "identity": plan.identity,
        "scenario": plan.scenario.name,
        "parameters": plan.names,
        "n_points": int(plan.table["point"].nunique()),
        "n_runs": len(plan.table),
        "chunk_size": None if chunk_size is None else int(chunk_size),
        "n_chunks": len(starts),
        "chunk_starts": [int(x) for x in starts],
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "code": code_version(),
        "versions": versions,
    })


def _drive(ex, n_workers: int, tasks: list[ChunkTask], total: int, already: int, progress: bool,
           folder: Path, command: str) -> None:
    """Run the chunk tasks (at most two per worker in flight); a chunk that breaks stops new ones."""
    failed_runs = 0

    def advance(bar, report):
        nonlocal failed_runs
        failed_runs += report["failed"]
        bar.update(report["runs"])
        bar.set_postfix(failed=failed_runs)

    results = run_tasks(ex, run_chunk, tasks, window=max(2 * n_workers, 2), failures="stop", progress=progress,
                        advance=advance, desc=command, total=total, initial=already, smoothing=0.05,
                        postfix={"failed": 0})
    broken = [(task.chunk, r) for task, r in zip(tasks, results) if isinstance(r, BaseException)]
    if broken:
        chunk, exc = broken[0]
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise SweepIncomplete(f"{len(broken)} chunk(s) could not be run or stored (chunk {chunk}: "
                              f"{type(exc).__name__}: {msg}); the other runs are in {folder}; "
                              "run the same command again to finish")


# --------------------------------------------------------------------------------------------
# Results


class SweepResult:
    """A sweep's results store (a folder): ``runs``, ``steps``, ``design``, ``sql()``, ``manifest``."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.manifest = storage.read_manifest(self.folder)
        if self.manifest is None:
            raise InputError(f"{self.folder}: not a sweep folder (no {storage.MANIFEST})")
        self._cache: dict[str, pd.DataFrame] = {}

    def sql(self, query: str) -> pd.DataFrame:
        """Run SQL (DuckDB) over the tables ``runs``, ``steps`` and ``design``."""
        return storage.query(self.folder, query)

    def _table(self, name: str, order: str) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = self.sql(f"SELECT * FROM {name} ORDER BY {order}")
        return self._cache[name]

    @property
    def runs(self) -> pd.DataFrame:
        """One row per stored run, sorted by run_id."""
        return self._table("runs", "run_id")

    @property
    def steps(self) -> pd.DataFrame:
        """run_id + the step table of every successful run, sorted by run_id and step."""
        return self._table("steps", "run_id, step")

    @property
    def design(self) -> pd.DataFrame:
        """Every planned run: run_id, point, parameters, rep, seed."""
        return self._table("design", "run_id")

    @property
    def n_runs(self) -> int:
        return int(self.manifest["n_runs"])

    @property
    def n_done(self) -> int:
        return int(self.sql("SELECT count(*) FROM runs").iloc[0, 0])

    @property
    def n_failed(self) -> int:
        return int(self.sql("SELECT count(*) FROM runs WHERE status = 'failed'").iloc[0, 0])

    @property
    def complete(self) -> bool:
        return self.n_done == self.n_runs

    def __repr__(self) -> str:
        return (f"SweepResult({str(self.folder)!r}, runs={self.n_done}/{self.n_runs}, "
                f"failed={self.n_failed})")


def load_sweep(folder: str | Path) -> SweepResult:
    """Open the results store a sweep (or sensitivity analysis) wrote."""
    return SweepResult(folder)


# --------------------------------------------------------------------------------------------
# The public function and parsing --param


def sweep(scenario, params: Mapping[str, tuple], design="lhs", samples: int = 16, reps: int = 1,
          steps: int | None = None, executor="process", out=None, workers: int | None = None,
          dask_address: str | None = None, progress: bool = True, set: Mapping[str, Any] | None = None,
          *, design_seed: int = 0, chunk_size: int | None = None, retry_failed: bool = False) -> SweepResult:
    """Run a parameter sweep with replications into a Parquet results store; see the module help.

    ``params``: ``{"dotted.name": (low, high)}``. ``design``: ``"grid"`` (``samples`` levels per
    parameter), ``"lhs"``, ``"sobol"`` (``samples`` points) or a DataFrame of points.
    ``set``: overrides applied to every run. ``out``: the folder (default
    ``outputs/sweep-<scenario>-<time>``); a folder holding the same sweep is resumed.
    ``chunk_size``: runs per task and per Parquet part (default: guided, see :func:`chunk_starts`).
    ``retry_failed``: run again the chunks that hold failed runs.
    """
    plan = make_plan(scenario, params, design, samples, reps, steps, overrides=set, design_seed=design_seed,
                     arguments={"workers": workers, "dask_address": dask_address})
    return execute(plan, executor=executor, out=out, workers=workers, dask_address=dask_address,
                   progress=progress, chunk_size=chunk_size, retry_failed=retry_failed)


def _number(text: str):
    import tomllib

    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return None
    return value if _is_number(value) else None


def parse_param(text: str) -> tuple[str, tuple]:
    """``"market.base_churn=0.002:0.01"`` -> ``("market.base_churn", (0.002, 0.01))``."""
    example = "e.g. --param market.base_churn=0.002:0.01"
    if "=" not in text:
        raise InputError(f"--param {text}: expected NAME=LOW:HIGH, {example}")
    name, rng = (s.strip() for s in text.split("=", 1))
    parts = rng.split(":")
    if not name or len(parts) != 2:
        raise InputError(f"--param {text}: expected NAME=LOW:HIGH, {example}")
    low, high = (_number(p) for p in parts)
    if low is None or high is None:
        raise InputError(f"--param {text}: LOW and HIGH must be numbers, {example}")
    return name, (low, high)


def parse_params(texts) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for t in texts:
        name, bounds = parse_param(t)
        if name in out:
            raise InputError(f"--param {name}: given twice")
        out[name] = bounds
    return out
