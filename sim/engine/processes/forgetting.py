"""Forgetting: people's beliefs decay to 'does not know' (DESIGN.md "Knowledge")."""

from __future__ import annotations

from sim.config.params import Contrast, Expect, share
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

    contrasts = (
        Contrast(
            "knowledge.forgetting",
            0.005,
            0.02,
            (
                Expect("knowledge_individual", -1, "what is not used is forgotten"),
                Expect("npv", -1, "service-profit chain (Heskett et al. 1994)"),
                Expect("customer_equity", -1, "service-profit chain (Heskett et al. 1994)"),
            ),
        ),
    )

    def step(self) -> None:
        m, rate = self.model, self.p["knowledge.forgetting"]
        forget(m.employees.beliefs, rate, self.rng)
        forget(m.unit_staff.beliefs, rate, self.rng)
