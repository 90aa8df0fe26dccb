"""Service encounters: customers contact their account team; knowledge flows both ways; customers
judge the quality (DESIGN.md steps 3-4)."""

from __future__ import annotations

import numpy as np

from sim.agents import CustomerStatus
from sim.config.params import par, share
from sim.engine import levers, market
from sim.engine.channels import BY_NAME, run_channel
from sim.engine.knowledge import lookup, proportion_correct
from sim.engine.levers import CO_CREATION, CRM_MATURITY
from sim.engine.process import Process

ACTIVE = int(CustomerStatus.ACTIVE)
ENCOUNTER_CHANNELS = tuple(c for c in BY_NAME.values() if c.phase == "encounter")


def stores(model) -> np.ndarray:
    """Explicit knowledge each team can look up: its repository, then the CRM database, then the KB."""
    return lookup(model.teams.beliefs, lookup(model.crm_db, model.kb)[None, :])


class Encounters(Process):
    """Customers call (and, at CRM maturity 3, dissatisfied ones are called); the front line answers from
    what it knows, else from the stores as often as the CRM maturity allows; the three encounter
    channels run; satisfaction follows the SERVQUAL gap against expectations anchored on competitors;
    relationships grow or erode; offers are made from what the firm knows of the customer's needs."""

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
            "market.fit_weight",
            0.25,
            "Share of perceived quality that is product fit (R&D/production's knowledge of needs and supply)",
            source="assumption (service-profit chain: service and product both drive value, seed 003)",
        ),
        share(
            "market.use_weight",
            0.1,
            "Share of perceived quality that is value in use: the customer's own product competence",
            source="assumption (customers educated by the front line get more from the product, Xie 3.3.1)",
        ),
        share(
            "market.expectation_adaptation",
            0.1,
            "How fast expectations follow experienced quality",
            source="theory [PZB88]; assumption",
        ),
        share(
            "market.competitor_anchor",
            0.5,
            "Share of the expectation anchor that is competitors' quality (the rest is experienced quality)",
            source="assumption",
        ),
        share(
            "market.satisfaction_adaptation", 0.3, "How fast satisfaction follows the SERVQUAL gap", source="assumption"
        ),
        par(
            "market.servqual_gain",
            2.0,
            "Satisfaction target = gain x (perceived - expected quality), clipped to [-1, 1]",
            0,
            10,
            source="assumption: a gap of 0.5 saturates",
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
        par(
            "market.relationship_scale",
            0.05,
            "How sharply an encounter counts as good or bad: weight logistic(SERVQUAL gap / scale)",
            0.001,
            1,
            source="assumption (smooth: no threshold at a gap of 0)",
        ),
        share(
            "market.upsell_rate",
            0.02,
            "Chance per encounter of a sale to a delighted customer whose needs the offer fits exactly",
            source="assumption (seed 001: up-sell, cross-sell)",
        ),
        share(
            "market.premium_step",
            0.1,
            "Premium an up-sale adds to a customer holding every product (cap 1)",
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
    reads = (*(p.key for p in CRM_MATURITY.params()), *(p.key for p in CO_CREATION.params()), "market.products")
    costs = ("service_cost", "crm_system_cost", CO_CREATION.column)

    @property
    def service_rng(self):
        """The stream of the encounters themselves (who serves, what is looked up, what is sold)."""
        return self.model.streams["encounters"]

    def contacts(self, active: np.ndarray) -> np.ndarray:
        """Who is in touch this week: each active customer calls with the contact rate; at maturity 3 the
        firm also reaches out to dissatisfied customers who did not call. One draw per customer slot and
        purpose, from a stream of its own: the same customer calls in the same weeks in every scenario
        run on the same seed (while it is active in both)."""
        m, p, C = self.model, self.p, self.model.customers
        rng = self.rng
        called = rng.random(m.market_size)[active] < p["market.contact_rate"]
        if m.maturity >= 3:  # drawn after the calls, so the calls are the same at every maturity level
            called |= (C.satisfaction[active] < 0) & (rng.random(m.market_size)[active] < p["crm.outreach_rate"])
        return active[called]

    def servers(self, customers: np.ndarray) -> np.ndarray:
        """The front-line employee who serves each contact.

        A random member of the account team; at maturity 3 the best-informed member serves the
        customers at risk (dissatisfied) and the highest-value ones (relationship management by value).
        """
        m, rng = self.model, self.service_rng
        C = m.customers
        team = C.team[customers].astype(np.int64)
        pick = (rng.random(customers.size) * m.front_count[team]).astype(np.int64)
        servers = m.front_line[m.front_offset[team] + pick]
        if m.maturity >= 3 and customers.size:
            value = C.products[customers] * (1.0 + C.premium[customers])
            key = value > np.quantile(value, 1.0 - self.p["crm.key_account_share"])
            priority = (C.satisfaction[customers] < 0) | key
            servers = np.where(priority, best_informed(m)[team], servers)
        return servers

    def step(self) -> None:
        m, p = self.model, self.p
        C, E, rng, ledger = m.customers, m.employees, self.service_rng, m.ledger
        active = np.flatnonzero(C.status[: m.n_customers] == ACTIVE)
        in_cohort = int(np.count_nonzero(m.cohort[active]))
        unit = p[f"costs.crm_system_{m.maturity}"]
        ledger.charge("crm_system_cost", unit * active.size, unit * in_cohort)
        ledger.book("cohort_exposed", in_cohort)
        contacts = self.contacts(active)
        served = int(np.count_nonzero(m.cohort[contacts]))
        ledger.book("cohort_served", served)
        if contacts.size == 0:
            return
        servers = self.servers(contacts)
        team, segment = C.team[contacts], C.segment[contacts]
        answers = market.answer(E.beliefs[servers], stores(m)[team], levers.lookup_quality(m.scenario, m.maturity), rng)
        service = market.service_quality(answers, m.reality, m.need_w, segment)
        prod = m.space.span("product")
        competence = (C.beliefs[contacts, prod] == m.reality[prod]).mean(axis=1) if prod.stop > prod.start else 1.0
        quality = market.perceived_quality(
            service, m.product_fit[segment], competence, p["market.fit_weight"], p["market.use_weight"]
        )
        for channel in ENCOUNTER_CHANNELS:
            run_channel(m, channel, contacts=contacts, servers=servers)

        gap = quality - C.expectation[contacts]
        C.satisfaction[contacts], C.expectation[contacts] = market.servqual(
            C.satisfaction[contacts],
            C.expectation[contacts],
            quality,
            m.competitor_quality,
            p["market.satisfaction_adaptation"],
            p["market.expectation_adaptation"],
            p["market.competitor_anchor"],
            p["market.servqual_gain"],
        )
        co = p[CO_CREATION.key]
        gain = p["market.relationship_gain"] * (1.0 + p["market.co_creation_bond"] * co)
        C.relationship[contacts] = market.relationship_update(
            C.relationship[contacts],
            gap,
            min(gain, 1.0),
            p["market.relationship_decay"],
            p["market.relationship_scale"],
        )
        # Offers: at level 1 the server offers from what it personally knows of the customer's needs;
        # from level 2 offers are prepared from the customer database and stores (Liew: informed decisions).
        fit = service if m.maturity >= 2 else market.service_quality(E.beliefs[servers], m.reality, m.need_w, segment)
        p_sale = market.sale_probability(p["market.upsell_rate"], fit, C.satisfaction[contacts])
        sold = contacts[rng.random(contacts.size) < p_sale]
        cross = sold[C.products[sold] < p["market.products"]]
        up = sold[C.products[sold] >= p["market.products"]]
        C.products[cross] += 1
        C.premium[up] = np.minimum(1.0, C.premium[up] + p["market.premium_step"])

        n_teams = m.teams.beliefs.shape[0]
        ledger.team("encounters", np.bincount(team, minlength=n_teams))
        ledger.team("quality_sum", np.bincount(team, weights=quality, minlength=n_teams))
        ledger.book("encounters", int(contacts.size))
        ledger.book("upsells", int(up.size))
        ledger.book("cross_sells", int(cross.size))
        ledger.book("quality_sum", float(quality.sum()))
        ledger.charge("service_cost", p["market.service_cost"] * contacts.size, p["market.service_cost"] * served)
        levers.charge(m, CO_CREATION, contacts.size, served)


def best_informed(m) -> np.ndarray:
    """Per team: the front-line member who knows most of the customer items."""
    cust = m.space.items("customer")
    know = proportion_correct(m.employees.beliefs[m.front_line][:, cust], m.reality[cust])
    # members of a team are contiguous in front_line: the row of each team's maximum, ties to the first
    order = np.lexsort((np.arange(know.size), -know, np.repeat(np.arange(m.front_count.size), m.front_count)))
    return m.front_line[order[m.front_offset]]
