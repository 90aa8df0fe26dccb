"""Running a sweep's plan into its folder: chunks, the folder lock, the manifest, resuming.

* **Chunks.** Runs are cut into chunks (guided by the number of workers: large first, single runs
  at the end; or ``chunk_size`` runs each), stored in the manifest; one task per chunk. The
  worker that runs a chunk writes its two Parquet parts when the whole chunk is done, atomically
  (see :mod:`sim.experiments.store`).
* **Resume.** Started again with the same arguments and folder, a sweep runs only the chunks that
  are not complete and ends with the same data as an uninterrupted sweep. A folder holding a
  different sweep is refused.
* **Failures.** A run that raises is stored with ``status = "failed"`` and ``error = "Type:
  message"``; the sweep goes on and warns at the end how many failed.
"""

from __future__ import annotations

import contextlib
import importlib.metadata as md
import json
import math
import os
import platform
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments import store as storage
from sim.experiments.design import is_number
from sim.experiments.executors import check_executor, open_executor, run_tasks
from sim.experiments.plan import Plan, code_version, native
from sim.experiments.results import SweepResult
from sim.io.errors import InputError, caller_level, check_int
from sim.io.outputs import atomic_write_text, default_dir, prepare, write_json

FORMAT = 1
MAX_CHUNK = 50  # runs per chunk, at most (guided chunks)
CHUNKS_PER_WORKER = 4  # guided chunks: a chunk takes 1 / (4 * workers) of the runs still left
LOCK = storage.LOCK


class SweepIncomplete(RuntimeError):
    """Some chunks could not be run or stored (a worker died, the disk filled...). Resumable."""


# --- the worker side -----------------------------------------------------------------------------


@dataclass
class ChunkTask:
    """One task: run these runs of the scenario and store them as chunk ``chunk`` of ``folder``."""

    folder: str
    chunk: int
    scenario: Any  # the scenario, or a list of policies indexed by the runs' ``policy`` column
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
        scenario = task.scenario
        if isinstance(scenario, list):  # robust: this run's policy, in this run's future
            scenario = scenario[int(params.pop("policy"))]
            params.pop("future", None)
        t0 = time.perf_counter()
        try:
            result = run(scenario.with_params(params), seed=seed, steps=task.steps)
        except Exception as exc:  # noqa: BLE001 -- a failed run is data; the sweep goes on
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            row.update(status="failed", error=error, duration=time.perf_counter() - t0)
            errors.append((run_id, error))
        else:
            row.update(status="ok", error=None, duration=time.perf_counter() - t0)
            row.update({k: float(v) for k, v in result.summary.items() if k not in RUN_KEYS and is_number(v)})
            steps = result.steps.copy()
            steps.insert(0, "run_id", np.int64(run_id))
            tables.append(steps)
            del result
        rows.append(row)
    runs = pd.DataFrame(rows)
    runs = runs.astype({"run_id": "int64", "point": "int64", "rep": "int64", "seed": "int64"})
    steps = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame({"run_id": pd.Series([], dtype="int64")})
    storage.write_chunk(Path(task.folder), task.chunk, runs, steps)
    return {
        "chunk": task.chunk,
        "runs": len(rows),
        "failed": len(errors),
        "errors": errors,
        "seconds": time.perf_counter() - started,
        "pid": os.getpid(),
    }


def chunks(table: pd.DataFrame, starts: list[int], names: list[str]) -> list[list[tuple]]:
    """The runs of the design table cut into chunks beginning at ``starts``, in run_id order."""
    cols = ["run_id", "point", "rep", "seed", *names]
    rows = [
        (int(r[0]), int(r[1]), int(r[2]), int(r[3]), tuple(native(v) for v in r[4:]))
        for r in table[cols].itertuples(index=False, name=None)
    ]
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


# --- the folder: lock, manifest, resume ----------------------------------------------------------


