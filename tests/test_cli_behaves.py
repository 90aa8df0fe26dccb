"""The command line behaves (issue 13/14): a version, defaults in every help, one-line usage errors,
bounded options refused before any work, a quiet exit on a closed pipe, one line for an unexpected error
(``--debug`` for the traceback), and nothing half-written: an existing non-empty ``--out`` is refused and
a run that fails leaves no folder behind."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.main import main, parser

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--set", "market.initial_customers=200", "--set", "market.market_potential=1700", "--set", "scenario.warmup=0"]


def _cli(*argv, cwd=ROOT, shell=False):
    cmd = argv[0] if shell else [sys.executable, "run.py", *argv]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=180, shell=shell)


def test_version():
    r = _cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("python run.py ") and r.stdout.strip()[-1].isdigit()


def test_every_option_says_its_default():
    ap = parser()
    subs = next(a for a in ap._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subs.choices.items():
        text = sub.format_help()
        for action in sub._actions:
            unset = action.default is None or action.default == [] or action.default == argparse.SUPPRESS
            if not action.option_strings or action.nargs == 0 or unset:
                continue
            assert action.help, (name, action.option_strings)
            assert "default" in sub._get_formatter()._get_help_string(action), (name, action.option_strings)
        assert "show this help" in text


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["run", "baseline", "--steps", "0"], "--steps: 0 is out of range: expected 1..5200"),
        (["run", "baseline", "--steps", "-5"], "--steps: -5 is out of range"),
        (["run", "baseline", "--steps", "99999999999999999999"], "out of range: expected 1..5200"),
        (["run", "baseline", "--steps", "ten"], "--steps: 'ten' is not a whole number"),
        (["compare", "baseline", "--reps", "0"], "--reps: 0 is out of range: expected 1..1000"),
        (["sweep", "baseline", "--samples", "10000000"], "--samples: 10000000 is out of range"),
        (["sweep", "baseline", "--workers", "100000"], "--workers: 100000 is out of range"),
        (["robust", "baseline", "--futures", "0"], "--futures: 0 is out of range"),
        (["optimize", "baseline", "--trials", "-1"], "--trials: -1 is out of range"),
        (["bogus"], "invalid choice: 'bogus'"),
        (["run"], "the following arguments are required: scenario"),
    ],
)
def test_bad_options_are_one_line_before_any_work(argv, expected, tmp_path, capsys):
    out = tmp_path / "out"
    code = main([*argv, "--out", str(out)] if argv[0] != "bogus" else argv)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and expected in err and err.startswith("error: ")
    assert not out.exists()


def test_a_closed_pipe_is_quiet():
    r = _cli(f"{sys.executable} run.py scenarios --show baseline | head -1", shell=True)
    assert r.stdout.startswith("# Scenario 'baseline'") and r.stderr == ""


def test_python_dash_m_sim():
    r = subprocess.run([sys.executable, "-m", "sim", "--version"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "0." in r.stdout


def test_an_existing_folder_with_files_is_refused(tmp_path, capsys):
    out = tmp_path / "used"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    for argv in (["run", "baseline"], ["compare", "baseline", "km", "--reps", "2"], ["patterns", "--only", "x"]):
        code = main([*argv, "--steps", "2", *TINY, "--out", str(out), "--no-progress"])
        err = capsys.readouterr().err
        assert code == 2 and "exists and is not empty" in err, argv
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]


def test_a_failing_run_leaves_nothing_and_says_one_line(tmp_path, capsys, monkeypatch):
    import sim.experiments.folders as folders

    def broken(*a, **k):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(folders, "write_run", broken)
    out = tmp_path / "o"
    code = main(["run", "baseline", "--steps", "2", *TINY, "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "unexpected RuntimeError: disk on fire" in err and "--debug" in err
    assert list(tmp_path.iterdir()) == []  # neither the folder nor a hidden partial one
    with pytest.raises(RuntimeError):
        main(["--debug", "run", "baseline", "--steps", "2", *TINY, "--out", str(out), "--no-progress"])
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_place_is_one_line(tmp_path, capsys):
    a_file = tmp_path / "f"
    a_file.write_text("x")
    code = main(["run", "baseline", "--steps", "2", *TINY, "--out", str(a_file / "sub"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cannot write there" in err


def test_a_finished_run_is_moved_into_place(tmp_path, capsys):
    out = tmp_path / "done"
    out.mkdir()  # an empty folder is fine
    assert main(["run", "baseline", "--steps", "2", *TINY, "--out", str(out), "--no-progress"]) == 0
    assert (out / "report.html").exists() and (out / "steps.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["done"]
    assert f"wrote {out / 'report.html'}" in capsys.readouterr().out  # the final place, not the staging folder


def test_a_sweep_over_listed_values(tmp_path, capsys):
    from sim.experiments.design import parse_param
    from sim.experiments.store import query

    assert parse_param("policy.customer_role=passive,active") == (
        "policy.customer_role",
        ("choices", "passive", "active"),
    )
    assert parse_param("policy.crm_maturity=1,3") == ("policy.crm_maturity", ("choices", 1, 3))
    out = tmp_path / "cat"
    code = main(["sweep", "baseline", "--param", "policy.customer_role=passive,active,captive", "--param",
                 "policy.crm_maturity=1,3", "--design", "grid", "--steps", "2", *TINY, "--executor", "none",
                 "--no-progress", "--out", str(out)])  # fmt: skip
    assert code == 0
    df = query(out, 'SELECT "policy.customer_role" AS role, "policy.crm_maturity" AS m FROM runs ORDER BY 1, 2')
    assert list(zip(df.role, df.m)) == [(r, m) for r in ("active", "captive", "passive") for m in (1, 3)]
    # the same command resumes (same identity); another list is another sweep and is refused
    assert main(["sweep", "baseline", "--param", "policy.customer_role=passive,active,captive", "--param",
                 "policy.crm_maturity=1,3", "--design", "grid", "--steps", "2", *TINY, "--executor", "none",
                 "--no-progress", "--out", str(out)]) == 0  # fmt: skip
    assert main(["sweep", "baseline", "--param", "policy.customer_role=passive,captive,active", "--param",
                 "policy.crm_maturity=1,3", "--design", "grid", "--steps", "2", *TINY, "--executor", "none",
                 "--no-progress", "--out", str(out)]) == 2  # fmt: skip
    capsys.readouterr()


@pytest.mark.parametrize(
    "param, expected",
    [
        ("policy.customer_role=passive", "expected NAME=LOW:HIGH or NAME=a,b,c"),
        ("policy.customer_role=passive,", "no empty value"),
        ("policy.customer_role=passive,boss", "policy.customer_role"),
        ("policy.customer_role=passive,passive", "listed twice"),
        ("policy.crm_maturity=1,7", "policy.crm_maturity"),
    ],
)
def test_bad_lists_are_one_line(param, expected, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["sweep", "baseline", "--param", param, "--steps", "2", *TINY, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1 and not out.exists()


def test_a_sweep_that_cannot_start_leaves_nothing(tmp_path, capsys, monkeypatch):
    """E.g. an unreachable Dask scheduler: no folder, no lock file (issue 14)."""
    import contextlib

    import sim.experiments.execute as execute
    from sim.io.errors import InputError

    @contextlib.contextmanager
    def unreachable(*a, **k):
        raise InputError("--dask-address tcp://127.0.0.1:1: cannot connect to a Dask scheduler")
        yield

    monkeypatch.setattr(execute, "open_executor", unreachable)
    out = tmp_path / "sw"
    code = main(["sweep", "baseline", "--param", "market.base_churn=0.002:0.01", "--samples", "2", "--steps", "2",
                 *TINY, "--no-progress", "--out", str(out)])  # fmt: skip
    assert code == 2 and "cannot connect" in capsys.readouterr().err
    assert not out.exists()
    out.mkdir()  # an empty folder given by the user stays, without a lock file
    assert main(["sweep", "baseline", "--param", "market.base_churn=0.002:0.01", "--samples", "2", "--steps", "2",
                 *TINY, "--no-progress", "--out", str(out)]) == 2  # fmt: skip
    assert out.exists() and list(out.iterdir()) == []
