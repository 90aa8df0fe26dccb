"""Environment: reality drifts (turbulence) and competitors' pull moves (DESIGN.md step 1)."""

from __future__ import annotations

import numpy as np

from sim.config.params import Contrast, Expect, par, share
from sim.engine.knowledge import drift
from sim.engine.process import Process


class Environment(Process):
    """Reality drifts item by item; competitors' pull reverts to its mean (an Ornstein-Uhlenbeck step),
    and competitors' service quality moves with it."""

    name = "environment"
    streams = ("environment",)
    params = (
        par(
            "environment.turbulence",
            1.0,
            "Multiplier on every drift rate (0 = reality never changes)",
            0,
            source="theory [March91 p4]; assumption",
            label="Turbulence (x drift)",
        ),
        share(
            "environment.drift_customer",
            0.01,
            "Weekly flip probability of a customer-need item",
            source="theory (seed 002 §2(2): needs change fastest); assumption",
        ),
        share("environment.drift_product", 0.005, "Weekly flip probability of a product item", source="assumption"),
        share("environment.drift_supply", 0.006, "Weekly flip probability of a supply item", source="assumption"),
        share("environment.drift_process", 0.002, "Weekly flip probability of a process item", source="assumption"),
        share(
            "environment.competition",
            0.3,
            "Competitors' mean pull: raises churn and competitors' quality",
            source="assumption",
            label="Competition",
        ),
        share(
            "environment.competition_volatility",
            0.02,
            "Weekly standard deviation of the competitors' pull",
            source="assumption",
        ),
        share(
            "environment.competition_reversion",
            0.05,
            "Weekly share of its distance to the mean that the "
            "competitors' pull closes (mean reversion; half-life about 14 weeks at 0.05)",
            source="assumption",
        ),
        share(
            "environment.competitor_quality",
            0.64,
            "Competitors' service quality at the mean pull: the anchor of customers' expectations",
            source="calibrated: baseline satisfaction near neutral (ODD 8.6)",
        ),
        par(
            "environment.competitor_quality_response",
            0.5,
            "Rise of competitors' quality per unit of pull above its mean",
            0,
            2,
            source="assumption",
        ),
    )

    contrasts = (
        Contrast(
            "environment.turbulence",
            1.0,
            3.0,
            (
                Expect("knowledge_gap", +1, "March 1991 (p4): knowledge decays as reality drifts; Xie 2.(2)"),
                Expect("npv", -1, "service-profit chain (Heskett et al. 1994): stale knowledge loses customers"),
                Expect("customer_equity", -1, "service-profit chain: fewer, less loyal customers"),
            ),
        ),
        Contrast(
            "environment.competition",
            0.3,
            0.6,
            (Expect("retention_rate", -1, "seed 003: customers leave for better offers"),),
        ),
    )

    def __init__(self, model):
        super().__init__(model)
        model.competition = float(self.p["environment.competition"])
        model.competitor_quality = self.competitor_quality()

    def competitor_quality(self) -> float:
        p = self.p
        q = p["environment.competitor_quality"] + p["environment.competitor_quality_response"] * (
            self.model.competition - p["environment.competition"]
        )
        return float(np.clip(q, 0.0, 1.0))

    def step(self) -> None:
        m, p, rng = self.model, self.p, self.rng
        drift(m.reality, m.space.drift, rng)
        mean, pull = p["environment.competition"], m.competition
        pull += p["environment.competition_reversion"] * (mean - pull) + rng.normal(
            0.0, p["environment.competition_volatility"]
        )
        m.competition = float(np.clip(pull, 0.0, 1.0))
        m.competitor_quality = self.competitor_quality()
