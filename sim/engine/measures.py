"""Measures: every column of the step table, declared (title, unit) beside the code that computes it.

``measure(model)`` runs once per step (and once at set-up) and returns the row; the DataCollector's
reporters only read it, so they draw no random numbers (DESIGN.md traps). Each group function
below returns exactly the columns it declares (checked).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.agents import CustomerStatus
from sim.config.params import Constant, share
from sim.engine import levers, market
from sim.engine.channels import CHANNEL_NAMES
from sim.engine.knowledge import lookup, proportion_correct, raw_score, score
from sim.engine.ledger import COSTS, CUSTOMER_COSTS
from sim.engine.levers import CRM_MATURITY
from sim.engine.process import Component
from sim.engine.processes.encounters import stores

ACTIVE = int(CustomerStatus.ACTIVE)


@dataclass(frozen=True)
class Column:
    """A step-table column: name, title and unit (for tables, plots and docs)."""

    name: str
    title: str
    unit: str


@dataclass(frozen=True)
class Group:
    """Columns computed together by one function of the model."""

    columns: tuple[Column, ...]
    compute: Callable


GROUPS: list[Group] = []


def produces(*columns: tuple[str, str, str]):
    """Declare the columns a measure function returns (name, title, unit)."""

    def register(fn):
        GROUPS.append(Group(tuple(Column(*c) for c in columns), fn))
        return fn

    return register


class Measures(Component):
    """The step table's measures (knowledge gap, relational capital, retention window...)."""

    name = "measures"
    params = (
        share(
            "market.capital_customer_weight",
            0.8,
            "Weight of customers in relational capital (the rest: suppliers and outside sources)",
            source="assumption",
        ),
        share(
            "market.fit_needs_share",
            0.5,
            "Share of product fit that is R&D/production's knowledge of customer needs (the rest: of supply items)",
            source="assumption",
        ),
    )
    reads = (CRM_MATURITY.key, *(f"crm.lookup_{level}" for level in (1, 2, 3)))
    RETENTION_WINDOW = Constant(
        13,
        "weeks over which the step table's retention_rate is measured (a rolling "
        "window; the KPI uses the whole measured period)",
    )


# --- the knowledge the firm can use -------------------------------------------------------------


def supply_fit(model) -> float:
    """What production has documented of the supply items it builds with (share right)."""
    sup = model.space.items("supply")
    production = model.units.beliefs[model.unit_index["production"]]
    return float((production[sup] == model.reality[sup]).mean()) if sup.size else 1.0


def product_fit(model) -> np.ndarray:
    """Per segment: how well the products fit -- what R&D (else production) has documented of the
    segment's needs, and what production has documented of the supply items it builds with."""
    rnd, production = model.units.beliefs[model.unit_index["rnd"]], model.units.beliefs[model.unit_index["production"]]
    cust = model.space.items("customer")
    w = model.need_w[:, cust]
    needs_right = lookup(rnd, production)[cust] == model.reality[cust]
    needs_fit = (w * needs_right).sum(axis=1) / w.sum(axis=1) if cust.size else np.ones(w.shape[0])
    share_ = model.scenario.get("market.fit_needs_share")
    return share_ * needs_fit + (1.0 - share_) * supply_fit(model)


def knowledge_gap(model, tacit: np.ndarray, explicit: np.ndarray) -> np.ndarray:
    """Per person: expected share of customer items answered wrong in an encounter.

    Right from its own belief, else from the stores with the maturity's lookup quality -- the
    knowledge gap of Xie's conclusion. An expectation, so it draws no random numbers.
    """
    cust = model.space.span("customer")
    truth = model.reality[cust]
    own = tacit[:, cust]
    right = (own == truth) + (own == 0) * levers.lookup_quality(model.scenario, model.maturity) * (
        explicit[:, cust] == truth
    )
    return 1.0 - right.mean(axis=1)


def codified_share(model, tacit: np.ndarray, explicit: np.ndarray) -> float:
    """Share of what the front line knows right that its stores also hold right (written down)."""
    known = tacit == model.reality
    n = int(known.sum())
    return float((known & (explicit == model.reality)).sum() / n) if n else 0.0


# --- the groups of columns, in step-table order -------------------------------------------------


@produces(("step", "Step", "week"))
def _step(model):
    return {"step": model.steps}


@produces(
    ("active_customers", "Active customers", "customers"),
    ("acquired_total", "Customers acquired (cumulative)", "customers"),
    ("churned_total", "Customers lost (cumulative)", "customers"),
    ("retention_rate", "Customer retention", "annualised share (rolling window)"),
    ("satisfaction_mean", "Customer satisfaction", "mean of active customers, -1..1"),
)
def _customers(model):
    C, n, ledger = model.customers, model.n_customers, model.ledger
    active = C.status[:n] == ACTIVE
    n_active = int(active.sum())
    window = int(Measures.RETENTION_WINDOW)
    churned, exposed = ledger.recent("churned", window), ledger.recent("exposed", window)
    return {
        "active_customers": n_active,
        "acquired_total": model.acquired_total,
        "churned_total": model.churned_total,
        "retention_rate": market.retention(churned, exposed),
        "satisfaction_mean": float(C.satisfaction[:n][active].mean()) if n_active else float("nan"),
    }


