"""One executor interface for compare, sweep and sensitivity: where tasks run, and how they are collected.

    with open_executor("process", workers=4) as (ex, n_workers, label):
        results = run_tasks(ex, fn, tasks, desc="runs")

``open_executor`` turns a spec into a ``concurrent.futures.Executor``: ``"none"`` (inline, in this
process), ``"process"`` (this module's process pool, the default), ``"dask"`` (a Dask
``LocalCluster``, or the scheduler at ``dask_address``), a ``dask.distributed.Client``, or any
``concurrent.futures.Executor`` (used as given, never shut down). ``run_tasks`` submits, shows the
progress bar and returns the results in task order.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from sim.io.errors import InputError, check_int

__all__ = [
    "EXECUTORS",
    "DASK_CONFIG",
    "InlineExecutor",
    "check_executor",
    "open_executor",
    "run_tasks",
    "process_pool",
    "local_cluster",
    "cpus",
]

EXECUTORS = ("none", "process", "dask")

#: Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536, which makes glibc hand freed memory
#: back to the OS at once; the model allocates and frees large arrays every step, so each run then
#: page-faults ~10^5 times and takes 15-35 % longer. Unset, glibc keeps its default (dynamic) policy.
DASK_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


class InlineExecutor(cf.Executor):
    """``executor="none"``: run each task at submit time, in this process."""

    def submit(self, fn, /, *args, **kwargs):
        fut = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 -- the caller sees it through the future
            fut.set_exception(exc)
        return fut


def cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _is_dask_client(obj) -> bool:
    return type(obj).__name__ == "Client" and type(obj).__module__.startswith("distributed")


def check_executor(executor, workers=None, flag: Callable[[str], str] = lambda f: f"--{f}") -> int | None:
    """Refuse a bad executor spec or worker count (before any folder is made); the checked worker count.

    ``flag`` words the messages (``--workers`` on the command line, ``workers =`` in Python)."""
    if workers is not None:
        workers = check_int(workers, flag("workers"), 1, "worker processes")
    if not (
        isinstance(executor, str)
        and executor in EXECUTORS
        or isinstance(executor, cf.Executor)
        or _is_dask_client(executor)
    ):
        raise InputError(
            f"{flag('executor')} {executor!r}: expected one of {', '.join(EXECUTORS)} or a concurrent.futures.Executor"
        )
    return workers


# --- the process pool ----------------------------------------------------------------------------


def _watch_parent(ppid: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != ppid:  # the parent was killed: do not linger as an orphan
            os._exit(1)


def _worker_init(ppid: int, lock_fd: int | None) -> None:
    """Process-pool worker start: drop the inherited folder lock; exit if the parent dies."""
    if lock_fd is not None:
        with contextlib.suppress(OSError):
            os.close(lock_fd)
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True, name="watch-parent").start()


def process_pool(workers: int, lock_fd: int | None = None) -> cf.ProcessPoolExecutor:
    """The process pool of ``executor="process"``: forked workers (Linux) that inherit the model's
    imports, drop the folder lock ``lock_fd`` and exit when the process that started them dies."""
    import multiprocessing

    import sim.experiments.simulate  # noqa: F401 -- imported once here, inherited by forked workers

    ctx = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    return cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(), lock_fd)
    )


@contextlib.contextmanager
def _owned_pool(n: int, lock_fd: int | None) -> Iterator[cf.ProcessPoolExecutor]:
    pool = process_pool(n, lock_fd)
    try:
        yield pool
    except BaseException:  # interrupted or failed: stop our workers now; their unfinished tasks are lost
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)


# --- Dask ----------------------------------------------------------------------------------------


def local_cluster(workers: int | None = None, **kwargs):
    """A Dask ``LocalCluster`` set up for sweeps: one single-threaded worker process per core,
    no dashboard, quiet, without Dask's malloc trimming (see :data:`DASK_CONFIG`)."""
    import logging

    import dask
    from dask.distributed import LocalCluster

    options = dict(
        n_workers=workers or cpus(),
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    with dask.config.set(DASK_CONFIG):
        return LocalCluster(**{**options, **kwargs})


@contextlib.contextmanager
def _dask(workers: int | None, dask_address: str | None):
    from dask.distributed import Client

    cluster = None
    if dask_address:
        try:
            client = Client(dask_address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                f"--dask-address {dask_address}: cannot connect to a Dask scheduler ({' '.join(str(exc).split())})"
            ) from None
    else:
        cluster = local_cluster(workers or cpus())
        client = Client(cluster)
    try:
        n = sum(client.nthreads().values()) or (workers or 1)
        where = dask_address or f"LocalCluster({len(client.nthreads())} workers)"
        yield client.get_executor(pure=False), n, f"dask {where}"
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --- the interface -------------------------------------------------------------------------------


@contextlib.contextmanager
def open_executor(
    executor="process",
    workers: int | None = None,
    dask_address: str | None = None,
    *,
    lock_fd: int | None = None,
    most: int | None = None,
) -> Iterator[tuple[cf.Executor, int, str]]:
    """Yield ``(executor, number of workers, label)`` for an executor spec; shut down what it started.

    ``workers``: processes of a pool or a ``LocalCluster`` (default: every CPU), at most ``most``
    (e.g. the number of tasks). ``lock_fd``: a descriptor pool workers close at start (the sweep's
    folder lock). An executor or Client passed in is used and left running.
    """
    workers = check_executor(executor, workers)
    if isinstance(executor, str) and executor == "none":
        yield InlineExecutor(), 1, "none"
    elif isinstance(executor, str) and executor == "process":
        n = max(1, min(workers or cpus(), most if most is not None else sys.maxsize))
        with _owned_pool(n, lock_fd) as pool:
            yield pool, n, f"process pool ({n} workers)"
    elif isinstance(executor, str):  # "dask"
        with _dask(workers, dask_address) as opened:
            yield opened
    elif _is_dask_client(executor):
        n = sum(executor.nthreads().values()) or 1
        yield executor.get_executor(pure=False), n, "dask client"
    else:
        n = getattr(executor, "_max_workers", None)
        client = getattr(executor, "_client", None)
        if n is None and client is not None and hasattr(client, "nthreads"):
            n = sum(client.nthreads().values())
        yield executor, int(n or workers or cpus()), type(executor).__name__


def run_tasks(
    executor: cf.Executor,
    fn: Callable[[Any], Any],
    tasks,
    *,
    window: int | None = None,
    failures: str = "raise",
    describe: Callable[[Any], str] = lambda t: f"task {t!r:.200}",
    progress: bool = True,
    advance: Callable[[Any, Any], None] | None = None,
    desc: str = "runs",
    **bar,
) -> list:
    """Run ``fn(task)`` for every task on ``executor``; the results in task order.

    Args:
        window: tasks in flight at most (default: all; an inline executor runs one at a time).
        failures: ``"raise"`` the first failure at once, with a note ``in <describe(task)>``;
            ``"return"`` a failure as its task's result; ``"stop"`` likewise, but once a task has
            failed no further task starts (those give None).
        progress, desc, bar: a tqdm bar on stderr (``bar``: more tqdm options, e.g. ``total``).
        advance: ``advance(bar, result)`` moves the bar for a successful result (default: one step
            for every task, failed or not).
    """
    from tqdm.auto import tqdm

    if failures not in ("raise", "return", "stop"):
        raise ValueError(f"failures = {failures!r}: expected 'raise', 'return' or 'stop'")
    tasks = list(tasks)
    results: list = [None] * len(tasks)
    inline = isinstance(executor, InlineExecutor)
    window = 1 if inline else max(1, window or len(tasks))
    pending = iter(enumerate(tasks))
    inflight: dict[cf.Future, int] = {}
    failed = False
    progress_bar = None

    def fill():
        while len(inflight) < window and not (failed and failures == "stop"):
            item = next(pending, None)
            if item is None:
                return
            inflight[executor.submit(fn, item[1])] = item[0]

    def start_bar():
        options = {"total": len(tasks), "unit": "run", **bar}
        return tqdm(desc=desc, file=sys.stderr, disable=not progress, dynamic_ncols=True, **options)

    try:
        if inline:
            progress_bar = start_bar()
            fill()
        else:
            fill()  # pool workers start (fork) before the progress bar starts its monitor thread
            progress_bar = start_bar()
        while inflight:
            done, _ = cf.wait(list(inflight), return_when=cf.FIRST_COMPLETED)
            for fut in done:
                i = inflight.pop(fut)
                ok = True
                try:
                    results[i] = fut.result()
                except Exception as exc:  # noqa: BLE001 -- raised or returned, as asked
                    if failures == "raise":
                        exc.add_note(f"in {describe(tasks[i])}")
                        raise
                    results[i], failed, ok = exc, True, False
                if advance is None:
                    progress_bar.update()
                elif ok:
                    advance(progress_bar, results[i])
            fill()
    except BaseException:  # drop what has not started (pools we own are stopped by their owner)
        for fut in inflight:
            fut.cancel()
        raise
    finally:
        if progress_bar is not None:
            progress_bar.close()
    return results
