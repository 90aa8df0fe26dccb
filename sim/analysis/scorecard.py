"""The balanced scorecard (seeds 000, 001): mission -> goals -> KPIs in four perspectives.

KPI values come from a finished run; targets, weights and directions from the scenario's
``[scorecard.kpi.<name>]`` tables. One scorecard for the firm, one per team (department).
Flows (revenue, profit, costs, acquisitions, transfers) are per year; states (knowledge, gap,
satisfaction) are the mean of the last quarter (13 weeks), so a single noisy week does not decide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.kpis import KPIS, PERSPECTIVES, SCORE_COLUMNS, TEAM_KPIS  # noqa: F401 (re-exported)
from sim.engine.market import annualized, gupta_lehmann_clv

QUARTER = 13


def _late(steps: pd.DataFrame, column: str) -> float:
    return float(steps[column].iloc[-QUARTER:].mean())


def firm_kpis(steps: pd.DataFrame, discount_weekly: float) -> dict[str, float]:
    """KPI values of a run from its step table (row 0 is the initial state)."""
    flow = steps.iloc[1:]
    years = max(len(flow), 1) / 52.0
    exposure = float(steps["active_customers"].iloc[:-1].sum())
    churned = float(flow["churned"].sum())
    retention = annualized(1.0 - churned / exposure) if exposure > 0 else 1.0
    transfers = flow[[c for c in steps.columns if c.startswith("transfers_")]].to_numpy().sum()
    employees = float(steps["employees"].iloc[-1]) or 1.0
    customer_weeks = float(flow["active_customers"].sum()) or 1.0
    margin_per_year = float((flow["gross_margin"] - flow["service_cost"]).sum()) / customer_weeks * 52.0
    active = float(steps["active_customers"].iloc[-1])
    return {
        "revenue": float(flow["revenue"].sum()) / years,
        "profit": float(flow["profit"].sum()) / years,
        "clv": gupta_lehmann_clv(margin_per_year, retention, (1.0 + discount_weekly) ** 52 - 1.0),
        "knowledge_cost": float(flow["knowledge_cost"].sum()) / years,
        "retention_rate": float(retention),
        "satisfaction_mean": _late(steps, "satisfaction_mean"),
        "acquired_total": float(flow["acquired"].sum()) / years,
        "referrers_share": float(steps["referrers"].iloc[-1]) / active if active else 0.0,
        "products_per_customer": _late(steps, "products_per_customer"),
        "service_quality": float(flow["service_quality"].mean()),
        "knowledge_gap": _late(steps, "knowledge_gap"),
        "codification": _late(steps, "codification"),
        "product_fit": _late(steps, "product_fit"),
        "knowledge_individual": _late(steps, "knowledge_individual"),
        "knowledge_team": _late(steps, "knowledge_team"),
        "knowledge_org": _late(steps, "knowledge_org"),
        "employee_retention": max(0.0, 1.0 - float(flow["employees_left"].sum()) / years / employees),
        "transfers_per_employee": float(transfers) / years / employees,
    }


def realized_clv(steps: pd.DataFrame, discount_weekly: float, initial_customers: int) -> float:
    """Discounted margin (less service) the initial cohort actually brought over the run's horizon."""
    if initial_customers <= 0:
        return float("nan")
    flow = steps.iloc[1:]
    t = np.arange(1, len(flow) + 1)
    return float((flow["cohort_margin"].to_numpy() / (1.0 + discount_weekly) ** t).sum() / initial_customers)


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


def team_kpis(model, steps: pd.DataFrame) -> pd.DataFrame:
    """Per-team KPI values from the model's per-team accumulators (one row per team)."""
    acc = model.team_acc
    years = max(len(steps) - 1, 1) / 52.0
    with np.errstate(divide="ignore", invalid="ignore"):
        retention = np.where(acc["exposure"] > 0, annualized(1.0 - acc["churned"] / acc["exposure"]), 1.0)
        quality = np.where(acc["encounters"] > 0, acc["quality_sum"] / acc["encounters"], np.nan)
    size = np.bincount(model.employees.team, minlength=acc["exposure"].size)
    state = model.team_state()
    return pd.DataFrame(
        {
            "team": np.arange(acc["exposure"].size),
            "revenue": acc["revenue"] / years,
            "retention_rate": retention,
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
