"""Set-up: the knowledge space, the organization, its partners, its stores and its customers.

Everything is built in bulk -- arrays first, then one Mesa agent per row, registered at once
(``KnowledgeHolder.create_views``) -- so a million customers take seconds, not minutes. The tables'
columns come from the ``State`` declarations of the agent classes (``sim.agents``). All
randomness flows from the model's generator, in the order of the functions below.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import scipy.sparse as sparse

from sim.agents import (
    Customer,
    CustomerStatus,
    Employee,
    KnowledgeSource,
    Level,
    OrgUnit,
    Supplier,
    Team,
    state_columns,
)
from sim.config.params import par, share
from sim.engine import market
from sim.engine.knowledge import DOMAINS, KnowledgeSpace, code_learning, informed_beliefs, random_reality
from sim.engine.process import Component

ACTIVE = int(CustomerStatus.ACTIVE)


def table(cls, n: int, **arrays) -> SimpleNamespace:
    """The state table of an agent class: one column per ``State`` declaration (``n`` rows, filled
    with its ``fill``), plus the given arrays (beliefs and other matrices)."""
    cols = {s.column: np.full(n, s.fill, dtype=s.dtype) for s in state_columns(cls)}
    return SimpleNamespace(**arrays, **cols)


class Setup(Component):
    """Builds the model's populations and stores (DESIGN.md "Entities")."""

    name = "set-up"
    params = (
        par(
            "knowledge.customer_items",
            24,
            "Knowledge items about customer needs (at least one)",
            1,
            source="assumption (K = 64, DESIGN)",
        ),
        par("knowledge.product_items", 16, "Knowledge items about what the products can do", 0, source="assumption"),
        par("knowledge.supply_items", 12, "Knowledge items about materials and components", 0, source="assumption"),
        par("knowledge.process_items", 12, "Knowledge items of service know-how", 0, source="assumption"),
        share(
            "knowledge.tacitness_customer",
            0.5,
            "Mean tacitness of customer items (how hard to write down)",
            source="theory [Nonaka94]; value assumption",
        ),
        share("knowledge.tacitness_product", 0.3, "Mean tacitness of product items", source="theory; assumption"),
        share("knowledge.tacitness_supply", 0.4, "Mean tacitness of supply items", source="theory; assumption"),
        share("knowledge.tacitness_process", 0.7, "Mean tacitness of process items", source="theory; assumption"),
        share(
            "knowledge.tacitness_spread",
            0.15,
            "Items' tacitness drawn uniformly within +/- spread of the domain mean (clipped to [0, 1])",
            source="assumption",
        ),
        par("organization.teams", 10, "Number of account teams in the CRM unit", 1, source="assumption"),
        par("organization.team_size", 20, "Employees per team, including its manager", 2, source="assumption"),
        share(
            "organization.initial_knowledge",
            0.5,
            "Share of items an incumbent employee knows at the start",
            source="assumption",
        ),
        share(
            "organization.initial_accuracy",
            0.8,
            "Share of known items that are right (incumbents, newcomers, R&D/production staff)",
            source="assumption",
        ),
        share(
            "organization.initial_codification",
            0.5,
            "Share of items each store starts with, written down from the majority of its people (0: empty stores)",
            source="assumption (`march1991`: 0)",
        ),
        share(
            "organization.absorptive_capacity",
            0.7,
            "Mean absorptive capacity: scales what a person learns",
            source="theory [CL90]; assumption",
        ),
        share(
            "organization.willingness_to_share",
            0.7,
            "Mean willingness to share: scales what a person teaches",
            source="assumption",
        ),
        share(
            "organization.network_within",
            0.3,
            "Probability of a tie between two members of a team",
            source="assumption",
        ),
        share(
            "organization.network_across",
            0.005,
            "Probability of a tie between members of different teams",
            source="assumption",
        ),
        par(
            "organization.incumbent_tenure",
            520,
            "Incumbents' tenure at the start is uniform on 0 to this many weeks",
            1,
            source="assumption",
        ),
        par("organization.rnd_staff", 10, "Staff of the R&D unit", 0, source="assumption (Xie 3.2)"),
        par("organization.production_staff", 10, "Staff of the production unit", 0, source="assumption (Xie 3.2)"),
        share(
            "organization.unit_knowledge_own",
            0.8,
            "Share of their own domain's items R&D/production staff know",
            source="assumption",
        ),
        share(
            "organization.unit_knowledge_other",
            0.2,
            "Share of the other items R&D/production staff know",
            source="assumption",
        ),
        par("organization.suppliers", 5, "Number of suppliers", 0, source="assumption (Xie 3.3.2)"),
        share("organization.supplier_knowledge", 0.8, "Share of supply items a supplier knows", source="assumption"),
        share(
            "organization.supplier_relationship",
            0.3,
            "Initial relationship strength with each supplier",
            source="assumption",
        ),
        par(
            "organization.universities",
            1,
            "Universities (external knowledge sources)",
            0,
            source="assumption (Xie 3.3.3)",
        ),
        par(
            "organization.consultancies",
            1,
            "Consultancies (external knowledge sources)",
            0,
            source="assumption (Xie 3.3.3)",
        ),
        share(
            "organization.source_relationship",
            0.3,
            "Initial relationship strength with each university and consultancy",
            source="assumption",
        ),
        share(
            "organization.source_knowledge",
            0.7,
            "Share of product and process items a university or consultancy knows",
            source="assumption",
        ),
        share(
            "organization.expert_accuracy",
            0.9,
            "Share of known items suppliers and outside sources get right",
            source="assumption",
        ),
        par("market.initial_customers", 10000, "Active customers at the start", 0, source="assumption (scale)"),
        par(
            "market.market_potential",
            85000,
            "The whole market: customers and prospects (Bass's m); at least the initial customers",
            0,
            source="cal. a steady customer base at baseline (ODD 8.6); [Bass69]",
        ),
        par("market.segments", 4, "Customer segments (each with its own needs)", 1, source="assumption"),
        share("market.need_own", 1.0, "Need weight of a segment's own block of customer items", source="assumption"),
        share("market.need_other", 0.2, "Need weight of the other segments' customer items", source="assumption"),
        share("market.need_process", 0.3, "Need weight of service know-how (process items)", source="assumption"),
        share(
            "market.need_product",
            0.3,
            "Need weight of product items (what the products can do: the front line must know them to advise)",
            source="assumption (Xie 3.2: product knowledge reaches customers through the CRM unit)",
        ),
        share(
            "market.need_supply",
            0.1,
            "Need weight of supply items (materials and components: delivery, quality questions)",
            source="assumption",
        ),
        share(
            "market.initial_competence",
            0.5,
            "Share of product items an initial customer knows how to use (new customers start with none)",
            source="assumption",
        ),
        share("market.awareness", 0.6, "Share of its need items a customer can articulate", source="assumption"),
        par(
            "market.initial_satisfaction",
            0.0,
            "Satisfaction of every customer at the start (and of new customers)",
            -1,
            1,
            source="assumption (neutral)",
        ),
        share(
            "market.initial_expectation",
            0.67,
            "Expected service quality of every customer at the start (and of new customers)",
            source="theory [PZB88]; assumption",
        ),
        share(
            "market.initial_relationship", 0.55, "Relationship strength of the initial customers", source="assumption"
        ),
        share("market.new_relationship", 0.1, "Relationship strength of a newly won customer", source="assumption"),
        par(
            "market.products",
            4,
            "Products in the range (for up-sell and cross-sell)",
            1,
            source="assumption (seed 001: up-/cross-sell)",
        ),
        par(
            "market.initial_products", 1.4, "Mean products held per customer at the start", 1, 100, source="assumption"
        ),
    )
    reads = ("environment.turbulence", *(f"environment.drift_{d}" for d in DOMAINS))