def _short(v) -> str:
    text = json.dumps(v, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_same(folder: Path, stored: dict, identity: dict, command: str) -> None:
    if stored.get("format") != FORMAT or stored.get("command") != command:
        raise InputError(
            f"--out {folder}: holds a {stored.get('command', 'different')} run, not this "
            f"{command}; use another --out folder"
        )
    old = stored.get("identity", {})
    for key in identity:
        if old.get(key) != identity[key]:
            raise InputError(
                f"--out {folder}: holds a different {command} ({key}: {_short(old.get(key))} "
                f"there, {_short(identity[key])} now); use another --out folder, or repeat "
                "the original command to resume it"
            )


def _refuse_foreign(folder: Path, plan: Plan) -> None:
    """A folder that is not (yet) a store may hold only what a starting sweep writes."""
    ours = {storage.SCENARIO, storage.DESIGN, LOCK, *plan.extra_files}
    foreign = sorted(
        p.name
        for p in folder.iterdir()
        if p.name not in ours and not (p.name.startswith(".") and p.name.endswith(".tmp"))
    )
    if foreign:
        raise InputError(
            f"--out {folder}: not empty and holds no {plan.command} (e.g. {foreign[0]}); "
            "expected a new or empty folder, or the folder of a sweep to resume"
        )


def _check_stored(folder: Path, stored: dict | None, plan: Plan, chunk_size: int | None) -> None:
    """Resume only the same sweep, with its own chunks; refuse results without a manifest."""
    if stored is not None:
        _check_same(folder, stored, plan.identity, plan.command)
        if stored.get("code") != code_version():
            warnings.warn(
                f"the code in sim/ changed since the sweep in {folder} started; the runs "
                "stored before come from the older code",
                UserWarning,
                stacklevel=caller_level(),
            )
        if chunk_size is not None and chunk_size != stored["chunk_size"]:
            raise InputError(
                f"chunk_size {chunk_size}: this folder's sweep uses other chunks "
                f"({stored['chunk_size'] or 'guided'}); leave it unset to resume"
            )
    elif storage.completed_chunks(folder) or (folder / storage.RUNS).exists():
        raise InputError(f"--out {folder}: holds results without a {storage.MANIFEST}; use another --out folder")


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
    atomic_write_text(folder / storage.SCENARIO, plan.scenario.to_toml())
    storage.write_parquet_atomic(plan.table, folder / storage.DESIGN)
    for name, text in plan.extra_files.items():
        atomic_write_text(folder / name, text)
    versions = {"python": platform.python_version()}
    for pkg in ("mesa", "numpy", "pandas", "scipy"):
        with contextlib.suppress(md.PackageNotFoundError):
            versions[pkg] = md.version(pkg)
    write_json(
        folder / storage.MANIFEST,
        {
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
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "code": code_version(),
            "versions": versions,
        },
    )


# --- running -------------------------------------------------------------------------------------


def _drive(
    ex, n_workers: int, tasks: list[ChunkTask], total: int, already: int, progress: bool, folder: Path, command: str
) -> None:
    """Run the chunk tasks (at most two per worker in flight); a chunk that breaks stops new ones."""
    failed_runs = 0

    def advance(bar, report):
        nonlocal failed_runs
        failed_runs += report["failed"]
        bar.update(report["runs"])
        bar.set_postfix(failed=failed_runs)

    results = run_tasks(
        ex,
        run_chunk,
        tasks,
        window=max(2 * n_workers, 2),
        failures="stop",
        progress=progress,
        advance=advance,
        desc=command,
        total=total,
        initial=already,
        smoothing=0.05,
        postfix={"failed": 0},
    )
    broken = [(task.chunk, r) for task, r in zip(tasks, results) if isinstance(r, BaseException)]
    if broken:
        chunk, exc = broken[0]
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise SweepIncomplete(
            f"{len(broken)} chunk(s) could not be run or stored (chunk {chunk}: "
            f"{type(exc).__name__}: {msg}); the other runs are in {folder}; "
            "run the same command again to finish"
        )


def execute(
    plan: Plan,
    executor="process",
    out=None,
    workers=None,
    dask_address=None,
    progress=True,
    chunk_size: int | None = None,
    retry_failed: bool = False,
) -> SweepResult:
    """Run a validated plan into ``out`` (resuming what is there). The engine of sweep and sensitivity."""
    workers = check_executor(executor, workers)  # checked here, before the folder is made
    if chunk_size is not None:
        chunk_size = check_int(chunk_size, "chunk_size", 1, "runs per chunk")
    target = Path(out if out is not None else default_dir(plan.command, [plan.scenario.name]))
    fresh = not target.exists()
    folder = prepare(target, plan.command).resolve()
    n_runs = len(plan.table)
    if not storage.is_store(folder):
        _refuse_foreign(folder, plan)
    locked = False
    try:
        with storage.writer_lock(folder, f"--out {folder}: another sweep is writing into this folder") as lock_fd:
            locked = True
            return _run_locked(plan, folder, lock_fd, executor, workers, dask_address, progress, chunk_size,
                               retry_failed, n_runs)  # fmt: skip
    except BaseException:
        if locked and storage.read_manifest(folder) is None:  # nothing started: leave nothing behind
            (folder / LOCK).unlink(missing_ok=True)
            if fresh and not any(folder.iterdir()):
                folder.rmdir()
        raise


def _run_locked(plan, folder, lock_fd, executor, workers, dask_address, progress, chunk_size, retry_failed, n_runs):
    """The body of :func:`execute` under the folder's lock: check what is there, run what is missing."""
    stored = storage.read_manifest(folder)
    _check_stored(folder, stored, plan, chunk_size)
    storage.clean_temporaries(folder)
    checked = storage.verify(folder, repair=True)  # damaged or unfinished chunks: quarantined, rerun
    if checked.line():
        warnings.warn(checked.line(resuming=True), UserWarning, stacklevel=caller_level())
    done = set(checked.ok)
    if stored is not None:
        parts = chunks(plan.table, stored["chunk_starts"], plan.names)
        if retry_failed:
            done -= _chunks_with_failures(folder)
        todo = [c for c in range(len(parts)) if c not in done]
        if not todo:
            return _finished(folder, n_runs)
    with open_executor(executor, workers, dask_address, lock_fd=lock_fd) as (ex, n_workers, label):
        if stored is None:
            starts = chunk_starts(n_runs, n_workers, chunk_size)
            _write_start(folder, plan, chunk_size, starts, label)
            parts = chunks(plan.table, starts, plan.names)
            todo = list(range(len(parts)))
        already = sum(len(parts[c]) for c in range(len(parts)) if c not in todo)
        scenario = plan.policies if plan.policies is not None else plan.scenario
        tasks = [ChunkTask(str(folder), c, scenario, plan.steps, plan.names, parts[c]) for c in todo]
        _drive(ex, n_workers, tasks, n_runs, already, progress, folder, plan.command)
    return _finished(folder, n_runs)


def _finished(folder: Path, n_runs: int) -> SweepResult:
    """The result of a complete sweep; warns how many runs failed."""
    result = SweepResult(folder)
    n_failed = result.n_failed
    if n_failed:
        first = result.sql("SELECT error FROM runs WHERE status = 'failed' ORDER BY run_id LIMIT 1").iloc[0, 0]
        warnings.warn(
            f"{n_failed} of {n_runs} runs failed (first: {first}); see the runs table's status and error columns",
            RuntimeWarning,
            stacklevel=caller_level(),
        )
    return result
