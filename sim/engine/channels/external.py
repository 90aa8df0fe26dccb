"""Xie 3.3: knowledge transfer with the outside -- customers (in service encounters), suppliers,
and other knowledge holders (universities, consultancies), both ways."""

from __future__ import annotations

import numpy as np

from sim.config.params import par, share
from sim.engine.channels.channel import EXTERNAL, Channel, chosen
from sim.engine.knowledge import code_learning, combination, internalization, socialization, superior_group
from sim.engine.levers import CO_CREATION, CUSTOMER_ROLE, EXTERNAL_KNOWHOW, SUPPLIER_COLLABORATION

BOND_GAIN = share(
    "organization.bond_gain",
    0.05,
    "Growth of a supplier's or outside source's relationship toward 1 per exchange",
    source="assumption",
)

VOICE_RELATIONSHIP = par(
    "market.voice_relationship",
    1.0,
    "How much more a customer tells the front line per unit of relationship strength above 1/2 "
    "(0 cuts the relational-capital loop)",
    0,
    2,
    source="theory: the virtuous spiral of relational capital (Xie 2.(4)); value assumption",
)

# --- with customers, in service encounters (Xie 3.3.1) ------------------------------------------


def customer_voice(model, rate, effort, rng, contacts, servers):
    """Customer -> front line (tacit): what customers articulate of their needs.

    An employee serving several customers learns an item if any of them teaches it:
    ``1 - prod(1 - p_i)`` over its encounters. More from active partners and with co-creation, and
    more the stronger the customer's relationship: ``p_i = rate x role x (1 + co-creation) x
    (1 + v (s_i - 1/2))`` with ``v = market.voice_relationship`` -- relational capital feeding back
    into what the firm learns (Xie 2.(4)); ``v = 0`` cuts the loop.
    """
    C, E = model.customers, model.employees
    cust = model.space.span("customer")
    sc = model.scenario
    role = sc.get(f"market.sharing_{model.customer_role}") * (1.0 + sc.get(CO_CREATION.key))
    p_i = rate * role * np.maximum(0.0, 1.0 + sc.get(VOICE_RELATIONSHIP.key) * (C.relationship[contacts] - 0.5))
    order = np.argsort(servers, kind="stable")
    s_sorted = servers[order]
    starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    log_miss = C.aware[contacts[order]] * np.log1p(-np.minimum(p_i[order], 0.999999))[:, None]
    miss = np.exp(np.add.reduceat(log_miss, starts, axis=0))
    who = s_sorted[starts]
    B = E.beliefs[who, cust]
    moved = socialization(B, model.reality[cust], (1.0 - miss) * E.absorb[who, None], rng)
    E.beliefs[who, cust] = B
    return moved, contacts.size


def customer_education(model, rate, effort, rng, contacts, servers):
    """Front line -> customer (tacit): product competence."""
    C, E = model.customers, model.employees
    prod = model.space.span("product")
    B = C.beliefs[contacts, prod]
    moved = socialization(B, E.beliefs[servers, prod], rate * E.share[servers, None], rng)
    C.beliefs[contacts, prod] = B
    return moved, contacts.size


def crm_records(model, rate, effort, rng, contacts, servers):
    """Front line -> CRM database (explicit): this week's servers record what they know of customers;
    the database takes the majority of those who know more than it does (March's rule)."""
    staff = np.flatnonzero(np.bincount(servers, minlength=model.employees.tenure.size))
    votes = model.employees.beliefs[staff] * model.space.mask("customer")
    votes = votes[superior_group(votes, model.crm_db, model.reality)]  # the records of those who know better
    moved = code_learning(model.crm_db, votes, rate * (1.0 - model.space.tacitness), rng)
    return moved, servers.size


# --- with suppliers (Xie 3.3.2) -----------------------------------------------------------------


def _bond(model, relationship: np.ndarray, who: np.ndarray) -> None:
    relationship[who] += model.scenario.get(BOND_GAIN.key) * (1.0 - relationship[who])


def supplier_seminars(model, rate, effort, rng):
    """Suppliers <-> production, explicit: seminars and documents both ways."""
    S, U = model.suppliers, model.units
    who = chosen(rng, S.beliefs.shape[0], effort)
    if who.size == 0:
        return 0, 0
    prod = model.unit_index["production"]
    supply_told = S.beliefs[who] * model.space.mask("supply")
    moved = code_learning(U.beliefs[prod], supply_told, rate * (1.0 - model.space.tacitness), rng)
    needs = U.beliefs[prod] * model.space.mask("customer")
    Sb = S.beliefs[who]
    moved += internalization(Sb, needs, rate, model.space.tacitness, rng)
    S.beliefs[who] = Sb
    _bond(model, S.relationship, who)
    return moved, who.size


