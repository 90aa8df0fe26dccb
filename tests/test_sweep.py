"""Sweeps: designs, validation, the runs/steps tables, failures, resuming after SIGKILL, memory."""

import concurrent.futures as cf
import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.experiments.execute as execute_module
from sim import load_scenario
from sim.cli.main import main
from sim.config.errors import ScenarioError
from sim.config.loader import parse_overrides
from sim.experiments import store as storage
from sim.experiments.design import ParamRange, check_params, design_points, parse_param
from sim.experiments.execute import ChunkTask, chunk_starts, run_chunk
from sim.experiments.plan import make_plan
from sim.experiments.results import load_sweep
from sim.experiments.seeds import replication_seed
from sim.experiments.sweep import sweep
from sim.io.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
SMALL = {
    "scenario.warmup": 0,
    "market.initial_customers": 300,
    "market.market_potential": 2550,
    "organization.teams": 3,
    "organization.team_size": 6,
}
SMALL_ARGS = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
PARAMS = {"market.base_churn": (0.002, 0.01), "organization.teams": (2, 4)}


def _fail_above(monkeypatch, churn: float) -> None:
    """Make ``sim.experiments.simulate.run`` raise, as a broken model would, for runs with a base churn above ``churn``.

    The sweep's workers call it; the process pool forks them from this process, patch included.
    """
    import sim.experiments.simulate

    real = sim.experiments.simulate.run

    def run(scenario, *args, **kwargs):
        if scenario.get("market.base_churn") > churn:
            raise RuntimeError(f"churn {scenario.get('market.base_churn')}\ntoo high")
        return real(scenario, *args, **kwargs)

    monkeypatch.setattr(sim.experiments.simulate, "run", run)


def _tables(res):
    """runs (without the timing) and steps, sorted by run_id: what must match between two sweeps."""
    return (
        res.runs.drop(columns="duration").sort_values("run_id").reset_index(drop=True),
        res.steps.sort_values(["run_id", "step"]).reset_index(drop=True),
    )


# --------------------------------------------------------------------------------------------
# designs and validation (no runs)


def test_grid_design_takes_every_combination_with_integer_levels():
    base = load_scenario("baseline")
    ranges = check_params(base, {"market.base_churn": (0.002, 0.01), "organization.teams": (2, 3)})
    df = design_points(ranges, "grid", samples=3)
    assert len(df) == 3 * 2  # 3 float levels x the 2 distinct integer levels of 2..3
    assert sorted(df["market.base_churn"].unique()) == pytest.approx([0.002, 0.006, 0.01])
    assert df["organization.teams"].dtype == np.int64
    assert set(df["organization.teams"]) == {2, 3}


@pytest.mark.parametrize("design", ["lhs", "sobol"])
def test_lhs_and_sobol_designs_are_seeded_and_in_range(design):
    ranges = [ParamRange("market.base_churn", 0.002, 0.01, False), ParamRange("organization.teams", 2, 5, True)]
    a = design_points(ranges, design, samples=64, seed=3)
    b = design_points(ranges, design, samples=64, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(design_points(ranges, design, samples=64, seed=4))
    assert a["market.base_churn"].between(0.002, 0.01).all()
    counts = a["organization.teams"].value_counts()
    assert sorted(counts.index) == [2, 3, 4, 5] and counts.min() >= 10  # integers uniform, ends included
    if design == "lhs":  # a Latin hypercube: one point in each of the 64 strata
        strata = np.floor((a["market.base_churn"] - 0.002) / 0.008 * 64).astype(int)
        assert sorted(strata) == list(range(64))


def test_bad_input_is_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "never"
    cases = [
        ({"market.base_chrun": (0.0, 0.1)}, ScenarioError, "did you mean 'market.base_churn'"),
        ({"market.base_churn": (0.0, 1.5)}, ScenarioError, r"out of range, expected a float in \[0, 1\]"),
        ({"policy.customer_role": (0, 1)}, InputError, "cannot be swept"),
        ({"market.base_churn": (0.01, 0.002)}, InputError, "LOW < HIGH"),
        ({"organization.teams": (2.5, 6)}, InputError, "integer bounds"),
        ({}, InputError, "at least one parameter"),
    ]
    for params, error, message in cases:
        with pytest.raises(error, match=message) as err:
            sweep("baseline", params, samples=2, steps=2, executor="none", out=out, progress=False)
        assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="--design"):
        sweep("baseline", PARAMS, design="random", samples=2, executor="none", out=out, progress=False)
    with pytest.raises(ScenarioError):
        sweep(
            "baseline",
            PARAMS,
            samples=2,
            executor="none",
            out=out,
            progress=False,
            set={"market.initial_customers": -1},
        )
    assert not out.exists()


