"""The declared outcomes of a run: the balanced-scorecard KPIs and the other summary figures.

One declaration per KPI (perspective, meaning, unit); the scenario schema, the scorecard, the
sweep's runs table, sensitivity analysis, plots and reports all read it from here -- nothing
discovers the KPI names by running a model.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.params import par, share

FINANCIAL, CUSTOMER, PROCESS, LEARNING = "financial", "customer", "internal process", "learning & growth"
PERSPECTIVES = (FINANCIAL, CUSTOMER, PROCESS, LEARNING)


@dataclass(frozen=True)
class KPI:
    """A scorecard KPI: its perspective (seed 001), what it measures, its unit, and the default target,
    weight and direction of the firm's scorecard (a scenario's ``[scorecard.kpi.<name>]`` overrides them)."""

    name: str
    perspective: str
    description: str
    unit: str
    target: float
    weight: float
    direction: str = "higher"


_DECLARED = (
    KPI(
        "value",
        FINANCIAL,
        "value created: NPV of the cash over the horizon plus the customer equity at its end, in today's money",
        "money",
        1.4e7,
        2.0,
    ),
    KPI("npv", FINANCIAL, "net present value of the weekly cash profit over the horizon", "money", 3.3e6, 1.0),
    KPI(
        "customer_equity",
        FINANCIAL,
        "customer equity at the end of the horizon: active customers x CLV, in "
        "today's money (Gupta, Lehmann & Stuart 2004)",
        "money",
        1.0e7,
        1.0,
    ),
    KPI("revenue", FINANCIAL, "revenue per year", "money/yr", 1.4e7, 0.5),
    KPI(
        "profit",
        FINANCIAL,
        "cash profit per year: gross margin less all costs (acquisitions expensed)",
        "money/yr",
        1.9e6,
        0.5,
    ),
    KPI(
        "clv",
        FINANCIAL,
        "customer lifetime value: weekly margin, retention and discounting of the run",
        "money",
        950.0,
        1.0,
    ),
    KPI(
        "knowledge_cost",
        FINANCIAL,
        "cost of knowledge work (the transfer channels' activities) per year",
        "money/yr",
        2.5e5,
        0.5,
        "lower",
    ),
    KPI(
        "retention_rate",
        CUSTOMER,
        "annual customer retention: (1 - churned / customers at risk)^52 over the run",
        "share",
        0.8,
        2.0,
    ),
    KPI("satisfaction_mean", CUSTOMER, "mean satisfaction of active customers", "[-1, 1]", 0.2, 1.0),
    KPI("acquired_per_year", CUSTOMER, "customers won (new and won back) per year", "customers/yr", 3200.0, 1.0),
    KPI(
        "referrers_share",
        CUSTOMER,
        "word of mouth: referral propensity of the average active customer",
        "share",
        0.3,
        0.5,
    ),
    KPI("products_per_customer", CUSTOMER, "products held per active customer", "products", 1.45, 0.5),
    KPI("service_quality", PROCESS, "mean perceived quality of encounters", "share", 0.8, 1.0),
    KPI(
        "knowledge_gap",
        PROCESS,
        "customer items the front line with its stores gets wrong",
        "share",
        0.15,
        1.0,
        "lower",
    ),
    KPI(
        "codification",
        PROCESS,
        "share of the front line's right knowledge that its stores also hold",
        "share",
        0.95,
        0.5,
    ),
    KPI("product_fit", PROCESS, "what R&D/production know of needs and supply", "share", 0.78, 0.5),
    KPI("knowledge_individual", LEARNING, "items employees get right", "share", 0.72, 1.0),
    KPI("knowledge_team", LEARNING, "items team repositories get right", "share", 0.86, 0.5),
    KPI("knowledge_org", LEARNING, "items the knowledge base gets right", "share", 0.88, 0.5),
    KPI("employee_retention", LEARNING, "annual employee retention", "share", 0.8, 0.5),
    KPI(
        "transfers_per_employee",
        LEARNING,
        "beliefs moved inside the CRM unit (Xie 3.1 channels) per employee per year",
        "transfers/yr",
        30.0,
        0.5,
    ),
)
KPIS: dict[str, KPI] = {k.name: k for k in _DECLARED}
TEAM_KPIS = (
    "revenue",
    "retention_rate",
    "satisfaction_mean",
    "products_per_customer",
    "service_quality",
    "knowledge_gap",
    "knowledge_individual",
    "knowledge_team",
    "employee_retention",
)

#: Summary column of each perspective's score: "score_financial", "score_customer", ...
SCORE_COLUMNS = {p: f"score_{p.split()[0].replace('&', '')}" for p in PERSPECTIVES}

#: Summary figures beside the KPIs: name -> (description, unit).
OTHER_OUTCOMES: dict[str, tuple[str, str]] = {
    "clv_realized": (
        "discounted margin, less the cost of serving it, of the customers at the start of measurement, "
        "over the run, per customer",
        "money",
    ),
    "score": ("weighted scorecard score", "0-100"),
    **{col: (f"{p} perspective score", "0-100") for p, col in SCORE_COLUMNS.items()},
}

#: Every numeric outcome of a run's summary, in order: the columns of a sweep's runs table.
OUTCOMES: tuple[str, ...] = (*KPIS, *OTHER_OUTCOMES)


MISSION = "Keep profitable customers by knowing them better than competitors do."

#: Scenario parameters of the valuation and the scorecard (mission -> goals -> KPIs, seed 001).
PARAMS = (
    share(
        "market.annual_discount_rate",
        0.1,
        "Annual discount rate of cash flows and customer lifetime value "
        "(converted to weekly in one place, sim.engine.market.weekly_discount)",
        source="assumption (conventional ~10 %/yr; [GL03] for the use)",
    ),
    par("scorecard.mission", MISSION, "The mission the scorecard's goals and KPIs derive from", source="seed 001"),
    *(
        q
        for k in KPIS.values()
        for q in (
            par(
                f"scorecard.kpi.{k.name}.target",
                float(k.target),
                f"Target of KPI {k.name} ({k.perspective}: {k.description} [{k.unit}])",
                source="stretch goal: about what the best shipped strategy reaches (assumption)",
            ),
            par(f"scorecard.kpi.{k.name}.weight", float(k.weight), f"Weight of KPI {k.name} in the scorecard", 0),
            par(
                f"scorecard.kpi.{k.name}.direction",
                k.direction,
                f"Whether higher or lower is better for KPI {k.name}",
                choices=("higher", "lower"),
            ),
        )
    ),
)


def outcome_label(name: str) -> tuple[str, str]:
    """(description, unit) of a summary outcome."""
    if name in KPIS:
        return KPIS[name].description, KPIS[name].unit
    if name in OTHER_OUTCOMES:
        return OTHER_OUTCOMES[name]
    return name.replace("_", " "), ""