def supplier_dispatch(model, rate, effort, rng):
    """Suppliers <-> production, tacit: dispatched staff study each other (socialization)."""
    S, st = model.suppliers, model.unit_staff
    who = chosen(rng, S.beliefs.shape[0], effort)
    prod_staff = np.flatnonzero(st.unit == model.unit_index["production"])
    if who.size == 0 or prod_staff.size == 0:
        return 0, 0
    who = who[: prod_staff.size]  # one dispatched pair per production staff member at most
    partner = rng.choice(prod_staff, size=who.size, replace=False)
    P = st.beliefs[partner]
    moved = socialization(P, S.beliefs[who] * model.space.mask("supply"), rate, rng)
    st.beliefs[partner] = P
    Sb = S.beliefs[who]
    moved += socialization(Sb, st.beliefs[partner] * model.space.mask("customer"), rate, rng)
    S.beliefs[who] = Sb
    _bond(model, S.relationship, who)
    return moved, who.size


# --- with universities and consultancies (Xie 3.3.3) --------------------------------------------


def buy_knowhow(model, rate, effort, rng):
    """Consultancies -> organization: buying documented know-how (combination)."""
    Q = model.sources
    who = np.flatnonzero((Q.kind == "consultancy") & (rng.random(Q.kind.size) < effort))
    moved = 0
    for q in who:
        # what a consultancy sells is documented know-how: only the codifiable part (1 - tacitness)
        moved += combination(
            model.kb, Q.beliefs[q], rate * (1.0 + Q.relationship[q]) / 2.0 * (1.0 - model.space.tacitness), rng
        )
    return moved, who.size


def conferences(model, rate, effort, rng):
    """Universities <-> firm staff: meeting experts at conferences (socialization, both ways)."""
    Q, E, st = model.sources, model.employees, model.unit_staff
    who = np.flatnonzero((Q.kind == "university") & (rng.random(Q.kind.size) < effort))
    moved = 0
    for q in who:
        for holder in (E, st):
            if holder.beliefs.shape[0] == 0:
                continue
            i = rng.integers(holder.beliefs.shape[0])
            moved += socialization(holder.beliefs[i], Q.beliefs[q], rate * (1.0 + Q.relationship[q]) / 2.0, rng)
            moved += socialization(Q.beliefs[q], holder.beliefs[i], rate, rng)
    return moved, 2 * who.size


def giving_back(model, rate, effort, rng):
    """Organization -> outside knowledge holders: sharing experience; builds reciprocity."""
    Q = model.sources
    who = chosen(rng, Q.beliefs.shape[0], effort)
    if who.size == 0:
        return 0, 0
    Qb = Q.beliefs[who]
    moved = combination(Qb, model.kb, rate, rng)
    Q.beliefs[who] = Qb
    _bond(model, Q.relationship, who)
    return moved, who.size


CHANNELS: tuple[Channel, ...] = (
    Channel(
        "customer_voice",
        EXTERNAL,
        "customer -> front line",
        "socialization",
        "what customers tell the front line in service encounters",
        customer_voice,
        0.01,
        0.0,
        phase="encounter",
        reads=tuple(p.key for p in (*CUSTOMER_ROLE.params(), *CO_CREATION.params())),
        extra=(VOICE_RELATIONSHIP,),
    ),
    Channel(
        "customer_education",
        EXTERNAL,
        "front line -> customer",
        "socialization",
        "the front line teaches customers to use products and services",
        customer_education,
        0.05,
        0.5,
        phase="encounter",
    ),
    Channel(
        "crm_records",
        EXTERNAL,
        "front line -> CRM database",
        "externalization",
        "encounters recorded in the CRM customer database",
        crm_records,
        0.10,
        0.2,
        phase="encounter",
    ),
    Channel(
        "supplier_seminars",
        EXTERNAL,
        "suppliers <-> production",
        "externalization",
        "technical seminars and documents, both ways",
        supplier_seminars,
        0.1,
        100.0,
        SUPPLIER_COLLABORATION,
        extra=(BOND_GAIN,),
    ),
    Channel(
        "supplier_dispatch",
        EXTERNAL,
        "suppliers <-> production",
        "socialization",
        "dispatching personnel to study each other",
        supplier_dispatch,
        0.1,
        200.0,
        SUPPLIER_COLLABORATION,
        reads=(BOND_GAIN.key,),
    ),
    Channel(
        "buy_knowhow",
        EXTERNAL,
        "consultancies -> organization",
        "combination",
        "buying know-how",
        buy_knowhow,
        0.10,
        2000.0,
        EXTERNAL_KNOWHOW,
    ),
    Channel(
        "conferences",
        EXTERNAL,
        "universities <-> staff",
        "socialization",
        "meeting experts at conferences",
        conferences,
        0.05,
        300.0,
        EXTERNAL_KNOWHOW,
    ),
    Channel(
        "giving_back",
        EXTERNAL,
        "organization -> outside holders",
        "combination",
        "sharing experience with universities and consultancies",
        giving_back,
        0.05,
        50.0,
        EXTERNAL_KNOWHOW,
        reads=(BOND_GAIN.key,),
    ),
)