def _relational_capital(model) -> tuple[float, float, float, float]:
    """This measurement's relational capital, computed once per :func:`measure` call (two groups use it)."""
    if model.__dict__.get("_rc_cache") is None:
        model._rc_cache = relational_capital(model)
    return model._rc_cache


def relational_capital(model) -> tuple[float, float, float, float]:
    """(total, customers' part, suppliers' part, outside sources' part): relationship strength, the
    customers' weighted by their value (Xie 2.(4): knowledge turned into relational capital). The total
    weighs customers by ``market.capital_customer_weight`` and the partners (suppliers and outside
    sources together) by the rest."""
    C, n = model.customers, model.n_customers
    active = C.status[:n] == ACTIVE
    value = C.products[:n][active] * (1.0 + C.premium[:n][active])
    rel = C.relationship[:n][active]
    n_active = int(active.sum())
    rc_customers = float((value * rel).sum() / value.sum()) if n_active else 0.0
    S, Q = model.suppliers.relationship, model.sources.relationship
    rc_suppliers = float(S.mean()) if S.size else 0.0
    rc_sources = float(Q.mean()) if Q.size else 0.0
    partners = np.concatenate([S, Q])
    w = model.scenario.get("market.capital_customer_weight")
    parts = ([(w, rc_customers)] if n_active else []) + ([(1.0 - w, float(partners.mean()))] if partners.size else [])
    total = sum(w for w, _ in parts)
    # with one side given all the weight and that side absent, the other side stands alone
    rc = sum(w * v for w, v in parts) / total if total > 0 else float(np.mean([v for _, v in parts] or [0.0]))
    return rc, rc_customers, rc_suppliers, rc_sources


@produces(("relational_capital", "Relational capital", "value-weighted relationship strength, 0..1"))
def _capital(model):
    return {"relational_capital": _relational_capital(model)[0]}


@produces(
    ("revenue", "Revenue", "money per week"), ("cost", "Cost", "money per week"), ("profit", "Profit", "money per week")
)
def _money(model):
    w = model.ledger.week
    cost = model.ledger.cost
    return {"revenue": w["revenue"], "cost": cost, "profit": w["gross_margin"] - cost}


@produces(("service_quality", "Service quality", "mean perceived quality, 0..1"))
def _quality(model):
    w = model.ledger.week
    return {"service_quality": w["quality_sum"] / w["encounters"] if w["encounters"] else float("nan")}


@produces(("knowledge_gap", "Knowledge gap of the front line", "share of customer items wrong"))
def _gap(model):
    E = model.employees
    front = E.beliefs[model.front_line]
    explicit = stores(model)[E.team[model.front_line]]
    return {"knowledge_gap": float(knowledge_gap(model, front, explicit).mean())}


@produces(
    ("knowledge_individual", "Employees' knowledge (tacit)", "share of items right"),
    ("knowledge_team", "Team repositories (explicit)", "share of items right"),
    ("knowledge_org", "Organization's knowledge base", "share of items right"),
    ("employees", "Employees", "people"),
)
def _knowledge(model):
    E = model.employees
    return {
        "knowledge_individual": float(proportion_correct(E.beliefs, model.reality).mean()),
        "knowledge_team": float(proportion_correct(model.teams.beliefs, model.reality).mean()),
        "knowledge_org": float(proportion_correct(model.kb, model.reality)),
        "employees": int(E.tenure.size),
    }


@produces(
    ("acquired", "Customers won (new and won back)", "customers per week"),
    ("won_back", "Lapsed customers won back", "customers per week"),
    ("churned", "Customers lost", "customers per week"),
    ("prospects", "Prospects (never customers, or lapsed long enough)", "people"),
    ("encounters", "Service encounters", "per week"),
    ("referrers", "Word of mouth: referring customers", "customers (expected)"),
    ("products_per_customer", "Products per customer", "products"),
    ("upsells", "Up-sales", "per week"),
    ("cross_sells", "Cross-sales", "per week"),
    ("gross_margin", "Gross margin", "money per week"),
    *((c, c.replace("_", " ").capitalize(), "money per week") for c in COSTS),
    (
        "customer_cost",
        "Cost of serving customers",
        "money per week (service, CRM system, loyalty, incentives, co-creation)",
    ),
)
def _week(model):
    C, n, w = model.customers, model.n_customers, model.ledger.week
    active = C.status[:n] == ACTIVE
    row = {
        k: w[k]
        for k in (
            "acquired",
            "won_back",
            "churned",
            "prospects",
            "encounters",
            "referrers",
            "upsells",
            "cross_sells",
            "gross_margin",
            *COSTS,
        )
    }
    row["products_per_customer"] = float(C.products[:n][active].mean()) if active.any() else 0.0
    row["customer_cost"] = sum(w[c] for c in CUSTOMER_COSTS)
    return row