def traits(mean: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Absorptive capacity or willingness to share: uniform within +/- half of min(mean, 1 - mean)."""
    half = 0.5 * min(mean, 1.0 - mean)
    return np.clip(mean + rng.uniform(-half, half, n), 0.0, 1.0)


def build_knowledge(model, p) -> None:
    """The knowledge space, reality, the two firm-wide stores and the segments' needs."""
    rng = model.rng
    model.space = KnowledgeSpace.build(
        {d: p[f"knowledge.{d}_items"] for d in DOMAINS},
        tacitness={d: p[f"knowledge.tacitness_{d}"] for d in DOMAINS},
        drift={d: p[f"environment.drift_{d}"] * p["environment.turbulence"] for d in DOMAINS},
        rng=rng,
        tacitness_spread=p["knowledge.tacitness_spread"],
    )
    model.K = model.space.K
    model.reality = random_reality(model.K, rng)
    model.kb = np.zeros(model.K, dtype=np.int8)  # the organization's knowledge base
    model.crm_db = np.zeros(model.K, dtype=np.int8)  # the CRM customer database
    model.need_w = market.need_weights(
        p["market.segments"],
        model.space.items("customer"),
        model.K,
        own=p["market.need_own"],
        other=p["market.need_other"],
        shared=[(model.space.items(d), p[f"market.need_{d}"]) for d in ("process", "product", "supply")],
    )


def build_organization(model, p) -> None:
    """Teams of employees (a manager first in each), their repositories and their social network."""
    rng = model.rng
    n_teams, size = p["organization.teams"], p["organization.team_size"]
    E = n_teams * size
    team = np.repeat(np.arange(n_teams), size)
    level = np.zeros(E, dtype=np.int8)
    level[::size] = int(Level.MANAGER)
    beliefs = informed_beliefs(
        E, model.reality, p["organization.initial_knowledge"], p["organization.initial_accuracy"], rng
    )
    emp = model.employees = table(Employee, E, beliefs=beliefs)
    emp.team[:], emp.level[:] = team, level
    emp.tenure[:] = rng.integers(0, p["organization.incumbent_tenure"], E)
    emp.absorb[:] = traits(p["organization.absorptive_capacity"], E, rng)
    emp.share[:] = traits(p["organization.willingness_to_share"], E, rng)
    model.teams = table(Team, n_teams, beliefs=np.zeros((n_teams, model.K), dtype=np.int8))
    model.front_line = np.flatnonzero(level == int(Level.FRONT_LINE))
    model.manager_of_team = np.flatnonzero(level == int(Level.MANAGER))
    model.front_count = np.bincount(team[model.front_line], minlength=n_teams)
    model.front_offset = np.concatenate([[0], np.cumsum(model.front_count)[:-1]])
    build_network(model, team, level, p["organization.network_within"], p["organization.network_across"])
    model.employee_agents = Employee.create_views(model, range(E))
    model.team_agents = Team.create_views(model, range(n_teams))


def build_network(model, team: np.ndarray, level: np.ndarray, within: float, across: float) -> None:
    """Seeded social network: a stochastic block model (each pair of colleagues tied with ``within``,
    each pair across teams with ``across``), managers linked to each other and everyone to their
    manager. Stored as CSR arrays (``net_indptr``, ``net_indices``), which the step reads;
    ``model.network`` is the networkx graph made from them on first use."""
    E, rng = team.size, model.rng
    sizes = np.bincount(team)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pairs = [sbm_within(sizes, starts, within, rng), sbm_across(team, across, rng)]
    managers = np.flatnonzero(level == int(Level.MANAGER))
    a, b = np.triu_indices(managers.size, 1)
    pairs.append(np.column_stack([managers[a], managers[b]]))
    members = np.flatnonzero(level != int(Level.MANAGER))
    pairs.append(np.column_stack([managers[team[members]], members]))
    edges = np.sort(np.concatenate(pairs).astype(np.int64), axis=1)
    code = distinct(edges[:, 0] * E + edges[:, 1])  # each tie once
    lo, hi = code // E, code % E
    adj = sparse.csr_array((np.ones(2 * code.size, dtype=np.int8), (np.r_[lo, hi], np.r_[hi, lo])), shape=(E, E))
    adj.sort_indices()
    model.net_indptr, model.net_indices = adj.indptr.astype(np.int64), adj.indices.astype(np.int64)


def distinct(codes: np.ndarray) -> np.ndarray:
    """The distinct values of an int array, sorted (a sort and a mask: faster than np.unique here)."""
    codes = np.sort(codes)
    return codes[np.r_[True, codes[1:] != codes[:-1]]] if codes.size else codes


def sbm_within(sizes: np.ndarray, starts: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """Ties inside each block: every pair of members independently with ``p``; (n, 2) pairs."""
    out = []
    for size in np.unique(sizes):  # teams of one size at once
        blocks = np.flatnonzero(sizes == size)
        a, b = np.triu_indices(int(size), 1)
        hit = rng.random((blocks.size, a.size)) < p
        block, pair = np.nonzero(hit)
        out.append(np.column_stack([starts[blocks[block]] + a[pair], starts[blocks[block]] + b[pair]]))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)


def sbm_across(team: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """Ties across blocks: each pair of people in different teams independently with ``p``, drawn as
    a Binomial number of pairs, then that many distinct pairs uniformly (the same distribution)."""
    E = team.size
    sizes = np.bincount(team)
    n_pairs = (E * (E - 1) - int((sizes * (sizes - 1)).sum())) // 2
    k = int(rng.binomial(n_pairs, p)) if n_pairs and p > 0 else 0
    if k == 0:
        return np.empty((0, 2), dtype=np.int64)
    found = np.empty(0, dtype=np.int64)  # pairs coded as low * E + high
    while found.size < k:  # rejection: uniform pairs across teams, duplicates dropped
        cand = rng.integers(0, E, size=(int((k - found.size) * 1.1) + 16, 2))
        cand = np.sort(cand[team[cand[:, 0]] != team[cand[:, 1]]], axis=1)
        found = distinct(np.concatenate([found, cand[:, 0] * E + cand[:, 1]]))
    code = found[rng.permutation(found.size)[:k]]
    return np.column_stack([code // E, code % E])


def build_partners(model, p) -> None:
    """R&D and production (documentation and staff), suppliers, universities and consultancies."""
    rng = model.rng
    kinds = np.array(["rnd", "production"])
    own = {"rnd": model.space.mask("product"), "production": model.space.mask("product", "supply")}
    model.units = table(OrgUnit, 2, beliefs=np.zeros((2, model.K), dtype=np.int8))
    model.units.kind[:] = kinds
    model.unit_index = {"rnd": 0, "production": 1}
    model.unit_domain = np.stack([own[k] for k in kinds])  # what each unit works on and briefs about
    staff_unit = np.repeat([0, 1], [p["organization.rnd_staff"], p["organization.production_staff"]])
    known = (
        np.stack(
            [
                np.where(own[kinds[u]], p["organization.unit_knowledge_own"], p["organization.unit_knowledge_other"])
                for u in staff_unit
            ]
        )
        if staff_unit.size
        else 0.0
    )
    model.unit_staff = SimpleNamespace(
        beliefs=informed_beliefs(staff_unit.size, model.reality, known, p["organization.initial_accuracy"], rng),
        unit=staff_unit,
    )
    n_sup = p["organization.suppliers"]
    model.suppliers = table(
        Supplier,
        n_sup,
        beliefs=informed_beliefs(
            n_sup,
            model.reality,
            p["organization.supplier_knowledge"] * model.space.mask("supply"),
            p["organization.expert_accuracy"],
            rng,
        ),
    )
    model.suppliers.relationship[:] = p["organization.supplier_relationship"]
    q_kind = np.array(
        ["university"] * p["organization.universities"] + ["consultancy"] * p["organization.consultancies"]
    )
    expert = model.space.mask("product", "process")
    model.sources = table(
        KnowledgeSource,
        q_kind.size,
        beliefs=informed_beliefs(
            q_kind.size,
            model.reality,
            p["organization.source_knowledge"] * expert,
            p["organization.expert_accuracy"],
            rng,
        ),
    )
    model.sources.kind[:] = q_kind
    model.sources.relationship[:] = p["organization.source_relationship"]
    model.unit_agents = OrgUnit.create_views(model, range(2))
    model.supplier_agents = Supplier.create_views(model, range(n_sup))
    model.source_agents = KnowledgeSource.create_views(model, range(q_kind.size))


def build_stores(model, p) -> None:
    """What the firm has written down before the run: for a share ``initial_codification`` of
    the items, each store holds the majority view of its people (0: every store starts empty)."""
    share_, rng, E = p["organization.initial_codification"], model.rng, model.employees
    writable = 1.0 - model.space.tacitness  # tacit know-how is hard to have written down

    def seed(store, people, items=None):
        chosen = (rng.random(model.K) < share_ * writable).astype(float)
        if items is not None:
            chosen *= items
        code_learning(store, people, chosen, rng)

    chosen = (rng.random(model.teams.beliefs.shape) < share_ * writable).astype(float)
    code_learning(model.teams.beliefs, E.beliefs, chosen, rng, group=E.team)
    seed(model.kb, E.beliefs)
    seed(model.crm_db, E.beliefs[model.front_line], model.space.mask("customer"))
    for u in range(model.units.beliefs.shape[0]):
        seed(model.units.beliefs[u], model.unit_staff.beliefs[model.unit_staff.unit == u])


def build_customers(model, p) -> None:
    """The customer table (grown on demand up to the whole market); the initial customers are active.

    ``model.market_size`` is Bass's m: every place in the market, customers and prospects. Processes
    draw one random number per place each week, so a customer meets the same draws in every scenario
    run on the same seed (common random numbers) however many rows the table holds.
    """
    n0, whole = p["market.initial_customers"], p["market.market_potential"]
    model.initial_customers = n0
    model.market_size = whole
    cap = min(whole, n0 + max(1024, n0 // 4))
    model.customers = table(
        Customer,
        cap,
        beliefs=np.zeros((cap, model.K), dtype=np.int8),
        aware=np.zeros((cap, model.space.items("customer").size), dtype=bool),
    )
    model.cohort = np.zeros(cap, dtype=bool)  # customers at the start of measurement (realized CLV)
    model.n_customers = 0
    model.acquired_total = 0
    model.churned_total = 0
    model.won_back_total = 0  # lapsed customers who bought again (counted in acquired_total too)
    model.customer_agents = []
    extra = model.rng.poisson(max(0.0, p["market.initial_products"] - 1.0), n0)
    rows = add_customers(
        model,
        n0,
        rng=model.rng,
        products=np.minimum(1 + extra, p["market.products"]),
        relationship=p["market.initial_relationship"],
    )
    product = model.space.span("product")
    known = informed_beliefs(
        rows.size, model.reality[product], p["market.initial_competence"], p["organization.expert_accuracy"], model.rng
    )
    model.customers.beliefs[rows, product] = known


def add_customers(model, n: int, rng: np.random.Generator, products=1, relationship=None) -> np.ndarray:
    """Activate the next ``n`` never-used rows of the customer table (new or initial customers)."""
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    reserve(model, model.n_customers + n)
    C, sc = model.customers, model.scenario
    rows = np.arange(model.n_customers, model.n_customers + n)
    C.segment[rows] = rng.integers(sc.get("market.segments"), size=n)
    C.team[rows] = rng.integers(model.teams.beliefs.shape[0], size=n)
    C.aware[rows] = rng.random((n, C.aware.shape[1])) < sc.get("market.awareness")
    activate(model, rows, products, relationship)
    model.n_customers += n
    model.customer_agents.extend(Customer.create_views(model, rows))
    return rows


def reserve(model, rows: int) -> None:
    """Make room for ``rows`` customers: every column of the table (and the cohort mask) grows to at
    least that, doubling, at most the whole market. Agents read their row through the table, so they
    follow the new arrays."""
    C = model.customers
    cap = C.status.size
    if rows <= cap:
        return
    new = min(model.market_size, max(rows, 2 * cap))
    fills = {s.column: s.fill for s in state_columns(Customer)}
    for name, col in vars(C).items():
        grown = np.zeros((new, *col.shape[1:]), dtype=col.dtype)
        grown[:cap] = col
        if name in fills:
            grown[cap:] = fills[name]
        setattr(C, name, grown)
    cohort = np.zeros(new, dtype=bool)
    cohort[:cap] = model.cohort
    model.cohort = cohort


def win_back(model, rows: np.ndarray) -> np.ndarray:
    """Lapsed customers who buy again: active, with a new relationship, knowing what they knew."""
    if rows.size:
        activate(model, rows, 1, None)
        model.customers.churned[rows] = -1
    return rows


def activate(model, rows: np.ndarray, products, relationship) -> None:
    """A customer's state when it starts buying: the market's first impression, one relationship."""
    C, sc = model.customers, model.scenario
    C.satisfaction[rows] = sc.get("market.initial_satisfaction")
    C.expectation[rows] = sc.get("market.initial_expectation")
    C.relationship[rows] = sc.get("market.new_relationship") if relationship is None else relationship
    C.products[rows] = products
    C.premium[rows] = 0.0
    C.acquired[rows] = model.steps
    C.status[rows] = ACTIVE


def build(model) -> None:
    """Everything, in the order the random numbers are drawn."""
    from sim.engine.process import Pars

    p = Pars(Setup.name, model.scenario, Setup.keys())
    build_knowledge(model, p)
    build_organization(model, p)
    build_partners(model, p)
    build_stores(model, p)
    build_customers(model, p)
