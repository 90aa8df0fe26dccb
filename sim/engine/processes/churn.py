"""Churn: the leaky bucket -- customers leave with a weekly hazard (DESIGN.md step 4)."""

from __future__ import annotations

import numpy as np

from sim.agents import CustomerStatus
from sim.config.params import share
from sim.engine import levers, market
from sim.engine.levers import CAPTIVE_LOYALTY, CUSTOMER_ROLE, LOYALTY_EFFECT, LOYALTY_SCHEME
from sim.engine.process import Process

ACTIVE, CHURNED = int(CustomerStatus.ACTIVE), int(CustomerStatus.CHURNED)


class Churn(Process):
    """Base hazard plus dissatisfaction, raised by competition, lowered by relationships and by a
    loyalty scheme (stronger on captive customers). Churned customers leave with what they knew."""

    name = "churn"
    streams = ("customers",)
    params = (
        share(
            "market.base_churn",
            0.0055,
            "Weekly churn hazard at zero dissatisfaction",
            source="cal. ~75 % retention [RS90; R96] (8.5)",
        ),
        share(
            "market.dissatisfaction_churn",
            0.03,
            "Extra weekly churn hazard at full dissatisfaction",
            source="assumption (jointly with base_churn)",
        ),
        share(
            "market.relationship_protection",
            0.6,
            "Share of the churn hazard a full-strength relationship removes",
            source="theory (seed 003: loyalty protects); assumption",
        ),
    )
    reads = (LOYALTY_SCHEME.key, LOYALTY_SCHEME.cost.key, CUSTOMER_ROLE.key)
    costs = (LOYALTY_SCHEME.column,)

    def step(self) -> None:
        m, p, ledger = self.model, self.p, self.model.ledger
        C = m.customers
        active = np.flatnonzero(C.status[: m.n_customers] == ACTIVE)
        captive = CAPTIVE_LOYALTY if p[CUSTOMER_ROLE.key] == "captive" else 1.0
        loyalty = p[LOYALTY_SCHEME.key] * captive
        h = market.churn_hazard(
            C.satisfaction[active],
            C.relationship[active],
            p["market.base_churn"],
            p["market.dissatisfaction_churn"],
            p["market.relationship_protection"],
            min(1.0, loyalty),
            LOYALTY_EFFECT,
            m.competition,
        )
        u = self.rng.random(C.status.size)  # one per customer slot, as for contacts
        gone = active[u[active] < h]
        n_teams = m.teams.beliefs.shape[0]
        ledger.team("exposure", np.bincount(C.team[active], minlength=n_teams))
        ledger.team("churned", np.bincount(C.team[gone], minlength=n_teams))
        C.status[gone] = CHURNED
        C.churned[gone] = m.steps
        m.churned_total += gone.size
        ledger.book("churned", int(gone.size))
        ledger.book("exposed", int(active.size))
        if gone.size:
            ledger.record(
                "churns",
                np.column_stack(
                    [
                        np.full(gone.size, m.steps),
                        gone,
                        C.segment[gone],
                        C.team[gone],
                        m.steps - C.acquired[gone],
                        C.products[gone],
                    ]
                ),
            )
        levers.charge(m, LOYALTY_SCHEME, active.size - gone.size)
