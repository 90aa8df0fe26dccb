"""Dask: the same tables as in-process and a process pool, on a LocalCluster and on a plain
`dask scheduler` / `dask worker` pair, for sweeps and comparisons; the SLURM set-up of docs/cluster.md
renders the documented job."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main
from sim.experiments.results import load_sweep
from sim.experiments.sweep import sweep

pytest.importorskip("dask.distributed")

SMALL = {
    "scenario.warmup": 0,
    "market.initial_customers": 300,
    "market.market_potential": 2550,
    "organization.teams": 3,
    "organization.team_size": 6,
}
PARAMS = {"market.base_churn": (0.002, 0.01), "organization.teams": (2, 4)}
KW = dict(design="sobol", samples=4, reps=2, steps=10, set=SMALL, progress=False)
DASK = Path(sys.executable).with_name("dask")
DOCS = (Path(__file__).resolve().parent.parent / "docs" / "cluster.md").read_text()


def _docs_block(language: str, containing: str) -> str:
    """The fenced ``language`` block of docs/cluster.md that contains ``containing``."""
    return next(b for b in re.findall(rf"^```{language}\n(.*?)^```", DOCS, re.S | re.M) if containing in b)


def _tables(res):
    return (
        res.runs.drop(columns="duration").sort_values("run_id").reset_index(drop=True),
        res.steps.sort_values(["run_id", "step"]).reset_index(drop=True),
    )


def _same(a, b):
    for x, y in zip(_tables(a), _tables(b)):
        pd.testing.assert_frame_equal(x, y)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return sweep("baseline", PARAMS, executor="none", out=tmp_path_factory.mktemp("none"), **KW)


def test_none_process_and_dask_localcluster_give_identical_tables(reference, tmp_path):
    process = sweep("baseline", PARAMS, executor="process", workers=2, out=tmp_path / "process", **KW)
    dask = sweep("baseline", PARAMS, executor="dask", workers=2, out=tmp_path / "dask", **KW)
    assert dask.manifest["arguments"]["executor"] == "dask LocalCluster(2 workers)"
    assert len(reference.runs) == 8 and (reference.runs["status"] == "ok").all()
    _same(reference, process)
    _same(reference, dask)
    # chunks were run by both workers of the cluster, and written by them
    assert dask.manifest["n_chunks"] == 8  # guided chunking for 2 workers: single runs


def test_compare_on_a_dask_localcluster_gives_the_in_process_tables():
    from sim import compare

    kw = dict(reps=2, steps=5, params=SMALL, progress=False)
    inline = compare(["baseline", "km"], executor="none", **kw)
    dask = compare(["baseline", "km"], executor="dask", workers=2, **kw)
    assert dask.executor == "dask"
    for name in ("runs", "steps", "summary", "differences"):
        pd.testing.assert_frame_equal(getattr(inline, name), getattr(dask, name))


def test_local_cluster_workers_keep_glibc_malloc_defaults():
    from dask.distributed import Client

    from sim.experiments.executors import local_cluster

    with local_cluster(1) as cluster, Client(cluster) as client:
        env = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS")))
    assert list(env.values()) == [(None, "1")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not DASK.exists(), reason="the dask command is not installed beside python")
def test_sweep_on_a_dask_scheduler_and_workers_started_by_hand(reference, tmp_path, capsys):
    """docs/cluster.md, 'A scheduler and workers started by hand', on this machine."""
    from dask.distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    config = tmp_path / "dask-config"  # the YAML of docs/cluster.md, in a folder named by DASK_CONFIG
    config.mkdir()
    (config / "sweeps.yaml").write_text(_docs_block("yaml", "MALLOC_TRIM_THRESHOLD_"))
    env = {**os.environ, "DASK_CONFIG": str(config)}
    procs = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    ]
    try:
        procs.append(
            subprocess.Popen(
                [str(DASK), "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                env=env,
            )
        )
        deadline = time.monotonic() + 60
        while True:  # wait for the scheduler to listen and both workers to join
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=60)
                    trim = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
                break
            except OSError:
                assert time.monotonic() < deadline, "the dask scheduler did not start"
                time.sleep(0.5)
        assert list(trim.values()) == [None, None]  # the YAML switched Dask's malloc trimming off
        args = [
            "sweep",
            "baseline",
            "--param",
            "market.base_churn=0.002:0.01",
            "--param",
            "organization.teams=2:4",
            "--design",
            "sobol",
            "--samples",
            "4",
            "--reps",
            "2",
            "--steps",
            "10",
            "--no-progress",
            *[a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")],
            "--executor",
            "dask",
            "--dask-address",
            address,
            "--out",
            str(tmp_path / "remote"),
        ]
        assert main(args) == 0
        assert capsys.readouterr().out.splitlines()[-1] == "8 runs, 0 failed"
        remote = load_sweep(tmp_path / "remote")
        assert remote.manifest["arguments"]["executor"] == f"dask {address}"
        _same(reference, remote)
        compare = [
            "compare",
            "baseline",
            "km",
            "--reps",
            "2",
            "--steps",
            "5",
            "--no-progress",
            *[a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")],
        ]
        assert (
            main([*compare, "--executor", "dask", "--dask-address", address, "--out", str(tmp_path / "compare")]) == 0
        )
        assert "(executor dask)" in capsys.readouterr().out.splitlines()[0]
        assert main([*compare, "--executor", "none", "--out", str(tmp_path / "compare-none")]) == 0
        for table in ("runs.parquet", "steps.parquet"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(tmp_path / "compare" / table), pd.read_parquet(tmp_path / "compare-none" / table)
            )
        with Client(address) as client:  # docs/cluster.md section 1: a Client passed as the executor
            _same(reference, sweep("baseline", PARAMS, executor=client, out=tmp_path / "client", **KW))
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_slurm_cluster_of_the_docs_renders_the_documented_job_script():
    """The SLURMCluster call of docs/cluster.md, built (a local scheduler starts) but never submitted,
    renders the job script the page shows (but for the scheduler's address)."""
    pytest.importorskip("dask_jobqueue")
    from dask_jobqueue import SLURMCluster

    call = re.search(r"^cluster = (SLURMCluster\(.*?^\))", _docs_block("python", "SLURMCluster("), re.S | re.M)
    cluster = eval(call.group(1), {"SLURMCluster": SLURMCluster})  # the page's own code
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    shown = _docs_block("bash", "#SBATCH -J dask-worker")
    address = re.compile(r"tcp://[0-9.]+:[0-9]+")
    assert address.sub("tcp://ADDRESS", script).strip() == address.sub("tcp://ADDRESS", shown).strip()
    worker = next(line for line in script.splitlines() if "distributed.cli.dask_worker" in line)
    assert "--nthreads 1" in worker and "--nworkers 8" in worker and "--no-dashboard" in worker
