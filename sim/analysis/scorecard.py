"""The balanced scorecard (seeds 000, 001): mission -> goals -> KPIs in four perspectives.

KPI values come from a finished run; targets, weights and directions from the scenario's
``[scorecard.kpi.<name>]`` tables. One scorecard for the firm, one per team (department).
Flows (revenue, profit, costs, acquisitions, transfers) are per year; states (knowledge, gap,
satisfaction) are their mean over the measured weeks (after the warm-up).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.kpis import KPIS, PERSPECTIVES, SCORE_COLUMNS, TEAM_KPIS  # noqa: F401 (re-exported)
from sim.engine.channels import CHANNELS, INTERNAL
from sim.engine.market import clv, retention, weekly_discount


def valuation(steps: pd.DataFrame, annual_discount: float) -> dict[str, float]:
    """The money of a run from its step table, in money of step 0: ``npv`` of the weekly cash profit;
    ``clv``, the weekly closed form on the run's margin, cost of serving and retention; ``customer_equity``,
    the customers active at the last row times their lifetime value, discounted; ``value`` = NPV +
    customer equity. A step table cut at week h gives the value of a policy at horizon h."""
    flow = steps.iloc[1:]
    d = weekly_discount(annual_discount)
    factor = (1.0 + d) ** -np.arange(1, len(flow) + 1)  # discount of week t's cash to the start
    churned, exposed = float(flow["churned"].sum()), float(flow["exposed"].sum())
    weekly_retention = 1.0 - churned / exposed if exposed > 0 else 1.0
    customer_weeks = float(flow["active_customers"].sum())
    margin = float(flow["gross_margin"].sum()) / customer_weeks if customer_weeks else 0.0
    serving = float(flow["customer_cost"].sum()) / exposed if exposed else 0.0
    lifetime = clv(margin, serving, weekly_retention, d)
    npv = float((flow["profit"].to_numpy() * factor).sum())
    equity = float(steps["active_customers"].iloc[-1]) * lifetime * (float(factor[-1]) if len(factor) else 1.0)
    return {"value": npv + equity, "npv": npv, "customer_equity": equity, "clv": lifetime}


def firm_kpis(steps: pd.DataFrame, annual_discount: float) -> dict[str, float]:
    """KPI values of a run from its step table (row 0 is the state when measurement begins).

    Flows are summed over the measured weeks (per year where the unit says so); levels are their
    mean over the measured weeks (the warm-up is excluded, so a steady run's mean is its level);
    money as :func:`valuation`.
    """
    flow = steps.iloc[1:]
    weeks = max(len(flow), 1)
    years = weeks / 52.0
    churned, exposed = float(flow["churned"].sum()), float(flow["exposed"].sum())
    money = valuation(steps, annual_discount)
    internal = [f"transfers_{c.name}" for c in CHANNELS if c.group == INTERNAL]
    employees = float(steps["employees"].iloc[-1]) or 1.0
    customers = flow["active_customers"].where(flow["active_customers"] > 0)

    def level(column: str) -> float:
        return float(flow[column].mean()) if len(flow) else float(steps[column].iloc[-1])

    return {
        "value": money["value"],
        "npv": money["npv"],
        "customer_equity": money["customer_equity"],
        "revenue": float(flow["revenue"].sum()) / years,
        "profit": float(flow["profit"].sum()) / years,
        "clv": money["clv"],
        "knowledge_cost": float(flow["knowledge_cost"].sum()) / years,
        "retention_rate": retention(churned, exposed),
        "satisfaction_mean": level("satisfaction_mean"),
        "acquired_per_year": float(flow["acquired"].sum()) / years,
        "referrers_share": float((flow["referrers"] / customers).mean()),
        "products_per_customer": level("products_per_customer"),
        "service_quality": level("service_quality"),
        "knowledge_gap": level("knowledge_gap"),
        "codification": level("codification"),
        "product_fit": level("product_fit"),
        "knowledge_individual": level("knowledge_individual"),
        "knowledge_team": level("knowledge_team"),
        "knowledge_org": level("knowledge_org"),
        "employee_retention": max(0.0, 1.0 - float(flow["employees_left"].sum()) / years / employees),
        "transfers_per_employee": float(flow[internal].to_numpy().sum()) / years / employees,
    }


def realized_clv(steps: pd.DataFrame, annual_discount: float) -> float:
    """What the customers active when measurement began actually brought over the run, per customer:
    their discounted margin less the cost of serving them (the realized counterpart of ``clv``)."""
    cohort = float(steps["cohort_exposed"].iloc[1]) if len(steps) > 1 else 0.0
    if cohort <= 0:
        return float("nan")
    flow = steps.iloc[1:]
    factor = (1.0 + weekly_discount(annual_discount)) ** -np.arange(1, len(flow) + 1)
    return float((flow["cohort_margin"].to_numpy() * factor).sum() / cohort)


def _attainment(value: float, target: float, direction: str) -> float:
    """value / target (or target / value when lower is better), never below 0."""
    if not np.isfinite(value):
        return 0.0
    if direction == "lower":
        return 1.0 if value <= target else (target / value if value > 0 else 0.0)
    if target == 0:
        return 1.0 if value >= 0 else 0.0
    return max(0.0, value / target if target > 0 else (1.0 if value >= target else target / value))


def status(attainment: float) -> str:
    """met (target reached), near (within 10 %), missed."""
    return "met" if attainment >= 1.0 else ("near" if attainment >= 0.9 else "missed")


def build_scorecard(values: dict[str, float], scenario, kpis=None) -> pd.DataFrame:
    """KPI rows: perspective, value, target, direction, weight, attainment, status."""
    flat = scenario.flat()
    rows = []
    for name in kpis or KPIS:
        kpi = KPIS[name]
        perspective, description, unit = kpi.perspective, kpi.description, kpi.unit
        target = float(flat[f"scorecard.kpi.{name}.target"])
        weight = float(flat[f"scorecard.kpi.{name}.weight"])
        direction = flat.get(f"scorecard.kpi.{name}.direction", "higher")
        value = float(values[name])
        att = _attainment(value, target, direction)
        rows.append(
            dict(
                perspective=perspective,
                kpi=name,
                description=description,
                unit=unit,
                value=value,
                target=target,
                direction=direction,
                weight=weight,
                attainment=att,
                status=status(att),
            )
        )
    return pd.DataFrame(rows)


def weighted_score(card: pd.DataFrame) -> float:
    """0-100: weight-averaged attainment, each KPI capped at its target."""
    w = card["weight"].to_numpy()
    return float(100.0 * (w * np.minimum(card["attainment"].to_numpy(), 1.0)).sum() / w.sum()) if w.sum() else 0.0


def perspective_scores(card: pd.DataFrame) -> pd.Series:
    """Weighted score per perspective, in the order of the balanced scorecard."""
    weights = card.groupby("perspective")["weight"].sum()
    out = {
        p: weighted_score(card[card["perspective"] == p]) if weights[p] > 0 else float("nan")  # no weight: no score
        for p in PERSPECTIVES
        if p in weights.index
    }
    return pd.Series(out, name="score")


def rescore(runs: pd.DataFrame, yardstick) -> pd.DataFrame:
    """Every run scored on one yardstick -- a scenario's targets, weights and directions -- so that
    policies are ranked on the same scale. ``score`` and the perspective scores are replaced; each
    run's score on its own scenario's scorecard is kept as ``own_score``."""
    out = runs.copy()
    if "score" in out:
        out["own_score"] = out["score"]
    scores, perspectives = [], []
    for row in out.to_dict("records"):
        card = build_scorecard({k: row[k] for k in KPIS}, yardstick)
        scores.append(weighted_score(card))
        perspectives.append(perspective_scores(card))
    out["score"] = scores
    for p, col in SCORE_COLUMNS.items():
        out[col] = [ps.get(p, np.nan) for ps in perspectives]
    return out


def team_kpis(model, steps: pd.DataFrame) -> pd.DataFrame:
    """Per-team KPI values from the model's per-team accumulators (one row per team)."""
    acc = model.team_acc
    years = max(len(steps) - 1, 1) / 52.0
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = retention(acc["churned"], acc["exposure"])
        quality = np.where(acc["encounters"] > 0, acc["quality_sum"] / acc["encounters"], np.nan)
    size = np.bincount(model.employees.team, minlength=acc["exposure"].size)
    state = model.team_state()
    return pd.DataFrame(
        {
            "team": np.arange(acc["exposure"].size),
            "revenue": acc["revenue"] / years,
            "retention_rate": kept,
            "satisfaction_mean": state["satisfaction_mean"],
            "products_per_customer": state["products_per_customer"],
            "service_quality": quality,
            "knowledge_gap": state["knowledge_gap"],
            "knowledge_individual": state["knowledge_individual"],
            "knowledge_team": state["knowledge_team"],
            "employee_retention": np.maximum(0.0, 1.0 - acc["leavers"] / years / np.maximum(size, 1)),
        }
    )


def team_scorecards(model, steps: pd.DataFrame) -> pd.DataFrame:
    """One scorecard per team, stacked, with a ``team`` column. Team revenue targets are the firm's share."""
    values = team_kpis(model, steps)
    n = len(values)
    scaled = model.scenario.with_params(
        {"scorecard.kpi.revenue.target": float(model.scenario.get("scorecard.kpi.revenue.target")) / max(n, 1)}
    )
    cards = []
    for _, row in values.iterrows():
        card = build_scorecard(row.to_dict(), scaled, kpis=TEAM_KPIS)
        card.insert(0, "team", int(row["team"]))
        cards.append(card)
    return pd.concat(cards, ignore_index=True)
