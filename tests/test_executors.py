"""The one executor interface: specs, labels, task order, failures, and one process pool for everything."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sim.experiments.executors import InlineExecutor, check_executor, open_executor, run_tasks
from sim.io.errors import InputError

SIM = Path(__file__).resolve().parent.parent / "sim"


def _slow_square(x: int) -> int:
    time.sleep(0.05 * (3 - x) if x < 3 else 0)
    if x < 0:
        raise ValueError(f"negative {x}")
    return x * x


def test_results_come_back_in_task_order():
    with ThreadPoolExecutor(3) as pool:  # the first tasks finish last
        assert run_tasks(pool, _slow_square, [0, 1, 2, 3], progress=False) == [0, 1, 4, 9]
    assert run_tasks(InlineExecutor(), _slow_square, [2, 3], progress=False) == [4, 9]
    assert run_tasks(InlineExecutor(), _slow_square, [], progress=False) == []


def test_a_failure_is_raised_naming_its_task_or_returned():
    with pytest.raises(ValueError, match="negative -1") as err:
        run_tasks(InlineExecutor(), _slow_square, [1, -1, 2], progress=False, describe=lambda t: f"task {t}")
    assert err.value.__notes__ == ["in task -1"]
    out = run_tasks(InlineExecutor(), _slow_square, [1, -1, 2], failures="return", progress=False)
    assert out[0] == 1 and isinstance(out[1], ValueError) and out[2] == 4


def test_stop_starts_no_task_after_a_failure_but_finishes_those_in_flight():
    started = []
    gate = threading.Event()

    def task(x):
        started.append(x)
        if x == 0:
            raise RuntimeError("broken")
        gate.wait(5)
        return x

    with ThreadPoolExecutor(2) as pool:
        timer = threading.Timer(0.2, gate.set)
        timer.start()
        out = run_tasks(pool, task, [0, 1, 2, 3], window=2, failures="stop", progress=False)
    assert isinstance(out[0], RuntimeError) and out[1] == 1 and out[2:] == [None, None]
    assert sorted(started) == [0, 1]


def test_bad_specs_are_one_line_input_errors():
    for bad, message in [
        ("threads", "--executor 'threads': expected one of none, process, dask"),
        (4, "--executor 4: expected one of none, process, dask"),
    ]:
        with pytest.raises(InputError, match=message):
            check_executor(bad)
    with pytest.raises(InputError, match=r"^workers = 0: expected an integer >= 1"):
        check_executor("process", 0, flag=lambda f: f"{f} =")
    with pytest.raises(InputError, match="--executor"):
        with open_executor("threads"):
            pass
    assert check_executor("none", 3) == 3


def test_labels_and_worker_counts():
    with open_executor("none") as (ex, n, label):
        assert isinstance(ex, InlineExecutor) and (n, label) == (1, "none")
    with open_executor("process", workers=4, most=2) as (ex, n, label):
        assert (n, label) == (2, "process pool (2 workers)")
        assert ex.submit(_slow_square, 3).result() == 9
    with ThreadPoolExecutor(3) as pool:
        with open_executor(pool) as (ex, n, label):
            assert ex is pool and (n, label) == (3, "ThreadPoolExecutor")
        assert pool.submit(int, 1).result() == 1  # a given executor is left running


def test_one_process_pool_in_the_package():
    """compare, sweep and sensitivity all get their pool from sim.experiments.executors."""
    makers = [
        p.relative_to(SIM).as_posix()
        for p in SIM.rglob("*.py")
        if re.search(r"ProcessPoolExecutor\(|multiprocessing\.(get_context|Pool)\(", p.read_text())
    ]
    assert makers == ["experiments/executors.py"]
