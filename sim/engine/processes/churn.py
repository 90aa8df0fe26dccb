"""Churn: the leaky bucket -- customers leave with a weekly hazard (DESIGN.md step 4)."""

from __future__ import annotations

import numpy as np

from sim.agents import CustomerStatus
from sim.config.params import par, share
from sim.engine import levers, market
from sim.engine.levers import CUSTOMER_ROLE, LOYALTY_SCHEME
from sim.engine.process import Process

ACTIVE, CHURNED = int(CustomerStatus.ACTIVE), int(CustomerStatus.CHURNED)


class Churn(Process):
    """A smooth, asymmetric hazard: it falls with satisfaction over its whole range (dissatisfaction
    weighs more than satisfaction, Anderson & Mittal 2000), rises with competitors' pull, and falls with
    relationship strength, a loyalty scheme and, for captive customers, switching barriers. Churned
    customers leave with what they knew and may be won back after a while (growth)."""

    name = "churn"
    streams = ("customers",)
    params = (
        share(
            "market.base_churn",
            0.006,
            "Weekly churn hazard of a neutral customer (satisfaction 0) without relationship, at zero competition",
            source="cal. ~75 % annual retention at baseline [RS90; R96] (ODD 8.6)",
        ),
        par(
            "market.churn_satisfaction_slope",
            0.7,
            "Fall of the log hazard per unit of satisfaction above 0 "
            "(a delighted customer leaves at exp(-0.7) = half the neutral rate)",
            0,
            10,
            source="satisfaction lowers churn: Bolton 1998, Gustafsson et al. 2005; value assumption",
        ),
        par(
            "market.churn_dissatisfaction_slope",
            1.8,
            "Rise of the log hazard per unit of dissatisfaction below 0 "
            "(a furious customer leaves at exp(1.8) = 6x the neutral rate)",
            0,
            10,
            source="asymmetry: Anderson & Mittal 2000, Mittal, Ross & Baldasare 1998; value assumption",
        ),
        par(
            "market.competition_churn",
            1.0,
            "Rise of the hazard per unit of competitors' pull (hazard x (1 + this x pull))",
            0,
            10,
            source="assumption",
        ),
        share(
            "market.relationship_protection",
            0.6,
            "Share of the churn hazard a full-strength relationship removes",
            source="theory (seed 003: relationships protect); assumption",
        ),
    )
    reads = (*(p.key for p in LOYALTY_SCHEME.params()), *(p.key for p in CUSTOMER_ROLE.params()))
    costs = (LOYALTY_SCHEME.column, CUSTOMER_ROLE.column)

    def hazard(self, rows: np.ndarray) -> np.ndarray:
        """Weekly churn probability of the given customers."""
        m, p, C = self.model, self.p, self.model.customers
        captive = p[CUSTOMER_ROLE.key] == "captive"
        loyalty = min(1.0, p[LOYALTY_SCHEME.key] * (p["market.captive_loyalty"] if captive else 1.0))
        return market.churn_hazard(
            C.satisfaction[rows],
            C.relationship[rows],
            p["market.base_churn"],
            p["market.churn_satisfaction_slope"],
            p["market.churn_dissatisfaction_slope"],
            p["market.relationship_protection"],
            p["market.loyalty_effect"] * loyalty + (p["market.captive_lockin"] if captive else 0.0),
            p["market.competition_churn"] * m.competition,
        )

    def step(self) -> None:
        m, p, ledger = self.model, self.p, self.model.ledger
        C = m.customers
        active = np.flatnonzero(C.status[: m.n_customers] == ACTIVE)
        u = self.rng.random(m.market_size)  # one per place in the market, as for contacts
        gone = active[u[active] < self.hazard(active)]
        in_cohort = int(np.count_nonzero(m.cohort[active]))  # costs are paid for every customer of the week
        n_teams = m.teams.beliefs.shape[0]
        ledger.team("exposure", np.bincount(C.team[active], minlength=n_teams))
        ledger.team("churned", np.bincount(C.team[gone], minlength=n_teams))
        C.status[gone] = CHURNED
        C.churned[gone] = m.steps
        m.churned_total += gone.size
        ledger.book("churned", int(gone.size))
        ledger.book("exposed", int(active.size))
        ledger.book("cohort_churned", int(np.count_nonzero(m.cohort[gone])))
        m.cohort[gone] = False  # a lifetime ends at churn; a won-back customer starts a new one
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
        levers.charge(m, LOYALTY_SCHEME, active.size, in_cohort)
        if p[CUSTOMER_ROLE.key] != "passive":  # seed 004: incentives go to captive and active customers
            unit = p[CUSTOMER_ROLE.cost.key]
            ledger.charge(CUSTOMER_ROLE.column, unit * active.size, unit * in_cohort)
