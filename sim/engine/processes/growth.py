"""Growth: prospects from a finite market convert with the Bass hazard (DESIGN.md step 5)."""

from __future__ import annotations

import numpy as np

from sim.agents import CustomerStatus
from sim.config.params import par, share
from sim.engine import market
from sim.engine.build import add_customers
from sim.engine.process import Process

ACTIVE = int(CustomerStatus.ACTIVE)


class Growth(Process):
    """Bass (1969) acquisition: innovation plus imitation of the satisfied customers who refer."""

    name = "growth"
    streams = ("growth",)
    params = (
        share(
            "market.p_innovation",
            0.0005,
            "Weekly Bass coefficient of innovation",
            source="cal. [Bass69; SFL90] (≈ 0.026/yr)",
        ),
        share(
            "market.q_imitation",
            0.01,
            "Weekly Bass coefficient of imitation (word of mouth)",
            source="theory [Bass69; SFL90]; value assumption (≈ 0.52/yr)",
        ),
        par(
            "market.referral_min_satisfaction",
            0.2,
            "Satisfaction at or above which a customer refers others",
            -1,
            1,
            source="assumption",
        ),
        par(
            "market.acquisition_cost",
            400.0,
            "Cost per new customer",
            0,
            source="cal. 5–25× retention cost [Gallo14] (7.7×)",
        ),
    )
    reads = ("market.market_potential",)
    costs = ("acquisition_cost",)

    def step(self) -> None:
        m, p, ledger = self.model, self.p, self.model.ledger
        C, n = m.customers, m.n_customers
        active = C.status[:n] == ACTIVE
        referrers = int((active & (C.satisfaction[:n] >= p["market.referral_min_satisfaction"])).sum())
        potential = p["market.market_potential"]
        new = market.bass_adoptions(
            potential - m.acquired_total,
            p["market.p_innovation"],
            p["market.q_imitation"],
            referrers,
            potential,
            self.rng,
        )
        rows = add_customers(m, new, rng=self.rng)
        if new:
            ledger.record("acquisitions", np.column_stack([np.full(new, m.steps), rows, C.segment[rows], C.team[rows]]))
        ledger.book("acquired", new)
        ledger.book("referrers", referrers)
        ledger.charge("acquisition_cost", p["market.acquisition_cost"] * new)
