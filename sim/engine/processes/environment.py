"""Environment: reality drifts (turbulence) and competitors' pull moves (DESIGN.md step 1)."""

from __future__ import annotations

import numpy as np

from sim.config.params import par, share
from sim.engine.knowledge import drift
from sim.engine.process import Process


class Environment(Process):
    """Reality drifts item by item; competitors' pull follows a bounded random walk."""

    name = "environment"
    streams = ("environment",)
    params = (
        par(
            "environment.turbulence",
            1.0,
            "Multiplier on every drift rate (0 = reality never changes)",
            0,
            label="Turbulence (x drift)",
            source="theory [March91 p4]; assumption",
        ),
        share(
            "environment.drift_customer",
            0.01,
            "Weekly flip probability of a customer-need item",
            source="theory (seed 002 §2(2)); assumption",
        ),
        share("environment.drift_product", 0.003, "Weekly flip probability of a product item", source="assumption"),
        share("environment.drift_supply", 0.003, "Weekly flip probability of a supply item", source="assumption"),
        share("environment.drift_process", 0.002, "Weekly flip probability of a process item", source="assumption"),
        share(
            "environment.competition",
            0.3,
            "Competitors' pull: raises expectations and churn",
            label="Competition",
            source="assumption",
        ),
        share(
            "environment.competition_volatility",
            0.02,
            "Weekly standard deviation of the competitors' pull (bounded random walk)",
            source="assumption",
        ),
    )

    def __init__(self, model):
        super().__init__(model)
        model.competition = float(self.p["environment.competition"])

    def step(self) -> None:
        m, rng = self.model, self.rng
        drift(m.reality, m.space.drift, rng)
        m.competition = float(
            np.clip(m.competition + rng.normal(0.0, self.p["environment.competition_volatility"]), 0.0, 1.0)
        )
