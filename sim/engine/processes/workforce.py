"""Workforce: employees leave and are replaced by newcomers (DESIGN.md step 2)."""

from __future__ import annotations

import numpy as np

from sim.agents import Employee
from sim.config.params import share
from sim.engine import levers, market
from sim.engine.build import traits
from sim.engine.knowledge import informed_beliefs
from sim.engine.levers import RETENTION_PROGRAMME, RETENTION_PROGRAMME_EFFECT
from sim.engine.process import Process


class Workforce(Process):
    """Turnover: leavers take their tacit knowledge; newcomers start nearly naive. A retention
    programme prevents part of the turnover at a cost per employee."""

    name = "workforce"
    streams = ("workforce",)
    params = (
        share(
            "organization.employee_turnover",
            0.2,
            "Annual probability that an employee leaves",
            source="cal. 15–25 % [WI; BLS]",
            label="Employee turnover (annual)",
        ),
        share("organization.newcomer_knowledge", 0.1, "Share of items a newcomer knows", source="assumption"),
    )
    reads = (
        "organization.initial_accuracy",
        "organization.absorptive_capacity",
        "organization.willingness_to_share",
        RETENTION_PROGRAMME.key,
        RETENTION_PROGRAMME.cost.key,
    )
    costs = (RETENTION_PROGRAMME.column,)

    def step(self) -> None:
        m, p, rng = self.model, self.p, self.rng
        E = m.employees
        E.tenure += 1
        annual = p["organization.employee_turnover"] * (1.0 - RETENTION_PROGRAMME_EFFECT * p[RETENTION_PROGRAMME.key])
        leavers = np.flatnonzero(rng.random(E.tenure.size) < market.weekly(annual))
        if leavers.size:
            E.beliefs[leavers] = informed_beliefs(
                leavers.size, m.reality, p["organization.newcomer_knowledge"], p["organization.initial_accuracy"], rng
            )
            E.tenure[leavers] = 0
            E.absorb[leavers] = traits(p["organization.absorptive_capacity"], leavers.size, rng)
            E.share[leavers] = traits(p["organization.willingness_to_share"], leavers.size, rng)
            for row in leavers:  # a newcomer is a new agent in the leaver's row
                m.employee_agents[row].remove()
                m.employee_agents[row] = Employee(m, row)
        m.ledger.book("employees_left", int(leavers.size))
        m.ledger.team("leavers", np.bincount(E.team[leavers], minlength=m.teams.beliefs.shape[0]))
        levers.charge(m, RETENTION_PROGRAMME, E.tenure.size)
