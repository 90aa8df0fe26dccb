"""Workforce: employees leave and are replaced by newcomers (DESIGN.md step 2)."""

from __future__ import annotations

import numpy as np

from sim.agents import Employee
from sim.config.params import Contrast, Expect, par, share
from sim.engine import levers, market
from sim.engine.build import traits
from sim.engine.knowledge import informed_beliefs, internalization
from sim.engine.levers import RETENTION_PROGRAMME
from sim.engine.process import Process


class Workforce(Process):
    """Turnover: leavers take their tacit knowledge; each newcomer is hired at a cost, starts nearly naive
    and is onboarded from the knowledge base (what the firm has written down is what a newcomer can
    learn at once). A retention programme prevents part of the turnover at a cost per employee."""

    name = "workforce"
    streams = ("workforce",)
    params = (
        share(
            "organization.employee_turnover",
            0.2,
            "Annual probability that an employee leaves",
            source="cal. 15-25 % a year for service staff [WI; BLS] (ODD 8.6)",
            label="Employee turnover (annual)",
        ),
        share("organization.newcomer_knowledge", 0.1, "Share of items a newcomer knows", source="assumption"),
        share(
            "organization.onboarding",
            0.3,
            "Onboarding: chance a newcomer learns each knowledge-base item it does "
            "not know (x absorptive capacity x (1 - tacitness))",
            source="assumption",
        ),
        par(
            "costs.hiring",
            4000.0,
            "Cost of hiring one newcomer",
            0,
            source="about 4,000 per hire (SHRM 2016 human capital benchmark)",
        ),
        par("costs.onboarding", 1000.0, "Cost of onboarding (training) one newcomer", 0, source="assumption"),
    )
    reads = (
        "organization.initial_accuracy",
        "organization.absorptive_capacity",
        "organization.willingness_to_share",
        *(p.key for p in RETENTION_PROGRAMME.params()),
    )
    costs = ("hiring_cost", "onboarding_cost", RETENTION_PROGRAMME.column)

    contrasts = (
        Contrast(
            "organization.employee_turnover",
            0.2,
            0.5,
            (
                Expect("knowledge_individual", -1, "March 1991: leavers take their tacit knowledge"),
                Expect("npv", -1, "hiring, onboarding and lost knowledge cost money"),
                Expect("customer_equity", -1, "service-profit chain: less knowledge, fewer loyal customers"),
            ),
        ),
    )

    def step(self) -> None:
        m, p, rng = self.model, self.p, self.rng
        E = m.employees
        E.tenure += 1
        prevented = p["organization.retention_programme_effect"] * p[RETENTION_PROGRAMME.key]
        annual = p["organization.employee_turnover"] * (1.0 - prevented)
        leavers = np.flatnonzero(rng.random(E.tenure.size) < market.weekly(annual))
        if leavers.size:
            B = informed_beliefs(
                leavers.size, m.reality, p["organization.newcomer_knowledge"], p["organization.initial_accuracy"], rng
            )
            E.tenure[leavers] = 0
            E.absorb[leavers] = traits(p["organization.absorptive_capacity"], leavers.size, rng)
            E.share[leavers] = traits(p["organization.willingness_to_share"], leavers.size, rng)
            internalization(B, m.kb, p["organization.onboarding"] * E.absorb[leavers, None], m.space.tacitness, rng)
            E.beliefs[leavers] = B
            for row in leavers:  # a newcomer is a new agent in the leaver's row
                m.employee_agents[row].remove()
                m.employee_agents[row] = Employee(m, row)
            m.ledger.charge("hiring_cost", p["costs.hiring"] * leavers.size)
            m.ledger.charge("onboarding_cost", p["costs.onboarding"] * leavers.size)
        m.ledger.book("employees_left", int(leavers.size))
        m.ledger.team("leavers", np.bincount(E.team[leavers], minlength=m.teams.beliefs.shape[0]))
        levers.charge(m, RETENTION_PROGRAMME, E.tenure.size)
