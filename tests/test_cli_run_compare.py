"""`python run.py run` and `compare` through the real command line: bad input, files written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.scorecard import KPIS
from sim.cli.main import main
from sim.config.loader import load_scenario
from sim.experiments.seeds import replication_seed

ROOT = Path(__file__).resolve().parents[1]

RUN_FILES = [
    "steps.parquet",
    "steps.csv",
    "scorecard.csv",
    "team_scorecards.csv",
    "churns.parquet",
    "churns.csv",
    "acquisitions.parquet",
    "acquisitions.csv",
    "scenario.toml",
    "summary.json",
    "timeseries.png",
    "flows.png",
    "scorecard.png",
    "report.html",
]
COMPARE_TABLES = [
    "runs",
    "steps",
    "summary",
    "differences",
    "scorecards",
    "payback",
    "breakeven",
    "horizons",
    "returns",
]


def _fail(argv, capsys):
    """Run the CLI expecting bad input: exit 2 and exactly one line on stderr; returns that line."""
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("error: ") and "\n" not in err, err
    return err


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Work in an empty folder, so a default output folder (outputs/...) would be visible."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _nothing_written(folder: Path, out: Path):
    assert not out.exists()
    assert not (folder / "outputs").exists()


@pytest.mark.parametrize(
    "args, expected",
    [
        (["run", "nosuch"], "unknown scenario 'nosuch'"),
        (["run", "baseline", "--set", "market.base_churn=abc"], "market.base_churn"),
        (["run", "baseline", "--set", "market.base_chrun=0.01"], "market.base_churn"),  # closest valid name
        (["run", "baseline", "--set", "market.base_churn"], "expected name=value"),
        (["run", "baseline", "--steps", "-1"], "--steps: -1 is out of range: expected 1..5200"),
        (["run", "baseline", "--seed", "-3"], "--seed: -3 is out of range: expected 0.."),
        (["compare", "baseline", "nosuch"], "unknown scenario 'nosuch'"),
        (["compare", "baseline", "km", "--reps", "0"], "--reps: 0 is out of range: expected 1..1000"),
        (["compare", "baseline", "km", "--steps", "-2"], "--steps: -2 is out of range: expected 1..5200"),
        (["compare", "baseline", "km", "--reference", "crm"], "--reference 'crm': not among the compared"),
        (["compare", "baseline", "km", "baseline"], "scenario 'baseline' given twice"),
        (["compare", "baseline", "km", "--set", "policy.crm_maturity=7"], "policy.crm_maturity"),
        (["compare", "baseline", "km", "--workers", "0"], "--workers: 0 is out of range: expected 1.."),
        (["compare", "baseline", "km", "--seed", "-1"], "--seed: -1 is out of range: expected 0.."),
    ],
)
def test_bad_input_exit_2_one_line_nothing_written(args, expected, in_tmp, capsys):
    out = in_tmp / "out"
    err = _fail([*args, "--out", str(out), "--no-progress"], capsys)
    assert expected in err
    _nothing_written(in_tmp, out)
    # without --out: the default folder outputs/... is not created either
    _fail([*args, "--no-progress"], capsys)
    _nothing_written(in_tmp, out)


def test_duplicate_scenario_names_through_a_path(in_tmp, capsys):
    (in_tmp / "other.toml").write_text('[scenario]\nextends = "km"\nname = "baseline"\n')
    err = _fail(["compare", "baseline", str(in_tmp / "other.toml"), "--no-progress"], capsys)
    assert "two scenarios are named 'baseline'" in err and "expected distinct scenario names" in err
    _nothing_written(in_tmp, in_tmp / "out")


@pytest.mark.parametrize("command", [["run", "baseline"], ["compare", "baseline", "km"]])
def test_unusable_out_folder(command, in_tmp, capsys):
    a_file = in_tmp / "a_file"
    a_file.write_text("x")
    err = _fail([*command, "--out", str(a_file), "--no-progress"], capsys)
    assert "is a file, expected a folder" in err
    err = _fail([*command, "--out", str(a_file / "sub"), "--no-progress"], capsys)
    assert "cannot write there" in err and "expected a writable folder" in err
    assert a_file.read_text() == "x"
    assert not (in_tmp / "outputs").exists()


def test_real_command_line_bad_input(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "run.py", "compare", "baseline", "km", "--reps", "0", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: python run.py compare: argument --reps: 0 is out of range: expected 1..1000 (replications) (see --help)"
    )
    assert proc.stdout == "" and not out.exists()


# --- run -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "baseline-run"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(
            [
                "run",
                "baseline",
                "--steps",
                "20",
                "--seed",
                "3",
                "--set",
                "market.base_churn=0.005",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
    assert code == 0
    return out, buf.getvalue()


def test_run_writes_every_file(run_out):
    out, _ = run_out
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)


def test_run_tables_round_trip(run_out):
    out, _ = run_out
    parquet, csv = pd.read_parquet(out / "steps.parquet"), pd.read_csv(out / "steps.csv")
    assert len(parquet) == 21 and parquet["step"].tolist() == list(range(21))
    pd.testing.assert_frame_equal(parquet, csv, check_dtype=False, check_exact=False, rtol=1e-12)
    for name in ("churns", "acquisitions"):
        p, c = pd.read_parquet(out / f"{name}.parquet"), pd.read_csv(out / f"{name}.csv")
        pd.testing.assert_frame_equal(p, c, check_dtype=False)
        assert "step" in p.columns
    card = pd.read_csv(out / "scorecard.csv")
    assert card["kpi"].tolist() == list(KPIS)
    assert {"perspective", "value", "target", "status", "weight"} <= set(card.columns)
    teams = pd.read_csv(out / "team_scorecards.csv")
    assert teams["team"].nunique() == 10
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["steps"] == 20 and summary["scenario"] == "baseline"
    sc = load_scenario(out / "scenario.toml")
    assert sc == load_scenario("baseline").with_params({"market.base_churn": 0.005})


def test_run_report_and_terminal(run_out):
    out, stdout = run_out
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "Balanced scorecard" in html and "market.base_churn = 0.005" in html
    for kpi in KPIS:
        assert kpi in html
    assert "background:#" in html  # status colours
    lines = stdout.strip().splitlines()
    assert lines[0].startswith("Scorecard of 'baseline' (seed 3, 20 weeks)")
    assert "perspective" in lines[1] and "status" in lines[1]
    assert any(line.startswith("weighted score:") for line in lines)
    assert lines[-1] == f"wrote {out / 'report.html'}"


# --- compare -------------------------------------------------------------------------------------


def test_compare_writes_everything(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(
        [
            "compare",
            "baseline",
            "km",
            "--reps",
            "2",
            "--steps",
            "10",
            "--reference",
            "km",
            "--set",
            "market.base_churn=0.005",
            "--executor",
            "none",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    stdout = capsys.readouterr().out
    assert code == 0
    for name in COMPARE_TABLES:
        p, c = pd.read_parquet(out / f"{name}.parquet"), pd.read_csv(out / f"{name}.csv")
        assert len(p) == len(c) > 0
    for name in ("timeseries", "scorecard", "flows", "differences", "payback"):
        assert (out / f"{name}.png").stat().st_size > 1000
    assert {p.name for p in out.glob("scenario-*.toml")} == {"scenario-baseline.toml", "scenario-km.toml"}
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seeds"] == [replication_seed(0), replication_seed(1)]
    assert meta["reference"] == "km" and meta["params"] == {"market.base_churn": 0.005}
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 4 and set(runs["seed"]) == set(meta["seeds"])
    diff = pd.read_parquet(out / "differences.parquet")
    assert set(diff["scenario"]) == {"baseline"} and set(diff["reference"]) == {"km"}
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 5
    assert "Differences to km" in html and "Welch" in html
    assert "How to read the intervals" in html and "Does it pay, when, and for how long?" in html
    assert "Differences to km (paired" in stdout and "km (ref)" in stdout
    assert stdout.strip().splitlines()[-1] == f"wrote {out / 'report.html'}"
