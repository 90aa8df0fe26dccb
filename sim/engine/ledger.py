"""The ledger: every money amount, count, knowledge flow and per-team total of a run, in one place.

Processes never keep their own tallies: a cost is ``ledger.charge(column, amount)``, income or a
count is ``ledger.book(name, value)``, beliefs moved by a channel ``ledger.flow(channel, moved)``,
a per-team total ``ledger.team(name, per_team)``, an event ``ledger.record(kind, rows)``.
``start_week()`` opens the week's page; the
measures read the week (``ledger.week``), recent weeks (``ledger.recent``) and the team totals.
"""

from __future__ import annotations

import numpy as np

#: Weekly cost columns of the step table, each with one entry point; their sum is ``cost``.
COSTS: tuple[str, ...] = (
    "acquisition_cost",
    "service_cost",
    "knowledge_cost",
    "crm_system_cost",
    "loyalty_cost",
    "incentive_cost",
    "co_creation_cost",
    "hiring_cost",
    "onboarding_cost",
    "retention_programme_cost",
)
#: The costs of serving a customer (per customer or per encounter): what customer lifetime value nets out.
CUSTOMER_COSTS: tuple[str, ...] = (
    "service_cost",
    "crm_system_cost",
    "loyalty_cost",
    "incentive_cost",
    "co_creation_cost",
)
#: What a strategist spends on knowledge and policies (the levers' costs): the spend a policy's payback
#: and return are measured against, and what an optimizer's budget limits.
POLICY_COSTS: tuple[str, ...] = (
    "knowledge_cost",
    "crm_system_cost",
    "loyalty_cost",
    "incentive_cost",
    "co_creation_cost",
    "retention_programme_cost",
)
#: Weekly income, counts and other entries (booked, not charged).
BOOKED: tuple[str, ...] = (
    "revenue",
    "gross_margin",
    "acquired",
    "won_back",
    "churned",
    "exposed",
    "encounters",
    "upsells",
    "cross_sells",
    "employees_left",
    "quality_sum",
    "referrers",
    "prospects",
    "cohort_served",
    "cohort_exposed",
    "cohort_churned",
    "cohort_margin",
    "cohort_cost",
)
FLOATS = ("revenue", "gross_margin", "quality_sum", "referrers", "cohort_margin", "cohort_cost")  # booked as floats
#: Per-team totals over the run, for the team scorecards.
TEAM_TOTALS: tuple[str, ...] = ("exposure", "churned", "quality_sum", "encounters", "leavers", "revenue")

#: Event tables: kind -> columns of each recorded row.
EVENTS: dict[str, tuple[str, ...]] = {
    "churns": ("step", "customer", "segment", "team", "tenure", "products"),
    "acquisitions": ("step", "customer", "segment", "team"),
}


class Ledger:
    """Weekly pages of money, counts and flows, plus running per-team totals."""

    def __init__(self, channels: tuple[str, ...], n_teams: int):
        self.channels = channels
        self.weeks: list[dict[str, float]] = []
        self.week = self._blank()
        self.flows = dict.fromkeys(channels, 0)
        self.teams = {k: np.zeros(n_teams) for k in TEAM_TOTALS}
        self.events: dict[str, list[np.ndarray]] = {kind: [] for kind in EVENTS}

    def _blank(self) -> dict[str, float]:
        return {**dict.fromkeys(COSTS, 0.0), **{k: 0.0 if k in FLOATS else 0 for k in BOOKED}}

    def start_week(self) -> None:
        """A fresh page for this week's money, counts and flows."""
        self.week = self._blank()
        self.weeks.append(self.week)
        self.flows = dict.fromkeys(self.channels, 0)

    def charge(self, column: str, amount: float, cohort: float = 0.0) -> None:
        """Add a cost (>= 0) to one of the declared cost columns; ``cohort`` is the part of it spent on
        the customers of the measured cohort (for the realized customer lifetime value)."""
        if column not in COSTS:
            raise KeyError(f"unknown cost column {column!r}; expected one of {', '.join(COSTS)}")
        self.week[column] += amount
        self.week["cohort_cost"] += cohort

    def book(self, name: str, value) -> None:
        """Add income or a count to this week's page."""
        if name not in BOOKED:
            raise KeyError(f"unknown ledger entry {name!r}; expected one of {', '.join(BOOKED)}")
        self.week[name] += value

    def flow(self, channel: str, moved: int) -> None:
        """Beliefs a channel changed this week (``transfers_<channel>``)."""
        self.flows[channel] += int(moved)

    def team(self, name: str, per_team: np.ndarray) -> None:
        """Add to a per-team running total."""
        self.teams[name] += per_team

    def record(self, kind: str, rows: np.ndarray) -> None:
        """Rows of an event table (one per customer lost or won), columns as in :data:`EVENTS`."""
        self.events[kind].append(rows)

    @property
    def cost(self) -> float:
        """This week's total cost."""
        return sum(self.week[c] for c in COSTS)

    def recent(self, name: str, weeks: int) -> float:
        """Sum of an entry over the last ``weeks`` weeks (this one included)."""
        return sum(w[name] for w in self.weeks[-weeks:])
