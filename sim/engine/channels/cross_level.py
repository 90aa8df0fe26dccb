"""Xie 3.2: knowledge transfer between the CRM unit and other parts of the firm (R&D, production)."""

from __future__ import annotations

import numpy as np

from sim.config.params import Expect
from sim.engine import levers
from sim.engine.channels.channel import CROSS_LEVEL, Channel
from sim.engine.knowledge import code_learning, combination, lookup, raw_score
from sim.engine.levers import CRM_MATURITY


def customer_insight(model, rate, effort, rng):
    """CRM unit -> R&D/production: customer needs from the stores into their documentation."""
    explicit = lookup(model.kb, model.crm_db) * model.space.mask("customer")
    usable = rate * levers.lookup_quality(model.scenario, model.maturity)
    return combination(model.units.beliefs, explicit, usable, rng), model.units.beliefs.shape[0]


def product_briefing(model, rate, effort, rng):
    """R&D/production -> CRM unit: product and supply knowledge from their documentation into the
    knowledge base and every team's repository (Xie 3.2.1: to the organization, teams and individuals).
    Each unit briefs on its own domain (R&D on products, production on products and supply), and a
    store takes a unit's briefing only if the unit knows that domain better than the store does
    (March's rule)."""
    docs = model.units.beliefs * model.unit_domain
    reality = model.reality
    R = model.teams.beliefs
    stores = np.concatenate([model.kb[None, :], R])  # the knowledge base, then every team's repository
    doc_score = raw_score(docs, reality)  # (units,)
    store_score = raw_score(stores[:, None, :] * model.unit_domain[None, :, :], reality)  # (stores, units)
    better = doc_score[None, :] > store_score
    rows, units = np.nonzero(better)
    moved = code_learning(stores, docs[units], rate, rng, group=rows) if rows.size else 0
    model.kb[:] = stores[0]
    R[:] = stores[1:]
    return moved, model.units.beliefs.shape[0] * stores.shape[0]


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
        ablation=(Expect("product_fit", -1, "Xie 3.2: customer needs passed to R&D and production"),),
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
        ablation=(Expect("knowledge_org", -1, "Xie 3.2: product knowledge passed to the CRM unit"),),
    ),
)
