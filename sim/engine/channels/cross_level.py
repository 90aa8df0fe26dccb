"""Xie 3.2: knowledge transfer between the CRM unit and other parts of the firm (R&D, production)."""

from __future__ import annotations

import numpy as np

from sim.engine import levers
from sim.engine.channels.channel import CROSS_LEVEL, Channel
from sim.engine.knowledge import code_learning, combination, lookup
from sim.engine.levers import CRM_MATURITY


def customer_insight(model, rate, effort, rng):
    """CRM unit -> R&D/production: customer needs from the stores into their documentation."""
    explicit = lookup(model.kb, model.crm_db) * model.space.mask("customer")
    usable = rate * levers.lookup_quality(model.scenario, model.maturity)
    return combination(model.units.beliefs, explicit, usable, rng), model.units.beliefs.shape[0]


def product_briefing(model, rate, effort, rng):
    """R&D/production -> CRM unit: product and supply knowledge from their documentation into the
    knowledge base and every team's repository (Xie 3.2.1: to the organization, teams and individuals).
    Each unit briefs on its own domain: R&D on products, production on products and supply."""
    docs = model.units.beliefs * model.unit_domain
    moved = code_learning(model.kb, docs, rate, rng)
    n_teams = model.teams.beliefs.shape[0]
    votes = np.tile(docs, (n_teams, 1))
    moved += code_learning(model.teams.beliefs, votes, rate, rng, group=np.repeat(np.arange(n_teams), docs.shape[0]))
    return moved, model.units.beliefs.shape[0] * (1 + n_teams)


CHANNELS: tuple[Channel, ...] = (
    Channel(
        "customer_insight",
        CROSS_LEVEL,
        "CRM unit -> R&D/production",
        "combination",
        "customer needs passed to R&D and production",
        customer_insight,
        0.10,
        20.0,
        reads=(CRM_MATURITY.key, *(f"crm.lookup_{level}" for level in (1, 2, 3))),
    ),
    Channel(
        "product_briefing",
        CROSS_LEVEL,
        "R&D/production -> CRM unit",
        "combination",
        "product features and supply knowledge passed to the knowledge base and the teams",
        product_briefing,
        0.10,
        20.0,
    ),
)
