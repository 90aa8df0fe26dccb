"""Knowledge-transfer channels of Xie's CRM model (seed 002), each one SECI mode.

A channel is a named way knowledge moves, with its group in Xie's model (3.1 inside the CRM unit,
3.2 with other parts of the firm, 3.3 with the outside), the SECI mode it works by, the policy lever
that sets how often it is used, and a function over the model's arrays that returns
``(beliefs changed, activities)``. The model charges ``activities * cost`` and reports the changes
as ``transfers_<name>``. The three encounter channels (customer voice, customer education, CRM
records) run inside service encounters; their functions live with the encounter in the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from sim.engine.knowledge import (
    code_learning,
    combination,
    internalization,
    lookup,
    socialization,
    superior_group,
)
from sim.engine.market import LOOKUP_QUALITY

INTERNAL = "3.1 inside the CRM unit"
CROSS_LEVEL = "3.2 with other parts of the firm"
EXTERNAL = "3.3 with the outside"


@dataclass(frozen=True)
class Channel:
    name: str
    group: str
    mechanism: str
    seci: str  # socialization, externalization, combination, internalization
    lever: str | None  # policy lever scaling how often it is used (None: always on)
    description: str
    run: Callable | None = None  # (model, rate, effort, rng) -> (moved, activities); None: in encounters


def _chosen(rng, n: int, prob: float) -> np.ndarray:
    """Indices of the ``n`` candidates that take part this step, each with ``prob``."""
    return np.flatnonzero(rng.random(n) < prob)


# --- 3.1 inside the CRM unit --------------------------------------------------------------------


def working_together(model, rate, effort, rng):
    """Individual <-> individual, tacit: each employee learns from one colleague it has a tie to."""
    E = model.employees
    deg = np.diff(model.net_indptr)
    learners = np.flatnonzero(deg > 0)
    if learners.size == 0:
        return 0, 0
    pick = model.net_indptr[learners] + (rng.random(learners.size) * deg[learners]).astype(np.int64)
    teachers = model.net_indices[pick]
    B = E.beliefs[learners]
    p = rate * E.absorb[learners, None] * E.share[teachers, None]
    moved = socialization(B, E.beliefs[teachers], p, rng)
    E.beliefs[learners] = B
    return moved, learners.size


def mentoring(model, rate, effort, rng):
    """Individual <-> individual, guidance: front-line staff meet their manager (socialization)."""
    E = model.employees
    mentees = model.front_line[_chosen(rng, model.front_line.size, effort)]
    if mentees.size == 0:
        return 0, 0
    mentors = model.manager_of_team[E.team[mentees]]
    B = E.beliefs[mentees]
    moved = socialization(B, E.beliefs[mentors], rate * E.absorb[mentees, None] * E.share[mentors, None], rng)
    E.beliefs[mentees] = B
    return moved, mentees.size


def team_guidance(model, rate, effort, rng):
    """Individual -> team: members' skills become team practice (externalization, majority rule)."""
    E, T = model.employees, model.teams
    p = rate * effort * (1.0 - model.space.tacitness)
    moved = code_learning(T.beliefs, E.beliefs, p, rng, group=E.team)
    return moved, T.beliefs.shape[0]


def team_practice(model, rate, effort, rng):
    """Team -> individual: working practices and guidelines (internalization)."""
    E, T = model.employees, model.teams
    moved = internalization(E.beliefs, T.beliefs[E.team], rate * E.absorb[:, None],
                            model.space.tacitness, rng)
    return moved, E.beliefs.shape[0]


def codification(model, rate, effort, rng):
    """Individual -> organization: collating, summarizing, coding (externalization, majority rule)."""
    E = model.employees
    writers = _chosen(rng, E.beliefs.shape[0], effort)
    if writers.size == 0:
        return 0, 0
    moved = code_learning(model.kb, E.beliefs[writers], rate * (1.0 - model.space.tacitness), rng)
    return moved, writers.size


def manuals(model, rate, effort, rng):
    """Organization -> individual: manuals and training (internalization)."""
    E = model.employees
    readers = _chosen(rng, E.beliefs.shape[0], effort)
    if readers.size == 0:
        return 0, 0
    B = E.beliefs[readers]
    moved = internalization(B, model.kb, rate * E.absorb[readers, None], model.space.tacitness, rng)
    E.beliefs[readers] = B
    return moved, readers.size


