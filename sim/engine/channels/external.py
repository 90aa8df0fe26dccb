"""Xie 3.3: knowledge transfer with the outside -- customers (in service encounters), suppliers,
and other knowledge holders (universities, consultancies), both ways."""

from __future__ import annotations

import numpy as np

from sim.config.params import Contrast, Expect, par, share
from sim.engine.channels.channel import EXTERNAL, Channel, chosen
from sim.engine.knowledge import code_learning, combination, internalization, socialization
from sim.engine.levers import CO_CREATION, CUSTOMER_ROLE, EXTERNAL_KNOWHOW, SUPPLIER_COLLABORATION

BOND_GAIN = share(
    "organization.bond_gain",
    0.05,
    "Growth of a supplier's or outside source's relationship toward 1 per exchange",
    source="assumption",
)

ATTENDEES = par(
    "organization.conference_attendees",
    10,
    "Staff of the CRM unit, and of R&D/production, who meet a university's experts at a conference",
    0,
    1000,
    source="assumption",
)
VOICE_RELATIONSHIP = par(
    "market.voice_relationship",
    1.5,
    "Elasticity of what a customer tells the front line in the relationship strength: rate x (2 x strength)^v "
    "(0 cuts the relational-capital loop)",
    0,
    4,
    source="theory: the virtuous spiral of relational capital (Xie 2.(4)); value assumption",
)

# --- with customers, in service encounters (Xie 3.3.1) ------------------------------------------


def customer_voice(model, rate, effort, rng, contacts, servers):
    """Customer -> front line (tacit): what customers articulate of their needs.

    An employee serving several customers learns an item if any of them teaches it:
    ``1 - prod(1 - p_i)`` over its encounters. More from active partners and with co-creation, and
    more the stronger the customer's relationship: ``p_i = rate x role x (1 + co-creation) x
    (2 s_i) ** v`` with ``v = market.voice_relationship`` (a relationship of 1/2 shares at the plain
    rate) -- relational capital feeding back into what the firm learns (Xie 2.(4)); ``v = 0`` cuts
    the loop.
    """
    C, E = model.customers, model.employees
    cust = model.space.span("customer")
    sc = model.scenario
    role = sc.get(f"market.sharing_{model.customer_role}") * (1.0 + sc.get(CO_CREATION.key))
    p_i = rate * role * (2.0 * C.relationship[contacts]) ** sc.get(VOICE_RELATIONSHIP.key)
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
    """Front line -> CRM database (explicit): this week's servers record what they know of their customers'
    needs; where the majority of the records disagrees with the database, it takes the majority
    (March's rule over the week's records, ``rate x (1 - tacitness)``)."""
    staff = np.flatnonzero(np.bincount(servers, minlength=model.employees.tenure.size))
    votes = model.employees.beliefs[staff] * model.space.mask("customer")
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
    """Consultancies -> organization: buying documented know-how of their field (products and service
    processes) into the knowledge base (combination); more with a stronger relationship."""
    Q = model.sources
    who = np.flatnonzero((Q.kind == "consultancy") & (rng.random(Q.kind.size) < effort))
    field = model.space.mask("product", "process")
    moved = 0
    for q in who:
        # what a consultancy sells is documented know-how: only the codifiable part (1 - tacitness)
        moved += combination(
            model.kb, Q.beliefs[q] * field, rate * (1.0 + Q.relationship[q]) / 2.0 * (1.0 - model.space.tacitness), rng
        )
    return moved, who.size


def conferences(model, rate, effort, rng):
    """Universities <-> firm staff: meeting experts at conferences (socialization, both ways). Each
    university engaged this week meets a few of the CRM unit's staff and of R&D/production's; each
    attendee learns from the expert (more with a stronger relationship), and the expert learns from them
    what the firm knows of its customers."""
    Q, E, st = model.sources, model.employees, model.unit_staff
    who = np.flatnonzero((Q.kind == "university") & (rng.random(Q.kind.size) < effort))
    attendees = int(model.scenario.get(ATTENDEES.key))
    customers = model.space.mask("customer")
    moved = meetings = 0
    for q in who:
        for holder in (E, st):
            n = holder.beliefs.shape[0]
            for i in rng.choice(n, size=min(attendees, n), replace=False) if n else ():
                moved += socialization(holder.beliefs[i], Q.beliefs[q], rate * (1.0 + Q.relationship[q]) / 2.0, rng)
                moved += socialization(Q.beliefs[q], holder.beliefs[i] * customers, rate, rng)
                meetings += 1
    return moved, meetings


def giving_back(model, rate, effort, rng):
    """Organization -> outside knowledge holders: sharing the firm's experience of its customers (what
    the experts cannot learn in their own field) builds reciprocity -- the relationship that keeps
    the access to their know-how open."""
    Q = model.sources
    who = chosen(rng, Q.beliefs.shape[0], effort)
    if who.size == 0:
        return 0, 0
    Qb = Q.beliefs[who]
    moved = combination(Qb, model.kb * model.space.mask("customer"), rate, rng)
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
        ablation=(
            Expect("knowledge_gap", +1, "Xie 3.3.1: customers are the source of customer knowledge"),
            Expect("retention_rate", -1, "service-profit chain (Heskett et al. 1994)"),
        ),
        contrasts=(
            Contrast(
                "market.voice_relationship",
                0.0,
                1.5,
                (Expect("knowledge_gap", -1, "Xie 2.(4): relational capital makes customers share more"),),
            ),
        ),
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
        ablation=(Expect("service_quality", -1, "Xie 3.3.1: educated customers get more value in use"),),
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
        ablation=(Expect("knowledge_crm", -1, "Liew (seed 000): the CRM database records what the front line learns"),),
    ),
    Channel(
        "supplier_seminars",
        EXTERNAL,
        "suppliers <-> production",
        "externalization",
        "technical seminars and documents, both ways",
        supplier_seminars,
        0.25,
        100.0,
        SUPPLIER_COLLABORATION,
        extra=(BOND_GAIN,),
        ablation=(Expect("supply_fit", -1, "Xie 3.3.2: seminars and documents with suppliers"),),
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
        # what dispatched staff learn reaches production's documentation only through the unit's own
        # majority rule: within two years its measurable effect is on the relationship
        ablation=(Expect("supplier_relational_capital", -1, "Xie 2.(4): exchanges build relational capital"),),
    ),
    Channel(
        "buy_knowhow",
        EXTERNAL,
        "consultancies -> organization",
        "combination",
        "buying know-how",
        buy_knowhow,
        0.6,
        2000.0,
        EXTERNAL_KNOWHOW,
        ablation=(Expect("knowledge_org", -1, "Xie 3.3.3: buying know-how from consultancies"),),
        home="open_innovation",
    ),
    Channel(
        "conferences",
        EXTERNAL,
        "universities <-> staff",
        "socialization",
        "meeting experts at conferences",
        conferences,
        0.2,
        60.0,
        EXTERNAL_KNOWHOW,
        extra=(ATTENDEES,),
        ablation=(Expect("knowledge_individual", -1, "Xie 3.3.3: meeting experts at conferences"),),
        home="open_innovation",
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
        ablation=(Expect("source_relational_capital", -1, "Xie 3.3.3: giving back keeps the access"),),
        home="open_innovation",
    ),
)
