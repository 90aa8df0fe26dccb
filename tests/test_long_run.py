"""The baseline is a steady state, and customer lifetime value is consistent with the weekly step.

* Level over ten years: the shipped baseline (full size, after its warm-up) is run for 520 weeks on
  6 seeds; the mean of years 9-10 is compared with the mean of years 1-2, seed by seed. Measured
  (6 seeds): active customers +3.0 % (SE 2.5 %), profit +6.6 % (SE 4.4 %), retention +0.006
  (SE 0.006), satisfaction +0.002 (SE 0.017), knowledge gap +0.012 (SE 0.009). The tolerances
  below are practical ones (a drift a strategist would notice over ten years), not statistical.
* CLV: in a clean market (constant hazard and margin: satisfaction, relationships and competition
  do not move the hazard, no sales, no acquisitions), the closed form over the run's horizon equals
  what the cohort of step 0 realized, within 3 standard errors (per seed the two are paired).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run
from sim.analysis.scorecard import realized_clv
from sim.engine.market import clv, weekly_discount

YEARS, LEVEL_SEEDS = 10, 6
# largest acceptable change from years 1-2 to years 9-10: relative for sizes and money, absolute for shares
RELATIVE = {"active_customers": 0.08, "revenue": 0.08, "profit": 0.15}
ABSOLUTE = {"retention": 0.02, "satisfaction_mean": 0.05, "knowledge_gap": 0.04, "service_quality": 0.03}

CLEAN = {
    "market.initial_customers": 3000,
    "market.market_potential": 25500,
    "organization.teams": 3,
    "market.churn_satisfaction_slope": 0.0,
    "market.churn_dissatisfaction_slope": 0.0,
    "market.relationship_protection": 0.0,
    "market.competition_churn": 0.0,
    "market.upsell_rate": 0.0,
    "market.initial_products": 1.0,
    "market.p_innovation": 0.0,
    "market.q_imitation": 0.0,
}
CLV_SEEDS, CLV_STEPS = 6, 104


def _pool_map(fn, items):
    workers = min(2, os.cpu_count() or 1)
    if workers < 2:
        return list(map(fn, items))
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
        return list(pool.map(fn, items))


def _years(seed: int) -> pd.DataFrame:
    steps = run(load_scenario("baseline"), seed=seed, steps=52 * YEARS).steps.iloc[1:]
    year = (steps["step"].to_numpy() - 1) // 52 + 1
    g = steps.groupby(year)
    out = g[["active_customers", "satisfaction_mean", "knowledge_gap", "service_quality"]].mean()
    out[["revenue", "profit"]] = g[["revenue", "profit"]].sum()
    out["retention"] = (1.0 - g["churned"].sum() / g["exposed"].sum()) ** 52
    return out


@pytest.fixture(scope="module")
def years():
    return _pool_map(_years, range(LEVEL_SEEDS))


def test_the_baseline_is_level_over_ten_years(years):
    early = pd.DataFrame([y.loc[[1, 2]].mean() for y in years])
    late = pd.DataFrame([y.loc[[YEARS - 1, YEARS]].mean() for y in years])
    for col, tol in RELATIVE.items():
        change = float((late[col] / early[col] - 1.0).mean())
        assert abs(change) < tol, f"{col} moved {change:+.1%} from years 1-2 to years 9-10"
    for col, tol in ABSOLUTE.items():
        change = float((late[col] - early[col]).mean())
        assert abs(change) < tol, f"{col} moved {change:+.3f} from years 1-2 to years 9-10"
    # and it starts where the scenario says: the warm-up settles near the initial customers
    assert abs(float(early["active_customers"].mean()) / 10_000 - 1.0) < 0.06


def _clv(seed: int) -> tuple[float, float]:
    sc = load_scenario("baseline").with_params(CLEAN)
    res = run(sc, seed=seed, steps=CLV_STEPS)
    flow = res.steps.iloc[1:]
    annual = float(sc.get("market.annual_discount_rate"))
    exposed = float(flow["exposed"].sum())
    r = 1.0 - float(flow["churned"].sum()) / exposed
    m = float(flow["gross_margin"].sum()) / float(flow["active_customers"].sum())
    c = float(flow["customer_cost"].sum()) / exposed
    closed = clv(m, c, r, weekly_discount(annual), horizon=CLV_STEPS)
    return closed, realized_clv(res.steps, annual)


def test_clv_closed_form_equals_the_realized_value():
    pairs = np.array(_pool_map(_clv, range(CLV_SEEDS)))
    d = pairs[:, 1] - pairs[:, 0]  # realized - closed form, per seed
    se = d.std(ddof=1) / np.sqrt(d.size)
    assert abs(d.mean()) < 3 * se + 1e-9, f"realized - closed form = {d.mean():+.2f} (SE {se:.2f})"
    assert abs(d.mean()) < 0.02 * pairs[:, 0].mean()  # and close in size: within 2 %


def test_clv_kpi_is_the_unlimited_closed_form_of_the_run():
    """The KPI values a customer over its whole expected life (no horizon): above what the cohort can
    realize within two years, and equal to the closed form on the run's own averages."""
    sc = load_scenario("baseline").with_params(CLEAN)
    res = run(sc, seed=0, steps=CLV_STEPS)
    flow = res.steps.iloc[1:]
    exposed = float(flow["exposed"].sum())
    r = 1.0 - float(flow["churned"].sum()) / exposed
    m = float(flow["gross_margin"].sum()) / float(flow["active_customers"].sum())
    c = float(flow["customer_cost"].sum()) / exposed
    d = weekly_discount(float(sc.get("market.annual_discount_rate")))
    assert res.summary["clv"] == pytest.approx(clv(m, c, r, d))
    assert res.summary["clv"] > res.summary["clv_realized"] > 0


if __name__ == "__main__":  # python tests/test_long_run.py: the figures quoted above
    ys = years.__wrapped__()
    early = pd.DataFrame([y.loc[[1, 2]].mean() for y in ys])
    late = pd.DataFrame([y.loc[[YEARS - 1, YEARS]].mean() for y in ys])
    for col in RELATIVE:
        ch = late[col] / early[col] - 1.0
        print(f"{col:18s} {ch.mean():+.2%} (SE {ch.std(ddof=1) / np.sqrt(len(ch)):.2%})")
    for col in ABSOLUTE:
        ch = late[col] - early[col]
        print(f"{col:18s} {ch.mean():+.4f} (SE {ch.std(ddof=1) / np.sqrt(len(ch)):.4f})")
    pairs = np.array(_pool_map(_clv, range(CLV_SEEDS)))
    d = pairs[:, 1] - pairs[:, 0]
    print("CLV closed form", pairs[:, 0].round(2), "realized", pairs[:, 1].round(2))
    print(f"realized - closed = {d.mean():+.3f} (SE {d.std(ddof=1) / np.sqrt(d.size):.3f})")
