"""Service encounters: customers contact their account team; knowledge flows both ways; customers
judge the quality (DESIGN.md steps 3-4)."""

from __future__ import annotations

import numpy as np

from sim.agents import CustomerStatus
from sim.config.params import Constant, par, share
from sim.engine import levers, market
from sim.engine.channels import BY_NAME, run_channel
from sim.engine.knowledge import lookup, proportion_correct
from sim.engine.levers import CO_CREATION, CRM_MATURITY, INFORMED_SELLING, LOOKUP_QUALITY
from sim.engine.process import Process

ACTIVE = int(CustomerStatus.ACTIVE)
ENCOUNTER_CHANNELS = tuple(c for c in BY_NAME.values() if c.phase == "encounter")


def stores(model) -> np.ndarray:
    """Explicit knowledge each team can look up: its repository, then the CRM database, then the KB."""
    return lookup(model.teams.beliefs, lookup(model.crm_db, model.kb)[None, :])


class Encounters(Process):
    """The front line answers from what it knows, else from the stores (by CRM maturity); the three
    encounter channels run; satisfaction follows the SERVQUAL gap; informed sales are made."""

    name = "encounters"
    streams = ("contacts", "encounters")
    params = (
        share(
            "market.contact_rate",
            0.25,
            "Share of customers who contact their account team each week",
            source="assumption",
        ),
        share(
            "market.expectation_adaptation",
            0.1,
            "How fast expectations follow experienced quality",
            source="theory [PZB88]; assumption",
        ),
        share(
            "market.satisfaction_adaptation", 0.3, "How fast satisfaction follows the SERVQUAL gap", source="assumption"
        ),
        share(
            "market.relationship_gain",
            0.04,
            "Growth of relationship strength after a good encounter",
            source="assumption",
        ),
        share(
            "market.relationship_decay",
            0.03,
            "Erosion of relationship strength after a bad encounter",
            source="assumption",
        ),
        share(
            "market.upsell_rate",
            0.02,
            "Chance per encounter of a sale, at perfect knowledge of the customer's needs",
            source="assumption",
        ),
        par(
            "market.service_cost",
            4.0,
            "Cost per service encounter",
            0,
            source="assumption (sets the ratio with acquisition_cost)",
        ),
    )
    reads = (
        CRM_MATURITY.key,
        CO_CREATION.key,
        CO_CREATION.cost.key,
        "market.initial_expectation",
        "environment.competition",
        "market.products",
    )
    costs = ("service_cost", CO_CREATION.column)

    FIT_WEIGHT = Constant(0.3, "share of perceived quality that is product fit (the rest is service)")
    COMPETITOR_WEIGHT = Constant(
        0.5, "expectations anchor this share on competitors' quality, the rest on experienced quality"
    )
    COMPETITOR_SLOPE = Constant(0.5, "competitors' quality moves by this much per unit of pull above its mean")
    SERVQUAL_GAIN = Constant(2.0, "satisfaction target = gain x (quality - expectation): a gap of 0.5 saturates")
    PREMIUM_STEP = Constant(0.1, "premium an up-sale adds to a customer holding every product (cap 1)")
    PRIORITY_QUANTILE = Constant(
        0.8,
        "at CRM maturity 3, customers above this value quantile (or dissatisfied) are "
        "served by their team's best-informed member",
    )

    def servers(self, customers: np.ndarray) -> np.ndarray:
        """The front-line employee who serves each contact.

        A random member of the account team; at maturity 3 the best-informed member serves the
        customers at risk (dissatisfied) or of highest value (relationship management by value).
        """
        m, rng = self.model, self.service_rng
        C = m.customers
        team = C.team[customers].astype(np.int64)
        pick = (rng.random(customers.size) * m.front_count[team]).astype(np.int64)
        servers = m.front_line[m.front_offset[team] + pick]
        if m.maturity >= 3 and customers.size:
            value = C.products[customers] * (1.0 + C.premium[customers])
            priority = (C.satisfaction[customers] < 0) | (value > np.quantile(value, self.PRIORITY_QUANTILE))
            cust = m.space.items("customer")
            know = proportion_correct(m.employees.beliefs[m.front_line][:, cust], m.reality[cust])
            best = np.zeros(m.front_count.size, dtype=np.int64)
            for t in range(best.size):
                members = slice(m.front_offset[t], m.front_offset[t] + m.front_count[t])
                best[t] = m.front_line[members][np.argmax(know[members])]
            servers = np.where(priority, best[team], servers)
        return servers

    def __init__(self, model):
        super().__init__(model)
        self.service_rng = model.streams["encounters"]

    def step(self) -> None:
        m, p = self.model, self.p
        C, E, rng, ledger = m.customers, m.employees, self.service_rng, m.ledger
        active = np.flatnonzero(C.status[: m.n_customers] == ACTIVE)
        # one draw per customer slot, from a stream of its own: the same customer is contacted in
        # the same weeks in every scenario run on the same seed (while it is active in both)
        u = self.rng.random(C.status.size)
        contacts = active[u[active] < p["market.contact_rate"]]
        ledger.book("cohort_served", int(np.count_nonzero(contacts < m.initial_customers)))
        if contacts.size == 0:
            return
        servers = self.servers(contacts)
        team = C.team[contacts]
        answers = market.answer(E.beliefs[servers], stores(m)[team], LOOKUP_QUALITY[m.maturity], rng)
        service = market.service_quality(answers, m.reality, m.need_w, C.segment[contacts])
        quality = market.perceived_quality(service, m.product_fit[C.segment[contacts]], self.FIT_WEIGHT)
        for channel in ENCOUNTER_CHANNELS:
            run_channel(m, channel, contacts=contacts, servers=servers)

        gap = quality - C.expectation[contacts]
        competitor = p["market.initial_expectation"] + self.COMPETITOR_SLOPE * (
            m.competition - p["environment.competition"]
        )
        C.satisfaction[contacts], C.expectation[contacts] = market.servqual(
            C.satisfaction[contacts],
            C.expectation[contacts],
            quality,
            competitor,
            p["market.satisfaction_adaptation"],
            p["market.expectation_adaptation"],
            self.COMPETITOR_WEIGHT,
            self.SERVQUAL_GAIN,
        )
        C.relationship[contacts] = market.relationship_update(
            C.relationship[contacts], gap, p["market.relationship_gain"], p["market.relationship_decay"]
        )

        p_sale = market.sale_probability(
            p["market.upsell_rate"], service, INFORMED_SELLING[m.maturity], C.satisfaction[contacts]
        )
        sold = contacts[rng.random(contacts.size) < p_sale]
        cross = sold[C.products[sold] < p["market.products"]]
        up = sold[C.products[sold] >= p["market.products"]]
        C.products[cross] += 1
        C.premium[up] = np.minimum(1.0, C.premium[up] + self.PREMIUM_STEP)

        n_teams = m.teams.beliefs.shape[0]
        ledger.team("encounters", np.bincount(team, minlength=n_teams))
        ledger.team("quality_sum", np.bincount(team, weights=quality, minlength=n_teams))
        ledger.book("encounters", int(contacts.size))
        ledger.book("upsells", int(up.size))
        ledger.book("cross_sells", int(cross.size))
        ledger.book("quality_sum", float(quality.sum()))
        ledger.charge("service_cost", p["market.service_cost"] * contacts.size)
        levers.charge(m, CO_CREATION, contacts.size)
