"""Xie 3.2: knowledge transfer between the CRM unit and other parts of the firm (R&D, production)."""

from __future__ import annotations

from sim.engine.channels.channel import CROSS_LEVEL, Channel
from sim.engine.knowledge import code_learning, combination, lookup
from sim.engine.levers import CRM_MATURITY, LOOKUP_QUALITY


def customer_insight(model, rate, effort, rng):
    """CRM unit -> R&D/production: customer needs from the stores into their documentation."""
    explicit = lookup(model.kb, model.crm_db) * model.space.mask("customer")
    usable = rate * LOOKUP_QUALITY[model.maturity]
    return combination(model.units.beliefs, explicit, usable, rng), model.units.beliefs.shape[0]


def product_briefing(model, rate, effort, rng):
    """R&D/production -> CRM unit: product and supply knowledge into the knowledge base."""
    docs = model.units.beliefs * model.space.mask("product", "supply")
    return code_learning(model.kb, docs, rate, rng), model.units.beliefs.shape[0]


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
        reads=(CRM_MATURITY.key,),
    ),
    Channel(
        "product_briefing",
        CROSS_LEVEL,
        "R&D/production -> CRM unit",
        "combination",
        "product features and supply knowledge passed to the CRM unit",
        product_briefing,
        0.10,
        20.0,
    ),
)