def staff_exchange(model, rate, effort, rng):
    """Team <-> team: a team sends a member to another team; both sides learn (socialization)."""
    E = model.employees
    n_teams = model.teams.beliefs.shape[0]
    if n_teams < 2:
        return 0, 0
    moved = visits = 0
    for t in _chosen(rng, n_teams, effort):
        home = np.flatnonzero(E.team == t)
        host = (t + 1 + rng.integers(n_teams - 1)) % n_teams
        hosts = np.flatnonzero(E.team == host)
        visitor = home[rng.integers(home.size)]
        H = E.beliefs[hosts]
        moved += socialization(H, E.beliefs[visitor], rate * E.absorb[hosts, None] * E.share[visitor], rng)
        E.beliefs[hosts] = H
        mentor = hosts[rng.integers(hosts.size)]
        moved += socialization(E.beliefs[visitor], E.beliefs[mentor], rate * E.absorb[visitor] * E.share[mentor], rng)
        visits += 1
    return moved, visits


def team_communication(model, rate, effort, rng):
    """Team <-> team, explicit: practices and service records exchanged between repositories."""
    R = model.teams.beliefs
    n = R.shape[0]
    if n < 2:
        return 0, 0
    partner = (np.arange(n) + 1 + rng.integers(n - 1, size=n)) % n
    moved = combination(R, R[partner].copy(), rate, rng)
    return moved, n


def briefings(model, rate, effort, rng):
    """Team -> organization: briefings by the better-performing teams (combination, March's rule)."""
    R = model.teams.beliefs
    better = R[superior_group(R, model.kb, model.reality)]
    return code_learning(model.kb, better, rate, rng), R.shape[0]


def task_summaries(model, rate, effort, rng):
    """Team -> organization: at the end of a task (one team a week), the summaries of its
    better-performing members go into the knowledge base (externalization, March's rule)."""
    E = model.employees
    team = rng.integers(model.teams.beliefs.shape[0])
    B = E.beliefs[E.team == team]
    better = B[superior_group(B, model.kb, model.reality)]
    p = rate * (1.0 - model.space.tacitness)
    return code_learning(model.kb, better, p, rng), 1


# --- 3.2 with R&D and production ----------------------------------------------------------------


def customer_insight(model, rate, effort, rng):
    """CRM unit -> R&D/production: customer needs from the stores into their documentation."""
    explicit = lookup(model.kb, model.crm_db) * model.space.mask("customer")
    usable = rate * LOOKUP_QUALITY[model.maturity]
    return combination(model.units.beliefs, explicit, usable, rng), model.units.beliefs.shape[0]


def product_briefing(model, rate, effort, rng):
    """R&D/production -> CRM unit: product and supply knowledge into the knowledge base."""
    docs = model.units.beliefs * model.space.mask("product", "supply")
    return code_learning(model.kb, docs, rate, rng), model.units.beliefs.shape[0]


# --- 3.3 with suppliers and outside knowledge holders -------------------------------------------


def _supplier_bond(model, who: np.ndarray) -> None:
    S = model.suppliers
    S.relationship[who] += 0.05 * (1.0 - S.relationship[who])


def supplier_seminars(model, rate, effort, rng):
    """Suppliers <-> production, explicit: seminars and documents both ways."""
    S, U = model.suppliers, model.units
    who = _chosen(rng, S.beliefs.shape[0], effort)
    if who.size == 0:
        return 0, 0
    prod = model.unit_index["production"]
    supply_told = S.beliefs[who] * model.space.mask("supply")
    moved = code_learning(U.beliefs[prod], supply_told, rate * (1.0 - model.space.tacitness), rng)
    needs = U.beliefs[prod] * model.space.mask("customer")
    Sb = S.beliefs[who]
    moved += internalization(Sb, needs, rate, model.space.tacitness, rng)
    S.beliefs[who] = Sb
    _supplier_bond(model, who)
    return moved, who.size


def supplier_dispatch(model, rate, effort, rng):
    """Suppliers <-> production, tacit: dispatched staff study each other (socialization)."""
    S, st = model.suppliers, model.unit_staff
    who = _chosen(rng, S.beliefs.shape[0], effort)
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
    _supplier_bond(model, who)
    return moved, who.size