def test_cli_refuses_bad_params_with_one_line(tmp_path, capsys):
    assert parse_param("organization.teams=2:6") == ("organization.teams", (2, 6))
    assert parse_param("market.base_churn = 1e-3 : 0.01") == ("market.base_churn", (0.001, 0.01))
    for bad in ["market.base_churn", "market.base_churn=0.1", "market.base_churn=a:b"]:
        code = main(["sweep", "baseline", "--param", bad, "--out", str(tmp_path / "x")])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("error: --param") and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------------------------------
# sweeps


def test_sweep_tables_seeds_and_files(tmp_path):
    res = sweep(
        "baseline",
        PARAMS,
        design="lhs",
        samples=3,
        reps=2,
        steps=8,
        executor="none",
        out=tmp_path / "s",
        progress=False,
        set=SMALL,
        chunk_size=4,
    )
    runs, steps = res.runs, res.steps
    assert runs["run_id"].tolist() == list(range(6))
    assert runs["point"].tolist() == [0, 0, 1, 1, 2, 2] and runs["rep"].tolist() == [0, 1] * 3
    assert (runs["status"] == "ok").all() and runs["error"].isna().all() and (runs["duration"] > 0).all()
    # common random numbers: the seed depends on the replication only, and every seed is stored
    assert runs["seed"].tolist() == [replication_seed(r) for r in runs["rep"]]
    for col in ["market.base_churn", "organization.teams", "retention_rate", "profit", "score"]:
        assert col in runs.columns
    assert runs["organization.teams"].dtype == np.int64
    assert len(steps) == 6 * 9 and steps.columns[0] == "run_id" and "transfers_mentoring" in steps.columns
    # the design table and the files beside the parts
    folder = res.folder
    assert sorted(p.name for p in (folder / "runs").iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    assert sorted(p.name for p in (folder / "steps").iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    pd.testing.assert_frame_equal(res.design, runs[res.design.columns])
    stored = load_scenario(folder / "scenario.toml")
    assert stored.get("market.initial_customers") == 300
    assert res.manifest["arguments"]["params"] == {"market.base_churn": [0.002, 0.01], "organization.teams": [2, 4]}
    # a run of the sweep is the plain run of its scenario and seed
    from sim import run

    row = runs.iloc[3]
    one = run(
        load_scenario("baseline").with_params(
            {
                **SMALL,
                "market.base_churn": row["market.base_churn"],
                "organization.teams": int(row["organization.teams"]),
            }
        ),
        seed=int(row["seed"]),
        steps=8,
    )
    got = steps[steps["run_id"] == 3].drop(columns="run_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, one.steps)
    assert row["retention_rate"] == pytest.approx(one.summary["retention_rate"])
    # SQL over both tables
    df = res.sql("SELECT r.rep, max(s.step) AS last FROM runs r JOIN steps s USING (run_id) GROUP BY 1 ORDER BY 1")
    assert df["last"].tolist() == [8, 8]


def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    _fail_above(monkeypatch, 0.008)  # the runs of points 1 and 4 raise RuntimeError in the workers
    points = pd.DataFrame({"market.base_churn": [0.002, 0.009, 0.003, 0.004, 0.0095, 0.005]})
    kw = dict(design=points, steps=8, out=tmp_path / "s", progress=False, set=SMALL)
    with pytest.warns(RuntimeWarning, match="2 of 6 runs failed"):
        res = sweep("baseline", {"market.base_churn": (0.002, 0.01)}, executor="process", workers=2, chunk_size=2, **kw)
    runs = res.runs
    assert runs["market.base_churn"].tolist() == points["market.base_churn"].tolist()
    assert runs["status"].tolist() == ["ok", "failed", "ok", "ok", "failed", "ok"]
    assert runs.loc[1, "error"] == "RuntimeError: churn 0.009 too high"  # on one line
    assert runs.loc[[1, 4], "retention_rate"].isna().all() and runs.loc[[0, 2], "retention_rate"].notna().all()
    assert sorted(res.steps["run_id"].unique()) == [0, 2, 3, 5]
    assert res.n_failed == 2 and res.complete
    # the cause is gone: retry_failed runs the two chunks holding failed runs again, and only them
    monkeypatch.undo()
    parts = sorted((tmp_path / "s" / "runs").glob("part-*.parquet"))
    stamps = {p: p.stat().st_mtime_ns for p in parts}
    res = sweep("baseline", {"market.base_churn": (0.002, 0.01)}, executor="none", retry_failed=True, **kw)
    assert res.n_failed == 0 and sorted(res.steps["run_id"].unique()) == list(range(6))
    assert [p.name for p in parts if p.stat().st_mtime_ns != stamps[p]] == ["part-00000.parquet", "part-00002.parquet"]


def test_guided_chunks_shrink_towards_the_end():
    starts = chunk_starts(1000, 2)
    sizes = np.diff([*starts, 1000])
    assert sizes[0] == 50 and sizes[-4:].tolist() == [1] * 4 and (np.diff(sizes) <= 0).all()
    assert chunk_starts(10, 2, size=4) == [0, 4, 8]
    assert chunk_starts(3, 8) == [0, 1, 2]


def test_same_tables_with_an_executor_passed_in(tmp_path):
    kw = dict(samples=2, reps=2, steps=8, progress=False, set=SMALL)
    a = sweep("baseline", PARAMS, executor="none", out=tmp_path / "a", **kw)
    with cf.ThreadPoolExecutor(2) as pool:
        b = sweep("baseline", PARAMS, executor=pool, out=tmp_path / "b", chunk_size=1, **kw)
    for x, y in zip(_tables(a), _tables(b)):
        pd.testing.assert_frame_equal(x, y)


def test_a_folder_with_another_sweep_is_refused(tmp_path, capsys, monkeypatch):
    kw = dict(samples=2, steps=8, executor="none", progress=False, set=SMALL)
    res = sweep("baseline", PARAMS, out=tmp_path / "s", **kw)
    before = {p: p.stat().st_mtime_ns for p in res.folder.rglob("*.parquet")}
    again = sweep("baseline", PARAMS, out=tmp_path / "s", **kw)  # complete: nothing to run
    assert {p: p.stat().st_mtime_ns for p in res.folder.rglob("*.parquet")} == before
    assert again.n_done == 2
    with pytest.raises(InputError, match="holds a different sweep .samples: 2 there, 3 now") as err:
        sweep("baseline", PARAMS, out=tmp_path / "s", **{**kw, "samples": 3})
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="holds a different sweep .scenario"):
        sweep("baseline", PARAMS, out=tmp_path / "s", **{**kw, "set": {**SMALL, "market.base_churn": 0.005}})
    code = main(
        [
            "sweep",
            "baseline",
            "--param",
            "market.base_churn=0.002:0.01",
            "--samples",
            "2",
            "--steps",
            "8",
            "--out",
            str(tmp_path / "s"),
            "--executor",
            "none",
            *SMALL_ARGS,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "holds a different sweep (params:" in err and err.count("\n") == 1
    assert {p: p.stat().st_mtime_ns for p in res.folder.rglob("*.parquet")} == before
    # resuming after the model code changed is allowed, with a warning
    monkeypatch.setattr(execute_module, "code_version", lambda: "changed")
    with pytest.warns(UserWarning, match="the code in sim/ changed since the sweep"):
        sweep("baseline", PARAMS, out=tmp_path / "s", **kw)
    # a folder with other things in it is not used
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty and holds no sweep .e.g. notes.txt"):
        sweep("baseline", PARAMS, out=tmp_path / "other", **kw)
    assert sorted(p.name for p in (tmp_path / "other").iterdir()) == ["notes.txt"]


def test_cli_sweep_prints_folder_and_counts(tmp_path, capsys, monkeypatch):
    _fail_above(monkeypatch, 0.008)  # the last of the grid's 0.002, 0.006, 0.01
    code = main(
        [
            "sweep",
            "baseline",
            "--param",
            "market.base_churn=0.002:0.01",
            "--design",
            "grid",
            "--samples",
            "3",
            "--steps",
            "8",
            "--executor",
            "none",
            "--out",
            str(tmp_path / "s"),
            *SMALL_ARGS,
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.splitlines() == [str((tmp_path / "s").resolve()), "3 runs, 1 failed"]
    assert "warning: 1 of 3 runs failed (first: RuntimeError: churn 0.01 too high)" in captured.err
    assert "3/3" in captured.err  # the progress bar on stderr


# --------------------------------------------------------------------------------------------
# resuming after SIGKILL


def _command(out: Path) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "run.py"),
        "sweep",
        "baseline",
        "--param",
        "market.base_churn=0.002:0.01",
        "--param",
        "organization.teams=2:4",
        "--design",
        "lhs",
        "--samples",
        "12",
        "--reps",
        "2",
        "--steps",
        "12",
        *SMALL_ARGS,
        "--executor",
        "process",
        "--workers",
        "2",
        "--no-progress",
        "--out",
        str(out),
    ]


def _session(sid: int) -> list[int]:
    """Live processes of a session (the killed sweep and its workers)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def _start_and_kill(out: Path, at_least: int) -> int:
    """Start the sweep command, SIGKILL it once ``at_least`` chunks are complete; complete chunks at the kill."""
    proc = subprocess.Popen(
        _command(out), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 120
    try:
        while len(storage.completed_chunks(out)) < at_least:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the sweep made no progress"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # only the main process: its pool workers are orphaned
        proc.wait()
        done = len(storage.completed_chunks(out))
        # orphaned workers notice that their parent is gone and exit (within about a second)
        while _session(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _session(proc.pid), "worker processes outlived the killed sweep"
        return done
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in _session(proc.pid):
            os.kill(pid, signal.SIGKILL)


def test_resume_after_sigkill_gives_the_uninterrupted_data(tmp_path):
    out = tmp_path / "killed"
    first = _start_and_kill(out, at_least=1)
    n_chunks = load_sweep(out).manifest["n_chunks"]  # guided for 2 workers: 3, 3, 3, 2, ... 1
    assert n_chunks == 14 and 1 <= first < n_chunks
    second = _start_and_kill(out, at_least=first + 1)  # killed again, after doing only what was missing
    assert first < second < n_chunks
    # the parts of complete chunks; a kill may leave a steps part whose runs part was never written,
    # and that chunk is (rightly) run again
    complete = {f"part-{c:05d}.parquet" for c in storage.completed_chunks(out)}
    kept = {p: p.stat().st_mtime_ns for p in out.glob("*/part-*.parquet") if p.name in complete}
    done = subprocess.run(_command(out), cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "24 runs, 0 failed"
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # the stored chunks were not run again
    resumed = load_sweep(out)
    assert resumed.manifest["chunk_starts"] == [0, 3, 6, 9, 11, 13, 15, 17, *range(18, 24)]
    assert len(storage.completed_chunks(out)) == n_chunks
    assert not [p for p in out.rglob(".part-*")]  # no temporary left behind
    reference = sweep(
        "baseline",
        {"market.base_churn": (0.002, 0.01), "organization.teams": (2, 4)},
        design="lhs",
        samples=12,
        reps=2,
        steps=12,
        set=parse_overrides([f"{k}={v}" for k, v in SMALL.items()]),
        executor="none",
        out=tmp_path / "reference",
        progress=False,
    )
    runs, steps = _tables(resumed)
    assert runs["run_id"].tolist() == list(range(24))  # no duplicate, none lost
    assert not steps.duplicated(["run_id", "step"]).any() and len(steps) == 24 * 13
    for x, y in zip((runs, steps), _tables(reference)):
        pd.testing.assert_frame_equal(x, y)


# --------------------------------------------------------------------------------------------
# memory of a long sweep in one worker process


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_long_sweep_in_one_process_does_not_grow(tmp_path):
    """100 runs through the worker's own loop (run_chunk), 10 chunks of 10, in this process.

    Bound: with the model leak of Mesa 3.3 (a class-level id registry keyed by the model keeps every
    finished model) a run of this size retains about 1 MB, so 90 runs grow the RSS by ~95 MB;
    without it the RSS moved by at most ~8 MB (allocator and Arrow pools). 25 MB separates the two
    clearly. The registries are checked exactly: no model outlives its run.
    """
    from sim.agents import KnowledgeHolder
    from sim.model import CRMKnowledgeModel

    plan = make_plan("baseline", {"market.base_churn": (0.002, 0.01)}, "lhs", 100, 1, 8, overrides=SMALL)
    chunks = execute_module.chunks(plan.table, list(range(0, 100, 10)), plan.names)
    gc.collect()  # models that earlier tests dropped go now, not in the middle of the count
    ids_before = len(KnowledgeHolder._ids)  # our agents' per-model id counters (weak keys)
    models_before = {id(o) for o in gc.get_objects() if isinstance(o, CRMKnowledgeModel)}  # e.g. app tests
    rss = []
    for c, runs in enumerate(chunks):
        run_chunk(ChunkTask(str(tmp_path), c, plan.scenario, 8, plan.names, runs))
        gc.collect()
        rss.append(_rss_mb())
    assert len(storage.completed_chunks(tmp_path)) == 10
    assert len(KnowledgeHolder._ids) == ids_before
    assert not [o for o in gc.get_objects() if isinstance(o, CRMKnowledgeModel) and id(o) not in models_before]
    assert rss[-1] - rss[0] < 25, f"RSS grew from {rss[0]:.0f} MB to {rss[-1]:.0f} MB over 90 runs: {rss}"
