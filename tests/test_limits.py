"""Hard limits (issue 14): every size, count, amount and text has an upper bound, and a model too large
for the machine is refused before any work with one line saying what it needs and how to raise the limit."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from sim.config import limits
from sim.config.errors import ScenarioError
from sim.config.loader import load_scenario
from sim.config.schema import SCHEMA

ROOT = Path(__file__).resolve().parent.parent


def test_every_number_has_both_bounds():
    for key, p in SCHEMA.items():
        if p.type in (int, float) and p.choices is None:
            assert p.hi is not None, key
            assert p.lo is not None, key


@pytest.mark.parametrize(
    "key, value, limit",
    [
        ("market.initial_customers", 9223372036854775807, "10000000"),
        ("organization.team_size", 10**6, "1000"),
        ("knowledge.customer_items", 5000, "1000"),
        ("scenario.steps", 99999999999999999999, "5200"),
        ("market.price", 1e308, "1000000"),
        ("costs.hiring", 1e300, "1e+12"),
        ("scorecard.kpi.value.weight", 1e308, "1000000"),
        ("scorecard.kpi.value.target", -1e300, "1e+12"),
    ],
)
def test_absurd_values_are_refused_in_one_line(key, value, limit):
    with pytest.raises(ScenarioError) as e:
        load_scenario("baseline").with_params({key: value})
    msg = str(e.value)
    assert "\n" not in msg and key in msg and limit in msg and "out of range" in msg


def test_a_model_too_large_for_memory_is_refused_with_what_it_needs(monkeypatch):
    monkeypatch.setenv(limits.MEMORY_VARIABLE, "0.5")
    with pytest.raises(ScenarioError) as e:
        load_scenario("baseline").with_params({"market.market_potential": 5_000_000})
    msg = str(e.value)
    assert "\n" not in msg and "market.market_potential = 5000000" in msg
    assert "needs ~" in msg and "the limit is 0.5 GiB" in msg and limits.MEMORY_VARIABLE in msg
    monkeypatch.setenv(limits.MEMORY_VARIABLE, "64")  # raised: accepted
    load_scenario("baseline").with_params({"market.market_potential": 5_000_000})


def test_the_estimate_is_in_the_measured_range(monkeypatch):
    """~1 KB a customer row at K = 64 (measured 1.03 MB per 1,000 at 100,000 customers), so the shipped
    baseline (85,000 in the market) is estimated at under 0.2 GiB and fits a 1 GiB limit."""
    flat = load_scenario("baseline").flat()
    est = limits.memory_estimate_gib(flat)
    assert 0.05 < est < 0.2
    monkeypatch.setenv(limits.MEMORY_VARIABLE, "1")
    assert limits.memory_limit_gib() == 1.0 and limits.memory_problem(flat) is None
    monkeypatch.setenv(limits.MEMORY_VARIABLE, "0.01")
    assert "needs ~0.1 GiB; the limit is 0.0 GiB" in limits.memory_problem(flat)


def test_long_texts_are_refused():
    with pytest.raises(ScenarioError, match="longer than 10000 characters"):
        load_scenario("baseline").with_params({"scenario.description": "x" * 20_000})


def test_cli_refuses_a_huge_model_in_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "o"
    r = subprocess.run(
        [sys.executable, "run.py", "run", "baseline", "--set", "market.initial_customers=9223372036854775807",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "market.initial_customers" in r.stderr
    assert not out.exists()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


HEAD = '[scenario]\nextends = "baseline"\n'


@pytest.mark.parametrize(
    "body, expected",
    [
        ("[market]\nx = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ("[market]\ninitial_customers = " + "9" * 5000 + "\n", "malformed TOML"),
        ("[market]\nprice = 1e308\n", "out of range"),
        ("[market]\n" + "price = 1\n" * 3, "malformed TOML at line 5"),  # a key given twice
    ],
)
def test_hostile_files_are_one_line_errors(tmp_path, body, expected):
    path = _write(tmp_path / "bad.toml", HEAD + body)
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert expected in str(e.value) and "\n" not in str(e.value)


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + HEAD.encode())
    assert load_scenario(path).get("market.price") == load_scenario("baseline").get("market.price")


def test_symlink_loops_and_long_chains_are_refused(tmp_path):
    (tmp_path / "self.toml").symlink_to(tmp_path / "self.toml")
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "self.toml")
    _write(tmp_path / "c0.toml", HEAD)
    for i in range(1, 40):
        _write(tmp_path / f"c{i}.toml", f'[scenario]\nextends = "c{i - 1}.toml"\n')
    with pytest.raises(ScenarioError, match="a chain of more than 20 files"):
        load_scenario(tmp_path / "c39.toml")
    load_scenario(tmp_path / "c10.toml")  # a chain of a reasonable length is fine


def test_a_huge_file_is_refused_before_parsing(tmp_path):
    path = _write(tmp_path / "big.toml", HEAD + "# " + "x" * 2_000_000 + "\n")
    with pytest.raises(ScenarioError, match="expected a scenario file of at most 1,000,000 bytes"):
        load_scenario(path)


def test_no_customers_is_no_retention_not_perfect_retention():
    from sim.experiments.simulate import run

    sc = load_scenario("baseline").with_params(
        {"market.initial_customers": 0, "market.p_innovation": 0.0, "market.q_imitation": 0.0, "scenario.warmup": 0}
    )
    res = run(sc, seed=0, steps=2)
    assert math.isnan(res.summary["retention_rate"])
    row = res.scorecard.set_index("kpi").loc["retention_rate"]
    assert row["status"] != "met"


# --- the time a command may plan (limits.work_hours, checked before any work) --------------------------


def test_the_work_estimate_follows_customers_weeks_and_runs(monkeypatch):
    one = limits.work_hours(10_000, 208)  # the baseline: 104 weeks after a 104-week warm-up
    assert 1.0 < one * 3600 < 1.3  # ~1.1 s (bench/full_model.py: 0.57 s stepping + 0.53 s warm-up)
    assert limits.work_hours([10_000] * 10, [208] * 10) == pytest.approx(10 * one)
    assert limits.work_hours(1_000_000, 208) == pytest.approx(100 * one, rel=0.05)  # linear, but for set-up
    assert limits.work_limit_hours() == limits.DEFAULT_WORK_HOURS
    monkeypatch.setenv(limits.WORK_VARIABLE, "5")
    assert limits.work_limit_hours() == 5.0
    for bad in ("0", "-1", "lots"):
        monkeypatch.setenv(limits.WORK_VARIABLE, bad)
        assert limits.work_limit_hours() == limits.DEFAULT_WORK_HOURS


@pytest.mark.parametrize(
    "argv",
    [
        ["sweep", "baseline", "--param", "policy.codification=0:1", "--samples", "100000", "--reps", "1000"],
        ["sensitivity", "baseline", "--param", "policy.codification=0:1", "--samples", "100000", "--reps", "100"],
        ["robust", "baseline", "crm", "--uncertain", "environment.turbulence=0.5:3", "--futures", "10000",
         "--reps", "2", "--steps", "5200", "--set", "market.initial_customers=100000", "--set",
         "market.market_potential=850000"],
        ["optimize", "ckm", "--lever", "policy.loyalty_scheme=0:1", "--trials", "10000", "--reps", "1000"],
        ["compare", "baseline", "km", "--reps", "1000", "--steps", "5200", "--set", "market.initial_customers=10000000",
         "--set", "market.market_potential=10000000"],
    ],
    ids=["sweep", "sensitivity", "robust", "optimize", "compare"],
)  # fmt: skip
def test_work_beyond_the_limit_is_refused_before_anything_starts(tmp_path, argv):
    """In a subprocess with a timeout: were the check missing, these would run for days."""
    import os

    out = tmp_path / "out"
    env = {**os.environ, limits.MEMORY_VARIABLE: "1000"}  # the 10-million-customer market passes memory
    r = subprocess.run([sys.executable, "run.py", *argv, "--out", str(out), "--no-progress"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    err = [line for line in r.stderr.strip().splitlines() if not line.startswith("warning: ")]
    assert r.returncode == 2 and len(err) == 1 and "CPU-hours (estimated); the limit is 1,000" in err[0], r.stderr
    assert f"raise it with {limits.WORK_VARIABLE}=N" in err[0] and not out.exists()


def test_the_work_limit_can_be_raised_and_lowered(tmp_path, capsys, monkeypatch):
    from sim.cli.main import main

    small = ["compare", "baseline", "km", "--reps", "2", "--steps", "2", "--executor", "none", "--no-progress",
             "--set", "market.initial_customers=200", "--set", "market.market_potential=800"]  # fmt: skip
    monkeypatch.setenv(limits.WORK_VARIABLE, "0.00001")
    assert main([*small, "--out", str(tmp_path / "a")]) == 2
    assert "the limit is 0" in capsys.readouterr().err
    monkeypatch.setenv(limits.WORK_VARIABLE, "0.001")
    assert main([*small, "--out", str(tmp_path / "b")]) == 0 and (tmp_path / "b" / "report.html").exists()


def test_the_work_estimate_follows_what_a_design_varies():
    """A design that moves the market size, the run length or the warm-up is estimated point by point."""
    import pandas as pd

    sc = load_scenario("baseline")  # 10,000 customers, 104 weeks after a 104-week warm-up
    one = limits.run_hours(sc, None)
    assert one == pytest.approx(limits.work_hours(10_000, 208))
    assert limits.run_hours(sc, None, 3, pd.DataFrame({"policy.codification": [0.1, 0.9]})) == pytest.approx(6 * one)
    bigger = pd.DataFrame({"market.initial_customers": [10_000, 100_000]})
    assert limits.run_hours(sc, None, 1, bigger) == pytest.approx(limits.work_hours([10_000, 100_000], [208, 208]))
    longer = pd.DataFrame({"scenario.steps": [104, 1040]})
    assert limits.run_hours(sc, None, 1, longer) == pytest.approx(limits.work_hours([10_000] * 2, [208, 1144]))
    assert limits.run_hours(sc, 4, 1, longer) == pytest.approx(2 * limits.work_hours(10_000, 108))  # --steps wins
