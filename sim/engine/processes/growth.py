"""Growth: prospects in a whole market convert with the Bass hazard; lapsed customers can be won back
(DESIGN.md step 5)."""

from __future__ import annotations

import numpy as np

from sim.agents import CustomerStatus
from sim.config.params import Contrast, Expect, par, share
from sim.engine import market
from sim.engine.build import add_customers, win_back
from sim.engine.process import Process

ACTIVE, CHURNED = int(CustomerStatus.ACTIVE), int(CustomerStatus.CHURNED)


class Growth(Process):
    """Bass (1969) acquisition in a market of fixed size: each prospect converts with the annual hazard
    ``p + q x referrers / market`` (converted to a week), referrers being the satisfied customers'
    word of mouth, a smooth propensity in satisfaction. Lapsed customers rejoin the prospects after a
    while (win-back), so the market replenishes and the baseline can hold a steady state."""

    name = "growth"
    streams = ("growth",)
    params = (
        share(
            "market.p_innovation",
            0.03,
            "Annual Bass coefficient of innovation (per prospect, whole market)",
            source="mean of Sultan, Farley & Lehmann 1990 (0.03)",
        ),
        share(
            "market.q_imitation",
            0.38,
            "Annual Bass coefficient of imitation (word of mouth, whole market)",
            source="mean of Sultan, Farley & Lehmann 1990 (0.38)",
        ),
        par(
            "market.referral_midpoint",
            0.3,
            "Satisfaction at which a customer is half a referrer (logistic propensity)",
            -1,
            1,
            source="assumption: promoters are satisfied customers (seed 003)",
        ),
        par(
            "market.referral_spread",
            0.15,
            "Spread of the referral propensity around its midpoint (smaller: steeper)",
            0.001,
            1,
            source="assumption",
        ),
        par(
            "market.winback_weeks",
            52,
            "Weeks after churning before a lapsed customer is a prospect again",
            0,
            source="assumption",
        ),
        par(
            "market.acquisition_cost",
            400.0,
            "Cost per new or won-back customer",
            0,
            source="cal. acquisition 5-25x retention cost [Gallo14] (ODD 8.6)",
        ),
    )
    reads = ("market.market_potential",)
    costs = ("acquisition_cost",)

    contrasts = (
        Contrast(
            "market.q_imitation",
            0.38,
            0.76,
            (Expect("acquired_per_year", +1, "Bass 1969: word of mouth brings customers"),),
        ),
    )

    def step(self) -> None:
        m, p, ledger, rng = self.model, self.p, self.model.ledger, self.rng
        C, n = m.customers, m.n_customers
        status = C.status[:n]
        active = status == ACTIVE
        referrers = float(
            market.referral_propensity(
                C.satisfaction[:n][active], p["market.referral_midpoint"], p["market.referral_spread"]
            ).sum()
        )
        whole = p["market.market_potential"]
        weekly = market.weekly(market.bass_hazard(p["market.p_innovation"], p["market.q_imitation"], referrers, whole))
        # lapsed customers past their win-back time convert like any prospect (one draw per slot)
        u = rng.random(m.market_size)
        lapsed = np.flatnonzero((status == CHURNED) & (C.churned[:n] <= m.steps - p["market.winback_weeks"]))
        back = lapsed[u[lapsed] < weekly]
        fresh = whole - n  # never yet customers
        new = int(rng.binomial(fresh, weekly)) if fresh > 0 else 0
        rows = np.concatenate([win_back(m, back), add_customers(m, new, rng=rng)])
        if rows.size:
            ledger.record(
                "acquisitions", np.column_stack([np.full(rows.size, m.steps), rows, C.segment[rows], C.team[rows]])
            )
        m.acquired_total += int(rows.size)
        m.won_back_total += int(back.size)
        ledger.book("acquired", int(rows.size))
        ledger.book("won_back", int(back.size))
        ledger.book("referrers", referrers)
        ledger.book("prospects", int(fresh - new + lapsed.size - back.size))  # left after this week's wins
        ledger.charge("acquisition_cost", p["market.acquisition_cost"] * rows.size)
