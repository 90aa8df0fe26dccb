"""robust and optimize: regret and satisficing by hand, scenario discovery, resuming, a known optimum."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import optimize, robust
from sim.cli.main import main
from sim.experiments.optimize import parse_lever, parse_objective
from sim.experiments.robust import discover, meets, regret, robustness, winners
from sim.io.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "scenario.warmup": 6,
    "market.initial_customers": 300,
    "market.market_potential": 2550,
    "organization.teams": 2,
    "organization.team_size": 5,
}
SET = [a for k, v in TINY.items() for a in ("--set", f"{k}={v}")]


# --------------------------------------------------------------------------------- robust: pure functions


@pytest.fixture
def table():
    # 3 policies x 2 futures, one KPI where higher is better and one where lower is
    return pd.DataFrame(
        {
            "policy": [0, 1, 2, 0, 1, 2],
            "future": [0, 0, 0, 1, 1, 1],
            "value": [10.0, 12.0, 9.0, 5.0, 4.0, 8.0],
            "gap": [0.3, 0.2, 0.4, 0.5, 0.1, 0.2],
        }
    )


def test_regret_by_hand(table):
    assert regret(table, "value", "higher").tolist() == [2.0, 0.0, 3.0, 3.0, 4.0, 0.0]
    assert regret(table, "gap", "lower").tolist() == pytest.approx([0.1, 0.0, 0.2, 0.4, 0.0, 0.1])


def test_robustness_summary_by_hand(table):
    s = robustness(table, ["value", "gap"], {"value": 6.0, "gap": 0.25}, {"value": "higher", "gap": "lower"})
    v = s[s["kpi"] == "value"].set_index("policy")
    assert v["mean"].tolist() == [7.5, 8.0, 8.5]
    assert v["worst"].tolist() == [5.0, 4.0, 8.0]
    assert v["max_regret"].tolist() == [3.0, 4.0, 3.0]
    assert v["mean_regret"].tolist() == [2.5, 2.0, 1.5]
    assert v["satisficing"].tolist() == [0.5, 0.5, 1.0]  # value >= 6
    g = s[s["kpi"] == "gap"].set_index("policy")
    assert g["satisficing"].tolist() == [0.0, 1.0, 0.5]  # gap <= 0.25
    assert g["worst"].tolist() == [0.5, 0.2, 0.4]
    assert meets(pd.Series([1.0, 2.0]), 1.5, "lower").tolist() == [True, False]


def test_winners_by_hand(table):
    assert winners(table, "value").set_index("future")["policy"].to_dict() == {0: 1, 1: 2}
    assert winners(table, "gap", "lower").set_index("future")["policy"].to_dict() == {0: 1, 1: 1}


def test_prim_finds_the_failing_region():
    rng = np.random.default_rng(3)
    x = pd.DataFrame({"turbulence": rng.uniform(0, 3, 300), "competition": rng.uniform(0, 1, 300)})
    failed = (x["turbulence"] > 2.0).to_numpy()
    box = discover(x, failed)
    lo, hi = box["limits"]["turbulence"]
    assert 1.8 < lo < 2.2 and hi > 2.9 and box["coverage"] > 0.8 and box["density"] > 0.8
    assert discover(x, np.zeros(300, dtype=bool)) is None  # never fails: nothing to discover


# --------------------------------------------------------------------------------- robust: end to end


def test_robust_from_python_and_its_report(tmp_path):
    res = robust(["baseline", "ckm"], {"environment.turbulence": (0.5, 3.0)}, futures=4, reps=1, steps=8,
                 params=TINY, out=tmp_path / "r", executor="none", progress=False)  # fmt: skip
    assert len(res.runs) == 8 and set(res.runs["policy_name"]) == {"baseline", "ckm"}
    # common random numbers: both policies in future f share their seed; futures differ
    seeds = res.runs.pivot(index="future", columns="policy", values="seed")
    assert (seeds[0] == seeds[1]).all() and seeds[0].nunique() == 4
    s = res.summary
    assert set(s["kpi"]) >= {"value", "retention_rate"} and (s["max_regret"] >= 0).all()
    assert len(res.winners) == 4 and len(res.prim) == 2 and not res.features.empty
    report = res.write_report()
    assert report.exists() and (tmp_path / "r" / "summary.csv").exists() and (tmp_path / "r" / "winners.png").exists()
    assert "Which policy wins where" in report.read_text()


def test_robust_cli_writes_and_resumes(tmp_path, capsys):
    out = tmp_path / "cli"
    argv = ["robust", "baseline", "crm:policy.loyalty_scheme=0.5", "--uncertain", "environment.turbulence=0.5:3",
            "--futures", "3", "--steps", "6", *SET, "--executor", "none", "--no-progress",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "Robustness: 2 policies x 3 futures" in text and "6 runs, 0 failed" in text
    first = pd.read_parquet(out / "runs")
    # a part lost (a killed run): the same command runs only what is missing and ends with the same data
    part = sorted((out / "runs").glob("part-*.parquet"))[-1]
    part.unlink()
    (out / "steps" / part.name).unlink()
    assert main(argv) == 0
    again = pd.read_parquet(out / "runs").sort_values("run_id").reset_index(drop=True)
    cols = [c for c in first.columns if c != "duration"]
    pd.testing.assert_frame_equal(first.sort_values("run_id").reset_index(drop=True)[cols], again[cols])


def test_robust_refuses_bad_input_in_one_line(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["robust", "baseline", "--uncertain", "environment.turbulnce=0:1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "environment.turbulence" in err
    assert not out.exists()


# --------------------------------------------------------------------------------- optimize


def test_parse_lever_and_objective():
    assert parse_lever("policy.co_creation=0:1") == ("policy.co_creation", (0, 1))  # parsed as a sweep's --param
    with pytest.raises(InputError, match=r"^--lever policy.co_creation: expected NAME=LOW:HIGH"):
        parse_lever("policy.co_creation")
    assert parse_lever("policy.customer_role=passive,active") == (
        "policy.customer_role",
        ("choices", "passive", "active"),
    )
    assert parse_objective("value") == ("value", "maximize")
    assert parse_objective("knowledge_gap") == ("knowledge_gap", "minimize")  # the KPI's own direction
    assert parse_objective("value:min") == ("value", "minimize")
    with pytest.raises(InputError, match="did you mean 'retention_rate'"):
        parse_objective("retention_rat")


def test_optimizer_finds_a_known_optimum(tmp_path):
    """Retention rises with the loyalty scheme, all else equal (it removes part of the churn hazard,
    and free here): the best setting is at the top of the range."""
    params = {**TINY, "costs.loyalty_scheme": 0.0}
    res = optimize("baseline", {"policy.loyalty_scheme": (0.0, 1.0)}, ["retention_rate"], trials=14, reps=1,
                   steps=16, params=params, out=tmp_path / "o", executor="none", progress=False)  # fmt: skip
    best = res.best.iloc[0]
    assert best["policy.loyalty_scheme"] > 0.8, res.trials.sort_values("retention_rate").tail()
    assert (tmp_path / "o" / best["scenario_file"]).exists()
    from sim.config.loader import load_scenario

    written = load_scenario(tmp_path / "o" / best["scenario_file"])
    assert written.get("policy.loyalty_scheme") == pytest.approx(best["policy.loyalty_scheme"])


def test_budget_excludes_over_budget_policies_and_two_objectives_give_a_front(tmp_path):
    levers = {"policy.loyalty_scheme": (0.0, 1.0), "policy.customer_role": ("choices", "passive", "captive")}
    res = optimize("baseline", levers,
                   ["retention_rate", "knowledge_cost:min"], budget=45_000, trials=10, reps=1, steps=8, params=TINY,
                   out=tmp_path / "b", executor="none", progress=False)  # fmt: skip
    t = res.trials
    assert (~t["feasible"]).any() and t["feasible"].any()  # the budget bites
    assert res.best["feasible"].all() and (res.best["spend"] <= 45_000).all()
    assert len(res.best) >= 1 and {"retention_rate_confirmed", "knowledge_cost_confirmed"} <= set(res.best.columns)


def _command(out: Path, trials: int) -> list[str]:
    return [sys.executable, "run.py", "optimize", "baseline", "--lever", "policy.co_creation=0:1", "--trials",
            str(trials), "--reps", "1", "--steps", "6", *SET, "--executor", "none", "--no-progress",
            "--out", str(out)]  # fmt: skip


def _complete(out: Path) -> int:
    db = out / "study.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as con:
        try:
            return con.execute("SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
        except sqlite3.Error:
            return 0


def test_a_killed_optimization_resumes_and_finishes(tmp_path):
    out = tmp_path / "k"
    proc = subprocess.Popen(_command(out, 12), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while _complete(out) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = _complete(out)
    assert 3 <= killed_at < 12, killed_at
    done = subprocess.run(_command(out, 12), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _complete(out) == 12 and "Optimization: 12 trials" in done.stdout
    other = subprocess.run([*_command(out, 12)[:-2], "--out", str(out), "--reps", "2"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)  # fmt: skip
    assert other.returncode == 2 and "holds another optimization" in other.stderr


def test_a_budget_no_trial_meets_is_a_message_not_a_crash(tmp_path):
    res = optimize("baseline", {"policy.loyalty_scheme": (0.0, 1.0)}, ["value"], budget=1.0, trials=3, reps=1,
                   steps=6, params=TINY, out=tmp_path / "nb", executor="none", progress=False)  # fmt: skip
    assert res.best.empty and not res.trials["feasible"].any()
    assert "no trial within the budget" in res.text() and "raise --budget" in res.text()
    assert res.write_report().exists()


def test_robust_whose_runs_all_fail_ends_in_one_line(tmp_path, capsys, monkeypatch):
    """Like sensitivity (issue 14): nothing to analyse is an error line, not a KeyError traceback."""
    import sim.experiments.simulate as simulate
    from sim.cli.main import main

    def broken(*args, **kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(simulate, "run", broken)
    argv = ["robust", "baseline", "crm", "--uncertain", "environment.turbulence=0.5:3", "--futures", "2",
            "--steps", "2", "--executor", "none", "--no-progress", "--out", str(tmp_path / "r"), "--set",
            "market.initial_customers=200", "--set", "market.market_potential=800"]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: all 4 runs failed") and all(
        line.startswith(("warning:", "error:")) for line in err
    )


def test_robust_api_whose_runs_all_fail_says_so(tmp_path, monkeypatch):
    import sim.experiments.simulate as simulate
    from sim.experiments.robust import RobustError, robust

    def broken(*args, **kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(simulate, "run", broken)
    with pytest.warns(RuntimeWarning, match="4 of 4 runs failed"):
        res = robust(["baseline", "crm"], {"environment.turbulence": (0.5, 3.0)}, futures=2, steps=2,
                     params={"market.initial_customers": 200, "market.market_potential": 800},
                     out=tmp_path / "r", executor="none", progress=False)  # fmt: skip
    with pytest.raises(RobustError, match="all 4 runs failed; nothing to analyse"):
        res.outcomes  # noqa: B018