@produces(
    ("product_fit", "Product fit (R&D/production)", "share, 0..1"),
    ("supply_fit", "Supply knowledge documented by production", "share of supply items right"),
    ("codification", "Codified knowledge", "share of the front line's right knowledge its stores hold"),
    ("knowledge_score_individual", "Employees' knowledge score", "sum(belief x reality) / K, -1..1"),
    ("knowledge_score_org", "Knowledge base score", "sum(belief x reality) / K, -1..1"),
    ("employees_left", "Employees who left", "per week"),
    ("competition", "Competitors' pull", "0..1"),
)
def _firm(model):
    E = model.employees
    front = E.beliefs[model.front_line]
    explicit = stores(model)[E.team[model.front_line]]
    return {
        "product_fit": float(model.product_fit.mean()),
        "supply_fit": supply_fit(model),
        "codification": codified_share(model, front, explicit),
        "knowledge_score_individual": float(raw_score(E.beliefs, model.reality).mean() / model.K),
        "knowledge_score_org": float(score(model.kb, model.reality)),
        "employees_left": model.ledger.week["employees_left"],
        "competition": model.competition,
    }


@produces(
    ("customer_relational_capital", "Relational capital with customers", "0..1"),
    ("supplier_relational_capital", "Relational capital with suppliers", "0..1"),
    ("source_relational_capital", "Relational capital with universities and consultancies", "0..1"),
    ("knowledge_crm", "CRM database", "share of customer items right"),
    ("competitor_quality", "Competitors' service quality", "0..1"),
    ("exposed", "Customers at the start of the week", "customers"),
    ("cohort_exposed", "Measured cohort: customers at the start of the week", "customers"),
    ("cohort_churned", "Measured cohort: customers lost", "customers per week"),
    ("cohort_margin", "Measured cohort: margin less the cost of serving it", "money per week"),
)
def _parts(model):
    _, rc_customers, rc_suppliers, rc_sources = _relational_capital(model)
    w = model.ledger.week
    cust = model.space.items("customer")
    return {
        "customer_relational_capital": rc_customers,
        "supplier_relational_capital": rc_suppliers,
        "source_relational_capital": rc_sources,
        "knowledge_crm": float(proportion_correct(model.crm_db[cust], model.reality[cust])) if cust.size else 1.0,
        "competitor_quality": model.competitor_quality,
        **{k: w[k] for k in ("exposed", "cohort_exposed", "cohort_churned", "cohort_margin")},
    }


@produces(*((f"transfers_{c}", f"Transfers: {c}", "beliefs moved per week") for c in CHANNEL_NAMES))
def _flows(model):
    return {f"transfers_{c}": int(v) for c, v in model.ledger.flows.items()}


COLUMNS: dict[str, Column] = {c.name: c for g in GROUPS for c in g.columns}
STEP_COLUMNS: tuple[str, ...] = tuple(COLUMNS)


def measure(model) -> dict[str, float]:
    """The step-table row of the model's current state; also refreshes ``model.product_fit``."""
    model.product_fit = product_fit(model)
    model._rc_cache = None
    row: dict[str, float] = {}
    for group in GROUPS:
        values = group.compute(model)
        row.update((c.name, values[c.name]) for c in group.columns)  # in declared order
    return row


def column_label(name: str) -> tuple[str, str]:
    """(title, unit) of a step-table column (a plain label for anything undeclared)."""
    c = COLUMNS.get(name)
    return (c.title, c.unit) if c else (name.replace("_", " "), "")


def team_state(model) -> dict[str, np.ndarray]:
    """Current per-team state for the team scorecards (one entry per team)."""
    C, E = model.customers, model.employees
    n_teams = model.teams.beliefs.shape[0]
    rows = np.flatnonzero(C.status[: model.n_customers] == ACTIVE)
    count = np.bincount(C.team[rows], minlength=n_teams)
    with np.errstate(divide="ignore", invalid="ignore"):
        sat = np.bincount(C.team[rows], weights=C.satisfaction[rows], minlength=n_teams) / count
        prods = np.bincount(C.team[rows], weights=C.products[rows], minlength=n_teams) / count
    wrong = knowledge_gap(model, E.beliefs, stores(model)[E.team])
    front = np.zeros(E.team.size, dtype=bool)
    front[model.front_line] = True
    know = proportion_correct(E.beliefs, model.reality)
    gap = np.array([wrong[front & (E.team == t)].mean() for t in range(n_teams)])
    return {
        "satisfaction_mean": sat,
        "products_per_customer": prods,
        "knowledge_gap": gap,
        "knowledge_individual": np.bincount(E.team, weights=know, minlength=n_teams)
        / np.bincount(E.team, minlength=n_teams),
        "knowledge_team": proportion_correct(model.teams.beliefs, model.reality),
    }
