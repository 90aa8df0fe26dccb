"""Strategists' comparisons: one yardstick, payback over time, inline variants and --vary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import compare
from sim.analysis import payback
from sim.analysis.scorecard import build_scorecard, rescore, valuation, weighted_score
from sim.cli.main import main
from sim.config.errors import ScenarioError
from sim.config.loader import load_scenario
from sim.config.variants import load_variant, parse_vary, vary

TINY = {
    "scenario.warmup": 8,
    "market.initial_customers": 400,
    "market.market_potential": 3400,
    "organization.teams": 2,
    "organization.team_size": 6,
}


# --------------------------------------------------------------------------------- one yardstick


@pytest.fixture(scope="module")
def finance_file(tmp_path_factory):
    """A CKM variant whose own scorecard weighs only the financial perspective."""
    path = tmp_path_factory.mktemp("sc") / "ckm_finance.toml"
    lines = ['[scenario]\nextends = "ckm"\nname = "ckm_finance"\n']
    for k in ("retention_rate", "satisfaction_mean", "knowledge_gap", "service_quality", "knowledge_individual"):
        lines.append(f"[scorecard.kpi.{k}]\nweight = 0.0\n")
    lines.append("[scorecard.kpi.value]\nweight = 10.0\n")
    path.write_text("\n".join(lines))
    return path


def test_every_scenario_is_scored_on_the_yardstick_whatever_the_order(finance_file):
    a = compare(["ckm", str(finance_file)], reps=2, steps=8, params=TINY, executor="none", progress=False,
                reference="ckm")  # fmt: skip
    b = compare([str(finance_file), "ckm"], reps=2, steps=8, params=TINY, executor="none", progress=False,
                reference="ckm")  # fmt: skip
    score = lambda c: c.summary.set_index(["kpi", "scenario"])["mean"].xs("score", level="kpi")  # noqa: E731
    assert score(a).to_dict() == pytest.approx(score(b).to_dict())
    # the variant is scored on CKM's weights, not on its own
    runs = a.runs[a.runs["scenario"] == "ckm_finance"]
    ckm = load_scenario("ckm").with_params(TINY)
    from sim.analysis.kpis import KPIS

    for row in runs.to_dict("records"):
        card = build_scorecard({k: row[k] for k in KPIS}, ckm)
        assert row["score"] == pytest.approx(weighted_score(card))
        assert row["own_score"] != pytest.approx(row["score"])  # its own weighting differs
    assert "ckm_finance_own_weight" in a.scorecards.columns and a.yardstick == "ckm"


def test_weights_choose_the_yardstick(finance_file):
    c = compare(["baseline", "ckm"], reps=2, steps=8, params=TINY, executor="none", progress=False,
                weights=str(finance_file))  # fmt: skip
    assert c.yardstick == "ckm_finance"
    fin = load_variant(str(finance_file)).with_params(TINY)
    assert (
        c.scorecards["weight"].to_numpy() == [fin.get(f"scorecard.kpi.{k}.weight") for k in c.scorecards["kpi"]]
    ).all()


def test_rescore_keeps_the_own_score():
    runs = pd.DataFrame([{**dict.fromkeys(_kpis(), 1.0), "score": 50.0}])
    out = rescore(runs, load_scenario("baseline"))
    assert out["own_score"].iloc[0] == 50.0 and out["score"].iloc[0] != 50.0


def _kpis():
    from sim.analysis.kpis import KPIS

    return list(KPIS)


# --------------------------------------------------------------------------------- payback


def _steps(profits: dict[tuple[str, int], list[float]], spend: dict[str, float]) -> pd.DataFrame:
    """A tidy step table: row 0 plus one row per week, only the columns payback reads."""
    rows = []
    for (name, rep), weekly in profits.items():
        for t, profit in enumerate([0.0, *weekly]):
            rows.append({"scenario": name, "rep": rep, "step": t, "profit": profit,
                         "knowledge_cost": spend[name] if t else 0.0})  # fmt: skip
    return pd.DataFrame(rows)


def test_payback_hand_computed():
    # the policy costs 10 more in each of the first two weeks, then earns 5 more a week
    profits = {
        ("ref", 0): [100, 100, 100, 100, 100, 100],
        ("ref", 1): [90, 90, 90, 90, 90, 90],
        ("pol", 0): [90, 90, 105, 105, 105, 105],
        ("pol", 1): [80, 80, 95, 95, 95, 95],
    }
    steps = _steps(profits, {"ref": 0.0, "pol": 10.0})
    pay = payback.payback(steps, ["ref", "pol"], "ref", annual_discount=0.0)
    cash = pay[pay["measure"] == "cash"].set_index("step")["difference"]
    assert cash.to_list() == [0, -10, -20, -15, -10, -5, 0]
    be = payback.breakeven(pay).iloc[0]
    assert be["breakeven_week"] == 6 and be["earliest"] == 6 and be["latest"] == 6  # identical in both reps
    spend = pay[pay["measure"] == "spend"].set_index("step")["difference"]
    assert spend.iloc[-1] == pytest.approx(60.0)


def test_breakeven_not_within_the_horizon():
    profits = {("ref", 0): [10, 10, 10], ("ref", 1): [10, 10, 10], ("pol", 0): [5, 5, 5], ("pol", 1): [4, 6, 5]}
    be = payback.breakeven(payback.payback(_steps(profits, {"ref": 0, "pol": 0}), ["ref", "pol"], "ref", 0.0))
    assert np.isnan(be["breakeven_week"].iloc[0])


def test_horizon_values_are_the_valuation_of_the_cut_tables():
    c = compare(["baseline", "ckm"], reps=2, steps=60, params=TINY, executor="none", progress=False)
    h = c.horizons
    assert sorted(h["horizon"].unique()) == [52, 60]
    annual = load_scenario("baseline").get("market.annual_discount_rate")
    cut = c.steps[(c.steps["scenario"] == "ckm") & (c.steps["step"] <= 52)]
    expected = np.mean([valuation(g, annual)["value"] for _, g in cut.groupby("rep")])
    got = h[(h["horizon"] == 52) & (h["scenario"] == "ckm")]["value"].iloc[0]
    assert got == pytest.approx(expected)
    # at the run's horizon the value is the value KPI
    kpi = c.summary.set_index(["kpi", "scenario"]).loc[("value", "ckm"), "mean"]
    assert h[(h["horizon"] == 60) & (h["scenario"] == "ckm")]["value"].iloc[0] == pytest.approx(kpi)
    assert set(h["rank"]) == {1, 2}
    assert list(c.returns["scenario"]) == ["ckm"] and c.returns["extra_spend"].iloc[0] > 0
    assert len(c.breakeven) == 1 and {"cash", "npv", "spend"} == set(c.payback["measure"])


# --------------------------------------------------------------------------------- variants


def test_inline_variant_and_vary():
    v = load_variant("crm:policy.crm_maturity=3,policy.loyalty_scheme=0.2")
    assert v.name == "crm:policy.crm_maturity=3,policy.loyalty_scheme=0.2"
    assert v.get("policy.crm_maturity") == 3 and v.get("policy.loyalty_scheme") == 0.2
    assert v.get("policy.customer_role") == "captive"  # the rest is crm's
    assert parse_vary("policy.crm_maturity=1,2,3") == ("policy.crm_maturity", [1, 2, 3])
    names = [s.name for s in vary(["baseline", "crm"], "policy.crm_maturity", [1, 3])]
    assert names == [
        "baseline:policy.crm_maturity=1",
        "baseline:policy.crm_maturity=3",
        "crm:policy.crm_maturity=1",
        "crm:policy.crm_maturity=3",
    ]
    with pytest.raises(ScenarioError, match="did you mean 'policy.crm_maturity'"):
        load_variant("crm:policy.crm_mat=3")
    with pytest.raises(ScenarioError, match="expected key=v1,v2"):
        parse_vary("policy.crm_maturity")


def test_cli_compare_vary_runs_a_scenario_per_value(tmp_path, capsys):
    out = tmp_path / "v"
    argv = ["compare", "baseline", "--vary", "policy.crm_maturity=1,3", "--reps", "2", "--steps", "6",
            "--executor", "none", "--no-progress", "--out", str(out)]  # fmt: skip
    for k, v in TINY.items():
        argv += ["--set", f"{k}={v}"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "baseline:policy.crm_maturity=3 - baseline:policy.crm_maturity=1" in text
    assert "Payback against baseline:policy.crm_maturity=1" in text and "break-even" in text
    runs = pd.read_parquet(out / "runs.parquet")
    assert set(runs["scenario"]) == {"baseline:policy.crm_maturity=1", "baseline:policy.crm_maturity=3"}


def test_cli_compare_bad_vary_is_one_line(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["compare", "baseline", "--vary", "policy.crm_maturity=7", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "policy.crm_maturity" in err
    assert not out.exists()
