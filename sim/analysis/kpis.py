"""The declared outcomes of a run: the balanced-scorecard KPIs and the other summary figures.

One declaration per KPI (perspective, meaning, unit); the scenario schema, the scorecard, the
sweep's runs table, sensitivity analysis, plots and reports all read it from here -- nothing
discovers the KPI names by running a model.
"""

from __future__ import annotations

from dataclasses import dataclass

FINANCIAL, CUSTOMER, PROCESS, LEARNING = "financial", "customer", "internal process", "learning & growth"
PERSPECTIVES = (FINANCIAL, CUSTOMER, PROCESS, LEARNING)


@dataclass(frozen=True)
class KPI:
    """A scorecard KPI: its perspective (seed 001), what it measures and in which unit."""

    name: str
    perspective: str
    description: str
    unit: str


_DECLARED = (
    KPI("revenue", FINANCIAL, "revenue per year", "money/yr"),
    KPI("profit", FINANCIAL, "gross margin less all costs, per year", "money/yr"),
    KPI("clv", FINANCIAL, "customer lifetime value, Gupta-Lehmann closed form", "money"),
    KPI("knowledge_cost", FINANCIAL, "cost of knowledge work and policies per year", "money/yr"),
    KPI("retention_rate", CUSTOMER, "annual customer retention", "share"),
    KPI("satisfaction_mean", CUSTOMER, "mean satisfaction of active customers", "[-1, 1]"),
    KPI("acquired_total", CUSTOMER, "customers acquired per year", "customers/yr"),
    KPI("referrers_share", CUSTOMER, "share of active customers who refer", "share"),
    KPI("products_per_customer", CUSTOMER, "products held per active customer", "products"),
    KPI("service_quality", PROCESS, "mean perceived quality of encounters", "share"),
    KPI("knowledge_gap", PROCESS, "customer items the front line with its stores gets wrong", "share"),
    KPI("codification", PROCESS, "share of the front line's right knowledge that its stores also hold", "share"),
    KPI("product_fit", PROCESS, "what R&D/production know of needs and supply", "share"),
    KPI("knowledge_individual", LEARNING, "items employees get right", "share"),
    KPI("knowledge_team", LEARNING, "items team repositories get right", "share"),
    KPI("knowledge_org", LEARNING, "items the knowledge base gets right", "share"),
    KPI("employee_retention", LEARNING, "annual employee retention", "share"),
    KPI("transfers_per_employee", LEARNING, "beliefs moved by all channels per employee per year", "transfers/yr"),
)
KPIS: dict[str, KPI] = {k.name: k for k in _DECLARED}
TEAM_KPIS = ("revenue", "retention_rate", "satisfaction_mean", "products_per_customer", "service_quality",
             "knowledge_gap", "knowledge_individual", "knowledge_team", "employee_retention")

#: Summary column of each perspective's score: "score_financial", "score_customer", ...
SCORE_COLUMNS = {p: f"score_{p.split()[0].replace('&', '')}" for p in PERSPECTIVES}

#: Summary figures beside the KPIs: name -> (description, unit).
OTHER_OUTCOMES: dict[str, tuple[str, str]] = {
    "clv_gupta_lehmann": ("customer lifetime value, Gupta-Lehmann closed form (= clv)", "money"),
    "clv_realized": ("discounted margin of the initial cohort over the run", "money"),
    "score": ("weighted scorecard score", "0-100"),
    **{col: (f"{p} perspective score", "0-100") for p, col in SCORE_COLUMNS.items()},
}

#: Every numeric outcome of a run's summary, in order: the columns of a sweep's runs table.
OUTCOMES: tuple[str, ...] = (*KPIS, *OTHER_OUTCOMES)


def outcome_label(name: str) -> tuple[str, str]:
    """(description, unit) of a summary outcome."""
    if name in KPIS:
        return KPIS[name].description, KPIS[name].unit
    if name in OTHER_OUTCOMES:
        return OTHER_OUTCOMES[name]
    return name.replace("_", " "), ""
