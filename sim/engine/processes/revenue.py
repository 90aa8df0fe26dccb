"""Revenue: what the active customers spend this week, and its gross margin."""

from __future__ import annotations

import numpy as np

from sim.agents import CustomerStatus
from sim.config.params import par, share
from sim.engine.process import Process

ACTIVE = int(CustomerStatus.ACTIVE)


class Revenue(Process):
    """Each active customer pays the price of every product held, plus its up-sold premium. The margin
    of the measured cohort, less what serving it cost, is booked for the realized lifetime value."""

    name = "revenue"
    params = (
        par("market.price", 15.0, "Weekly revenue per product held", 0, 1e6, source="assumption"),
        share("market.margin", 0.35, "Gross margin on revenue", source="assumption"),
    )

    def step(self) -> None:
        m, p, ledger = self.model, self.p, self.model.ledger
        C = m.customers
        rows = np.flatnonzero(C.status[: m.n_customers] == ACTIVE)
        spend = C.products[rows] * (1.0 + C.premium[rows]) * p["market.price"]
        revenue = float(spend.sum())
        ledger.book("revenue", revenue)
        ledger.book("gross_margin", revenue * p["market.margin"])
        ledger.team("revenue", np.bincount(C.team[rows], weights=spend, minlength=m.teams.beliefs.shape[0]))
        cohort_margin = float(spend[m.cohort[rows]].sum() * p["market.margin"])
        ledger.book("cohort_margin", cohort_margin - ledger.week["cohort_cost"])