def buy_knowhow(model, rate, effort, rng):
    """Consultancies -> organization: buying documented know-how (combination)."""
    Q = model.sources
    who = np.flatnonzero((Q.kind == "consultancy") & (rng.random(Q.kind.size) < effort))
    moved = 0
    for q in who:
        # what a consultancy sells is documented know-how: only the codifiable part (1 - tacitness)
        moved += combination(model.kb, Q.beliefs[q], rate * (1.0 + Q.relationship[q]) / 2.0
                             * (1.0 - model.space.tacitness), rng)
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
    who = _chosen(rng, Q.beliefs.shape[0], effort)
    if who.size == 0:
        return 0, 0
    Qb = Q.beliefs[who]
    moved = combination(Qb, model.kb, rate, rng)
    Q.beliefs[who] = Qb
    Q.relationship[who] += 0.05 * (1.0 - Q.relationship[who])
    return moved, who.size


CHANNELS: tuple[Channel, ...] = (
    Channel("working_together", INTERNAL, "individual <-> individual", "socialization", None,
            "colleagues with a tie learn from each other while working", working_together),
    Channel("mentoring", INTERNAL, "individual <-> individual", "socialization", "socialization",
            "guidance by the team manager; communities of practice", mentoring),
    Channel("team_guidance", INTERNAL, "individual -> team", "externalization", "codification",
            "members' skills become the team's practice (majority rule)", team_guidance),
    Channel("team_practice", INTERNAL, "team -> individual", "internalization", None,
            "working practices and guidelines of the team", team_practice),
    Channel("codification", INTERNAL, "individual -> organization", "externalization", "codification",
            "collating, summarizing and coding into the knowledge base", codification),
    Channel("task_summaries", INTERNAL, "team -> organization", "externalization", None,
            "end-of-task summaries of the better-performing members", task_summaries),
    Channel("briefings", INTERNAL, "team -> organization", "combination", None,
            "briefings on work in progress by the better-performing teams", briefings),
    Channel("manuals", INTERNAL, "organization -> individual", "internalization", "training",
            "manuals, service-skill handbooks and training", manuals),
    Channel("staff_exchange", INTERNAL, "team <-> team", "socialization", "job_rotation",
            "sending staff to learn from another team", staff_exchange),
    Channel("team_communication", INTERNAL, "team <-> team", "combination", None,
            "practices and service records exchanged between teams", team_communication),
    Channel("customer_insight", CROSS_LEVEL, "CRM unit -> R&D/production", "combination", None,
            "customer needs passed to R&D and production", customer_insight),
    Channel("product_briefing", CROSS_LEVEL, "R&D/production -> CRM unit", "combination", None,
            "product features and supply knowledge passed to the CRM unit", product_briefing),
    Channel("customer_voice", EXTERNAL, "customer -> front line", "socialization", None,
            "what customers tell the front line in service encounters"),
    Channel("customer_education", EXTERNAL, "front line -> customer", "socialization", None,
            "the front line teaches customers to use products and services"),
    Channel("crm_records", EXTERNAL, "front line -> CRM database", "externalization", None,
            "encounters recorded in the CRM customer database"),
    Channel("supplier_seminars", EXTERNAL, "suppliers <-> production", "externalization",
            "supplier_collaboration", "technical seminars and documents, both ways", supplier_seminars),
    Channel("supplier_dispatch", EXTERNAL, "suppliers <-> production", "socialization",
            "supplier_collaboration", "dispatching personnel to study each other", supplier_dispatch),
    Channel("buy_knowhow", EXTERNAL, "consultancies -> organization", "combination", "external_knowhow",
            "buying know-how", buy_knowhow),
    Channel("conferences", EXTERNAL, "universities <-> staff", "socialization", "external_knowhow",
            "meeting experts at conferences", conferences),
    Channel("giving_back", EXTERNAL, "organization -> outside holders", "combination", "external_knowhow",
            "sharing experience with universities and consultancies", giving_back),
)

CHANNEL_NAMES: tuple[str, ...] = tuple(c.name for c in CHANNELS)
BY_NAME: dict[str, Channel] = {c.name: c for c in CHANNELS}
SECI_MODES: tuple[str, ...] = ("socialization", "externalization", "combination", "internalization")
