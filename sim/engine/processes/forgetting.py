"""Forgetting: people's beliefs decay to 'does not know' (DESIGN.md "Knowledge")."""

from __future__ import annotations

from sim.config.params import share
from sim.engine.knowledge import forget
from sim.engine.process import Process


class Forgetting(Process):
    """Employees and R&D/production staff forget known items; stores do not."""

    name = "forgetting"
    streams = ("forgetting",)
    params = (
        share(
            "knowledge.forgetting",
            0.005,
            "Weekly probability that a person's known belief decays to 0",
            source="assumption (~23 % of what one knows a year)",
        ),
    )

    def step(self) -> None:
        m, rate = self.model, self.p["knowledge.forgetting"]
        forget(m.employees.beliefs, rate, self.rng)
        forget(m.unit_staff.beliefs, rate, self.rng)
