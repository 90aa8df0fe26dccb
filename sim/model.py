"""CRMKnowledgeModel: a plain Mesa 3 model of knowledge transfer in CRM (Xie, seed 002).

State lives in arrays owned by the model, one row per agent (``self.employees.beliefs[row]``); the
Mesa agents in ``sim.agents`` are views on their rows. One step is a week, in the order of
DESIGN.md "One step": environment, workforce, service encounters, customers, growth, transfer
channels, relational capital, data collection.
"""

from __future__ import annotations

from types import SimpleNamespace

import mesa
import networkx as nx
import numpy as np

from sim.engine import market
from sim.agents import (
    Customer,
    CustomerStatus,
    Employee,
    KnowledgeSource,
    Level,
    OrgUnit,
    Supplier,
    Team,
)
from sim.engine.channels import CHANNELS, CHANNEL_NAMES
from sim.engine.knowledge import (
    DOMAINS,
    KnowledgeSpace,
    code_learning,
    drift,
    forget,
    informed_beliefs,
    lookup,
    proportion_correct,
    random_reality,
    raw_score,
    score,
    socialization,
)

ACTIVE, CHURNED = int(CustomerStatus.ACTIVE), int(CustomerStatus.CHURNED)
AWARENESS = 0.6  # share of its need items a customer can articulate
EXPERIENCE = 0.01  # weekly chance to learn an item of one's own domain by doing
RETENTION_WINDOW = 13  # weeks over which retention_rate is measured, then annualized
# Unit costs of policies that are not channels (money per week).
LOYALTY_COST = 1.0  # per active customer at full loyalty-scheme effort
CO_CREATION_COST = 3.0  # per encounter at full co-creation effort
RETENTION_PROGRAMME_COST = 40.0  # per employee at full effort
RETENTION_PROGRAMME_EFFECT = 0.5  # share of turnover a full programme prevents

PROCESSES: tuple[str, ...] = ("environment", "workforce", "forgetting", "contacts", "encounters", "customers",
                              "growth", "learning")

STEP_COLUMNS: tuple[str, ...] = (
    "step", "active_customers", "acquired_total", "churned_total", "retention_rate",
    "satisfaction_mean", "relational_capital", "revenue", "cost", "profit", "service_quality",
    "knowledge_gap", "knowledge_individual", "knowledge_team", "knowledge_org", "employees",
    "acquired", "churned", "encounters", "referrers", "products_per_customer", "upsells",
    "cross_sells", "gross_margin", "knowledge_cost", "acquisition_cost", "service_cost",
    "product_fit", "codification", "knowledge_score_individual", "knowledge_score_org",
    "employees_left", "competition", "customer_relational_capital", "supplier_relational_capital",
    "cohort_margin",
) + tuple(f"transfers_{c}" for c in CHANNEL_NAMES)


def _table(**columns) -> SimpleNamespace:
    return SimpleNamespace(**columns)


class CRMKnowledgeModel(mesa.Model):
    """Employees, teams, R&D/production, customers, suppliers and outside sources exchange knowledge.

    Args:
        scenario: a ``Scenario``, a scenario name or path (default ``"baseline"``).
        rng: seed or ``numpy.random.Generator``; all randomness flows from it.
        params: optional dotted overrides, e.g. ``{"market.base_churn": 0.01}`` (validated).
    """

    def __init__(self, scenario=None, rng=None, params: dict | None = None, seed=None):
        super().__init__(rng=rng if seed is None else seed)
        # One generator per process, spawned from the model's generator before anything else:
        # policies that change how many numbers one process draws do not shift the others, so
        # scenarios compared on the same seed share random numbers (common random numbers).
        root = np.random.SeedSequence(int(self.rng.integers(2**63)))
        names = PROCESSES + CHANNEL_NAMES
        self.streams = dict(zip(names, (np.random.default_rng(s) for s in root.spawn(len(names)))))
        from sim.config.scenario import Scenario, load_scenario

        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario or "baseline")
        if params:
            sc = sc.with_params(params)
        self.scenario = sc
        self.kn = sc.section("knowledge")
        self.env = sc.section("environment")
        self.org = sc.section("organization")
        self.mkt = sc.section("market")
        self.policy = sc.section("policy")
        channels = sc.section("channels")
        self.channel_params = {c: (float(channels[c].rate), float(channels[c].cost)) for c in CHANNEL_NAMES}
        self.maturity = int(self.policy.crm_maturity)
        self.customer_role = self.policy.customer_role

        self._build_knowledge()
        self._build_organization()
        self._build_partners()
        self._build_stores()
        self._build_customers()

        self.stats: dict[str, float] = {}
        self._flows = {c: 0 for c in CHANNEL_NAMES}
        self._money = dict(revenue=0.0, gross_margin=0.0, knowledge_cost=0.0, acquisition_cost=0.0,
                           service_cost=0.0)
        self._period = dict(acquired=0, churned=0, encounters=0, upsells=0, cross_sells=0,
                            employees_left=0, quality_sum=0.0)
        self._churn_window: list[tuple[int, int]] = []  # (churned, active at start) per step
        self._referrers = 0  # set by growth()
        self._cohort_margin = 0.0  # set by growth()
        self.events = {"churns": [], "acquisitions": []}
        n_teams = self.teams.beliefs.shape[0]
        self.team_acc = {k: np.zeros(n_teams) for k in
                         ("exposure", "churned", "quality_sum", "encounters", "leavers", "revenue")}
        self.datacollector = mesa.DataCollector(
            model_reporters={c: (lambda m, c=c: m.stats[c]) for c in STEP_COLUMNS}
        )
        self._measure()
        self.datacollector.collect(self)

    # --- set-up -------------------------------------------------------------------------------

    def _channel(self, name) -> tuple[float, float]:
        """(rate, cost) of a channel from the scenario."""
        return self.channel_params[name]

    def _build_knowledge(self):
        kn, env = self.kn, self.env
        sizes = {d: getattr(kn, f"{d}_items") for d in DOMAINS}
        self.space = KnowledgeSpace.build(
            sizes,
            tacitness={d: getattr(kn, f"tacitness_{d}") for d in DOMAINS},
            drift={d: getattr(env, f"drift_{d}") * env.turbulence for d in DOMAINS},
            rng=self.rng,
            tacitness_spread=kn.tacitness_spread,
        )
        self.K = self.space.K
        self.reality = random_reality(self.K, self.rng)
        self.competition = float(env.competition)
        self.kb = np.zeros(self.K, dtype=np.int8)  # the organization's knowledge base
        self.crm_db = np.zeros(self.K, dtype=np.int8)  # the CRM customer database
        self.need_w = market.need_weights(self.mkt.segments, self.space.items("customer"),
                                          self.space.items("process"), self.K)

    def _traits(self, mean: float, n: int, rng=None) -> np.ndarray:
        """Absorptive capacity or willingness to share: around ``mean``, within [0, 1]."""
        half = 0.5 * min(mean, 1.0 - mean)
        return np.clip(mean + (rng or self.rng).uniform(-half, half, n), 0.0, 1.0)

    def _build_organization(self):
        org, rng = self.org, self.rng
        n_teams, size = int(org.teams), int(org.team_size)
        E = n_teams * size
        team = np.repeat(np.arange(n_teams), size)
        level = np.zeros(E, dtype=np.int8)
        level[::size] = int(Level.MANAGER)
        self.employees = _table(
            beliefs=informed_beliefs(E, self.reality, org.initial_knowledge, org.initial_accuracy, rng),
            team=team, level=level, tenure=rng.integers(0, 520, E),
            absorb=self._traits(org.absorptive_capacity, E), share=self._traits(org.willingness_to_share, E),
        )
        self.teams = _table(beliefs=np.zeros((n_teams, self.K), dtype=np.int8))
        self.front_line = np.flatnonzero(level == int(Level.FRONT_LINE))
        self.manager_of_team = np.flatnonzero(level == int(Level.MANAGER))
        self._front_count = np.bincount(team[self.front_line], minlength=n_teams)
        self._front_offset = np.concatenate([[0], np.cumsum(self._front_count)[:-1]])
        self._build_network(team, level)
        self.employee_agents = list(Employee.create_agents(self, E, row=list(range(E))))
        self.team_agents = list(Team.create_agents(self, n_teams, row=list(range(n_teams))))

    def _build_network(self, team, level):
        """Seeded social network: dense inside teams, sparse across, managers linked to each other."""
        sizes = np.bincount(team).tolist()
        k = len(sizes)
        probs = np.full((k, k), self.org.network_across)
        np.fill_diagonal(probs, self.org.network_within)
        probs[probs < 1e-12] = 0.0  # networkx's geometric skipping divides by log(1 - p), 0 for tiny p
        g = nx.stochastic_block_model(sizes, probs.tolist(), seed=int(self.rng.integers(2**31)))
        managers = np.flatnonzero(level == int(Level.MANAGER)).tolist()
        g.add_edges_from((a, b) for i, a in enumerate(managers) for b in managers[i + 1:])
        for t, m in enumerate(managers):  # everyone is linked to their manager
            g.add_edges_from((m, int(e)) for e in np.flatnonzero(team == t) if e != m)
        self.network = g
        adj = nx.to_scipy_sparse_array(g, nodelist=range(team.size), format="csr")
        self.net_indptr, self.net_indices = adj.indptr.astype(np.int64), adj.indices.astype(np.int64)

    def _build_partners(self):
        org, rng = self.org, self.rng
        kinds = np.array(["rnd", "production"])
        own = {"rnd": self.space.mask("product"), "production": self.space.mask("product", "supply")}
        self.units = _table(beliefs=np.zeros((2, self.K), dtype=np.int8), kind=kinds)
        self.unit_index = {"rnd": 0, "production": 1}
        staff_unit = np.repeat([0, 1], [int(org.rnd_staff), int(org.production_staff)])
        known = np.stack([0.2 + 0.6 * own[kinds[u]] for u in staff_unit]) if staff_unit.size else 0.0
        self.unit_staff = _table(
            beliefs=informed_beliefs(staff_unit.size, self.reality, known, org.initial_accuracy, rng),
            unit=staff_unit)
        self._own_items = np.stack([own[k] for k in kinds])
        n_sup = int(org.suppliers)
        self.suppliers = _table(
            beliefs=informed_beliefs(n_sup, self.reality, 0.8 * self.space.mask("supply"), 0.9, rng),
            relationship=np.full(n_sup, 0.3))
        q_kind = np.array(["university"] * int(org.universities) + ["consultancy"] * int(org.consultancies))
        expert = self.space.mask("product", "process")
        self.sources = _table(
            beliefs=informed_beliefs(q_kind.size, self.reality, 0.7 * expert, 0.9, rng),
            kind=q_kind, relationship=np.zeros(q_kind.size))
        self.unit_agents = list(OrgUnit.create_agents(self, 2, row=[0, 1]))
        self.supplier_agents = list(Supplier.create_agents(self, n_sup, row=list(range(n_sup))))
        self.source_agents = list(KnowledgeSource.create_agents(self, q_kind.size, row=list(range(q_kind.size))))

    def _build_stores(self):
        """What the firm has written down before the run: for a share ``initial_codification`` of
        the items, each store holds the majority view of its people (0: every store starts empty)."""
        share, rng, E = self.org.initial_codification, self.rng, self.employees

        writable = 1.0 - self.space.tacitness  # tacit know-how is hard to have written down

        def seed(store, people, items=None):
            chosen = (rng.random(self.K) < share * writable).astype(float)
            if items is not None:
                chosen *= items
            code_learning(store, people, chosen, rng)

        chosen = (rng.random(self.teams.beliefs.shape) < share * writable).astype(float)
        code_learning(self.teams.beliefs, E.beliefs, chosen, rng, group=E.team)
        seed(self.kb, E.beliefs)
        seed(self.crm_db, E.beliefs[self.front_line], self.space.mask("customer"))
        for u in range(self.units.beliefs.shape[0]):
            seed(self.units.beliefs[u], self.unit_staff.beliefs[self.unit_staff.unit == u])

    def _build_customers(self):
        mkt = self.mkt
        n0, cap = int(mkt.initial_customers), int(mkt.initial_customers) + int(mkt.market_potential)
        self.initial_customers = n0
        self.customers = _table(
            beliefs=np.zeros((cap, self.K), dtype=np.int8),
            aware=np.zeros((cap, self.space.items("customer").size), dtype=bool),
            segment=np.zeros(cap, dtype=np.int16), team=np.zeros(cap, dtype=np.int16),
            satisfaction=np.zeros(cap), expectation=np.zeros(cap), relationship=np.zeros(cap),
            products=np.zeros(cap, dtype=np.int16), premium=np.zeros(cap),
            acquired=np.zeros(cap, dtype=np.int32), churned=np.full(cap, -1, dtype=np.int32),
            status=np.zeros(cap, dtype=np.int8),
        )
        self.n_customers = 0
        self.acquired_total = 0
        self.churned_total = 0
        self.customer_agents: list[Customer] = []
        extra = self.rng.poisson(max(0.0, mkt.initial_products - 1.0), n0)
        self._add_customers(n0, products=np.minimum(1 + extra, mkt.products), relationship=0.3, initial=True)

    def _add_customers(self, n: int, products=1, relationship=0.1, initial=False, rng=None):
        if n <= 0:
            return np.empty(0, dtype=np.int64)
        C, rng, mkt = self.customers, rng or self.rng, self.mkt
        rows = np.arange(self.n_customers, self.n_customers + n)
        C.segment[rows] = rng.integers(mkt.segments, size=n)
        C.team[rows] = rng.integers(self.teams.beliefs.shape[0], size=n)
        C.satisfaction[rows] = mkt.initial_satisfaction
        C.expectation[rows] = mkt.initial_expectation
        C.relationship[rows] = relationship
        C.products[rows] = products
        C.acquired[rows] = self.steps
        C.status[rows] = ACTIVE
        C.aware[rows] = rng.random((n, C.aware.shape[1])) < AWARENESS
        self.n_customers += n
        if not initial:
            self.acquired_total += n
        self.customer_agents.extend(Customer.create_agents(self, n, row=rows.tolist()))
        return rows

    # --- one step ---------------------------------------------------------------------------------

    def step(self):
        """One week, in the order of DESIGN.md "One step"."""
        self._reset_period()
        self.environment()
        self.workforce()
        self.serve_customers()
        self.customer_decisions()
        self.growth()
        self.transfer_knowledge()
        self._measure()
        self.datacollector.collect(self)

    def _reset_period(self):
        self._flows = {c: 0 for c in CHANNEL_NAMES}
        self._money = {k: 0.0 for k in self._money}
        self._period = {k: 0 for k in self._period}
        self._period["quality_sum"] = 0.0

    def environment(self):
        """Reality drifts (turbulence); competitors' pull follows a bounded random walk."""
        rng = self.streams["environment"]
        drift(self.reality, self.space.drift, rng)
        self.competition = float(np.clip(
            self.competition + rng.normal(0.0, self.env.competition_volatility), 0.0, 1.0))

    def workforce(self):
        """Turnover: leavers take their tacit knowledge; newcomers start nearly naive."""
        E, org, rng = self.employees, self.org, self.streams["workforce"]
        E.tenure += 1
        annual = org.employee_turnover * (1.0 - RETENTION_PROGRAMME_EFFECT * self.policy.retention_programme)
        leavers = np.flatnonzero(rng.random(E.tenure.size) < market.weekly(annual))
        if leavers.size:
            E.beliefs[leavers] = informed_beliefs(leavers.size, self.reality, org.newcomer_knowledge,
                                                  org.initial_accuracy, rng)
            E.tenure[leavers] = 0
            E.absorb[leavers] = self._traits(org.absorptive_capacity, leavers.size, rng)
            E.share[leavers] = self._traits(org.willingness_to_share, leavers.size, rng)
            for row in leavers:
                self.employee_agents[row].remove()
                self.employee_agents[row] = Employee(self, row)
        self._period["employees_left"] = int(leavers.size)
        np.add.at(self.team_acc["leavers"], E.team[leavers], 1)
        self._money["knowledge_cost"] += RETENTION_PROGRAMME_COST * self.policy.retention_programme * E.tenure.size
        forgetting = self.streams["forgetting"]
        forget(E.beliefs, self.kn.forgetting, forgetting)
        forget(self.unit_staff.beliefs, self.kn.forgetting, forgetting)

    # --- service encounters -------------------------------------------------------------------

    def _stores(self) -> np.ndarray:
        """Explicit knowledge a team can look up: its repository, then the CRM database, then the KB."""
        return lookup(self.teams.beliefs, lookup(self.crm_db, self.kb)[None, :])

    def _servers(self, customers: np.ndarray) -> np.ndarray:
        """The front-line employee who serves each contact.

        A random member of the account team; at maturity 3 the best-informed member serves the
        customers at risk (dissatisfied) or of highest value (relationship management by value).
        """
        C, rng = self.customers, self.streams["encounters"]
        team = C.team[customers].astype(np.int64)
        pick = (rng.random(customers.size) * self._front_count[team]).astype(np.int64)
        servers = self.front_line[self._front_offset[team] + pick]
        if self.maturity >= 3 and customers.size:
            value = C.products[customers] * (1.0 + C.premium[customers])
            priority = (C.satisfaction[customers] < 0) | (value > np.quantile(value, 0.8))
            cust = self.space.items("customer")
            know = proportion_correct(self.employees.beliefs[self.front_line][:, cust], self.reality[cust])
            best = np.zeros(self._front_count.size, dtype=np.int64)
            for t in range(best.size):
                members = slice(self._front_offset[t], self._front_offset[t] + self._front_count[t])
                best[t] = self.front_line[members][np.argmax(know[members])]
            servers = np.where(priority, best[team], servers)
        return servers

    def serve_customers(self):
        """Encounters: the front line answers; knowledge flows both ways; satisfaction follows."""
        C, E, rng, mkt = self.customers, self.employees, self.streams["encounters"], self.mkt
        active = np.flatnonzero(C.status[: self.n_customers] == ACTIVE)
        # one draw per customer slot, from a stream of its own: the same customer is contacted in
        # the same weeks in every scenario run on the same seed (while it is active in both)
        u = self.streams["contacts"].random(C.status.size)
        contacts = active[u[active] < mkt.contact_rate]
        self._contacts = contacts
        if contacts.size == 0:
            return
        servers = self._servers(contacts)
        team = C.team[contacts]
        answers = market.answer(E.beliefs[servers], self._stores()[team], market.LOOKUP_QUALITY[self.maturity], rng)
        service = market.service_quality(answers, self.reality, self.need_w, C.segment[contacts])
        quality = market.perceived_quality(service, self.product_fit[C.segment[contacts]])
        self._customer_voice(contacts, servers)
        self._customer_education(contacts, servers)
        self._crm_records(servers)

        gap = quality - C.expectation[contacts]
        competitor = mkt.initial_expectation + 0.5 * (self.competition - self.env.competition)
        C.satisfaction[contacts], C.expectation[contacts] = market.servqual(
            C.satisfaction[contacts], C.expectation[contacts], quality, competitor,
            mkt.satisfaction_adaptation, mkt.expectation_adaptation)
        C.relationship[contacts] = market.relationship_update(
            C.relationship[contacts], gap, mkt.relationship_gain, mkt.relationship_decay)

        p_sale = market.sale_probability(mkt.upsell_rate, service, market.INFORMED_SELLING[self.maturity],
                                         C.satisfaction[contacts])
        sold = contacts[rng.random(contacts.size) < p_sale]
        cross = sold[C.products[sold] < mkt.products]
        up = sold[C.products[sold] >= mkt.products]
        C.products[cross] += 1
        C.premium[up] = np.minimum(1.0, C.premium[up] + 0.1)

        n_teams = self.team_acc["encounters"].size
        self.team_acc["encounters"] += np.bincount(team, minlength=n_teams)
        self.team_acc["quality_sum"] += np.bincount(team, weights=quality, minlength=n_teams)
        self._period.update(encounters=int(contacts.size), upsells=int(up.size), cross_sells=int(cross.size),
                            quality_sum=float(quality.sum()))
        self._money["service_cost"] += mkt.service_cost * contacts.size
        self._money["knowledge_cost"] += CO_CREATION_COST * self.policy.co_creation * contacts.size

    def _customer_voice(self, contacts, servers):
        """Customer -> front line (tacit): what customers articulate of their needs.

        An employee serving several customers learns an item if any of them teaches it:
        ``1 - prod(1 - p_i)`` over its encounters. More with strong relationships, with active
        partners and co-creation, and with the firm's relational capital (Xie 2.(4)).
        """
        C, E = self.customers, self.employees
        cust = self.space.span("customer")
        rate, cost = self._channel("customer_voice")
        role = market.ROLE_SHARING[self.customer_role] * (1.0 + self.policy.co_creation)
        p_i = rate * role * (0.5 + C.relationship[contacts]) * (1.0 + self.stats["relational_capital"])
        order = np.argsort(servers, kind="stable")
        s_sorted = servers[order]
        starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
        log_miss = C.aware[contacts[order]] * np.log1p(-np.minimum(p_i[order], 0.999999))[:, None]
        miss = np.exp(np.add.reduceat(log_miss, starts, axis=0))
        who = s_sorted[starts]
        B = E.beliefs[who, cust]
        self._flows["customer_voice"] += socialization(B, self.reality[cust], (1.0 - miss) * E.absorb[who, None],
                                                       self.streams["customer_voice"])
        E.beliefs[who, cust] = B
        self._money["knowledge_cost"] += cost * contacts.size

    def _customer_education(self, contacts, servers):
        """Front line -> customer (tacit): product competence."""
        C, E = self.customers, self.employees
        rate, cost = self._channel("customer_education")
        prod = self.space.span("product")
        B = C.beliefs[contacts, prod]
        self._flows["customer_education"] += socialization(B, E.beliefs[servers, prod], rate * E.share[servers, None],
                                                           self.streams["customer_education"])
        C.beliefs[contacts, prod] = B
        self._money["knowledge_cost"] += cost * contacts.size

    def _crm_records(self, servers):
        """Front line -> CRM database (explicit): encounters recorded by majority of what staff know."""
        rate, cost = self._channel("crm_records")
        staff = np.flatnonzero(np.bincount(servers, minlength=self.employees.tenure.size))
        votes = self.employees.beliefs[staff] * self.space.mask("customer")
        self._flows["crm_records"] += code_learning(self.crm_db, votes, rate * (1.0 - self.space.tacitness),
                                                    self.streams["crm_records"])
        self._money["knowledge_cost"] += cost * servers.size

    # --- customers: churn; growth: Bass acquisition -------------------------------------------

    def customer_decisions(self):
        """Churn: base hazard plus dissatisfaction, lowered by relationships and loyalty schemes."""
        C, mkt = self.customers, self.mkt
        active = np.flatnonzero(C.status[: self.n_customers] == ACTIVE)
        loyalty = self.policy.loyalty_scheme * (1.5 if self.customer_role == "captive" else 1.0)
        h = market.churn_hazard(C.satisfaction[active], C.relationship[active], mkt.base_churn,
                                mkt.dissatisfaction_churn, mkt.relationship_protection,
                                min(1.0, loyalty), self.competition)
        u = self.streams["customers"].random(C.status.size)  # one per customer slot, as for contacts
        gone = active[u[active] < h]
        n_teams = self.team_acc["exposure"].size
        self.team_acc["exposure"] += np.bincount(C.team[active], minlength=n_teams)
        self.team_acc["churned"] += np.bincount(C.team[gone], minlength=n_teams)
        C.status[gone] = CHURNED
        C.churned[gone] = self.steps
        self.churned_total += gone.size
        self._period["churned"] = int(gone.size)
        self._churn_window.append((int(gone.size), int(active.size)))
        del self._churn_window[:-RETENTION_WINDOW]
        if gone.size:
            self.events["churns"].append(np.column_stack([
                np.full(gone.size, self.steps), gone, C.segment[gone], C.team[gone],
                self.steps - C.acquired[gone], C.products[gone]]))
        self._money["knowledge_cost"] += LOYALTY_COST * self.policy.loyalty_scheme * (active.size - gone.size)

    def growth(self):
        """Bass acquisition from the finite market potential; referrers are satisfied customers."""
        C, mkt = self.customers, self.mkt
        active = C.status[: self.n_customers] == ACTIVE
        referrers = int((active & (C.satisfaction[: self.n_customers] >= mkt.referral_min_satisfaction)).sum())
        prospects = int(mkt.market_potential) - self.acquired_total
        new = market.bass_adoptions(prospects, mkt.p_innovation, mkt.q_imitation, referrers,
                                    int(mkt.market_potential), self.streams["growth"])
        rows = self._add_customers(new, rng=self.streams["growth"])
        if new:
            self.events["acquisitions"].append(np.column_stack([
                np.full(new, self.steps), rows, C.segment[rows], C.team[rows]]))
        self._period["acquired"] = new
        self._referrers = referrers
        self._money["acquisition_cost"] += mkt.acquisition_cost * new
        active = C.status[: self.n_customers] == ACTIVE
        rows = np.flatnonzero(active)
        spend = C.products[rows] * (1.0 + C.premium[rows]) * mkt.price
        revenue = float(spend.sum())
        self._money["revenue"] = revenue
        self._money["gross_margin"] = revenue * mkt.margin
        self.team_acc["revenue"] += np.bincount(C.team[rows], weights=spend, minlength=self.team_acc["revenue"].size)
        cohort = rows < self.initial_customers
        served = self._contacts[self._contacts < self.initial_customers].size
        self._cohort_margin = float(spend[cohort].sum() * mkt.margin - served * mkt.service_cost)

    # --- transfer channels --------------------------------------------------------------------

    def transfer_knowledge(self):
        """Xie 3.1-3.3: every channel with a function, in registry order; then learning by doing."""
        for ch in CHANNELS:
            if ch.run is None:
                continue
            rate, cost = self._channel(ch.name)
            effort = 1.0 if ch.lever is None else float(getattr(self.policy, ch.lever))
            if rate <= 0.0 or effort <= 0.0:
                continue
            moved, activities = ch.run(self, rate, effort, self.streams[ch.name])
            self._flows[ch.name] += int(moved)
            self._money["knowledge_cost"] += cost * activities
        self._learning_by_doing()

    def _learning_by_doing(self):
        """Where knowledge comes from: people learn their own domain from reality by working.

        Front-line staff learn service know-how (process items); R&D and production staff their
        product/supply items; suppliers supply items; universities and consultancies theirs. Units
        document what their staff agree on. Not a transfer channel: nothing moves between holders.
        """
        rng, space = self.streams["learning"], self.space
        E, st = self.employees, self.unit_staff
        socialization(E.beliefs, self.reality * space.mask("process"), EXPERIENCE * E.absorb[:, None], rng)
        socialization(st.beliefs, self.reality[None, :] * self._own_items[st.unit], EXPERIENCE, rng)
        socialization(self.suppliers.beliefs, self.reality * space.mask("supply"), EXPERIENCE, rng)
        socialization(self.sources.beliefs, self.reality * space.mask("product", "process"), EXPERIENCE, rng)
        code_learning(self.units.beliefs, st.beliefs, 0.1 * (1.0 - space.tacitness), rng, group=st.unit)
        S = self.suppliers
        S.relationship *= 0.995

    def team_state(self) -> dict[str, np.ndarray]:
        """Current per-team state for the team scorecards (one entry per team)."""
        C, E = self.customers, self.employees
        n_teams = self.teams.beliefs.shape[0]
        n = self.n_customers
        rows = np.flatnonzero(C.status[:n] == ACTIVE)
        count = np.bincount(C.team[rows], minlength=n_teams)
        with np.errstate(divide="ignore", invalid="ignore"):
            sat = np.bincount(C.team[rows], weights=C.satisfaction[rows], minlength=n_teams) / count
            prods = np.bincount(C.team[rows], weights=C.products[rows], minlength=n_teams) / count
        wrong = self._gap(E.beliefs, self._stores()[E.team])
        front = np.zeros(E.team.size, dtype=bool)
        front[self.front_line] = True
        know = proportion_correct(E.beliefs, self.reality)
        gap = np.array([wrong[front & (E.team == t)].mean() for t in range(n_teams)])
        return {
            "satisfaction_mean": sat, "products_per_customer": prods, "knowledge_gap": gap,
            "knowledge_individual": np.bincount(E.team, weights=know, minlength=n_teams)
            / np.bincount(E.team, minlength=n_teams),
            "knowledge_team": proportion_correct(self.teams.beliefs, self.reality),
        }

    # --- measures -----------------------------------------------------------------------------

    def _product_fit(self) -> np.ndarray:
        """Per segment: what R&D/production know of the segment's needs and of supply items."""
        docs = lookup(self.units.beliefs[0], self.units.beliefs[1])
        right = docs == self.reality
        cust, sup = self.space.items("customer"), self.space.items("supply")
        w = self.need_w[:, cust]
        needs_fit = (w * right[cust]).sum(axis=1) / w.sum(axis=1)
        supply_fit = right[sup].mean() if sup.size else 1.0
        return 0.5 * needs_fit + 0.5 * supply_fit

    def _gap(self, tacit: np.ndarray, stores: np.ndarray) -> np.ndarray:
        """Per person: expected share of customer items answered wrong in an encounter.

        Right from its own belief, else from the stores with the maturity's lookup quality --
        the knowledge gap of Xie's conclusion. An expectation, so it draws no random numbers.
        """
        cust = self.space.span("customer")
        truth = self.reality[cust]
        own = tacit[:, cust]
        right = (own == truth) + (own == 0) * market.LOOKUP_QUALITY[self.maturity] * (stores[:, cust] == truth)
        return 1.0 - right.mean(axis=1)

    def _codification(self, tacit: np.ndarray, stores: np.ndarray) -> float:
        """Share of what the front line knows right that its stores also hold right (written down)."""
        known = tacit == self.reality
        n = int(known.sum())
        return float((known & (stores == self.reality)).sum() / n) if n else 0.0

    def _measure(self):
        """Everything the step table reports, computed once per step (reporters only read it)."""
        C, E = self.customers, self.employees
        self.product_fit = self._product_fit()
        n = self.n_customers
        active = C.status[:n] == ACTIVE
        n_active = int(active.sum())
        value = C.products[:n][active] * (1.0 + C.premium[:n][active])
        rel = C.relationship[:n][active]
        rc_customers = float((value * rel).sum() / value.sum()) if n_active else 0.0
        rc_suppliers = float(self.suppliers.relationship.mean()) if self.suppliers.relationship.size else 0.0
        parts = [(0.8, rc_customers)] * bool(n_active) + [(0.2, rc_suppliers)] * bool(self.suppliers.relationship.size)
        rc = sum(w * v for w, v in parts) / sum(w for w, _ in parts) if parts else 0.0

        front = E.beliefs[self.front_line]
        stores = self._stores()[E.team[self.front_line]]
        gap = float(self._gap(front, stores).mean())  # the scenario has at least one customer item
        churned, exposed = (sum(x) for x in zip(*self._churn_window)) if self._churn_window else (0, 0)
        retention = market.annualized(1.0 - churned / exposed) if exposed else 1.0
        m = self._money
        cost = m["knowledge_cost"] + m["acquisition_cost"] + m["service_cost"]
        enc = self._period["encounters"]
        stats = dict(
            step=self.steps, active_customers=n_active, acquired_total=self.acquired_total,
            churned_total=self.churned_total, retention_rate=retention,
            satisfaction_mean=float(C.satisfaction[:n][active].mean()) if n_active else float("nan"),
            relational_capital=rc, revenue=m["revenue"], cost=cost, profit=m["gross_margin"] - cost,
            service_quality=self._period["quality_sum"] / enc if enc else float("nan"),
            knowledge_gap=gap,
            knowledge_individual=float(proportion_correct(E.beliefs, self.reality).mean()),
            knowledge_team=float(proportion_correct(self.teams.beliefs, self.reality).mean()),
            knowledge_org=float(proportion_correct(self.kb, self.reality)),
            employees=int(E.tenure.size),
            acquired=self._period["acquired"], churned=self._period["churned"], encounters=enc,
            referrers=self._referrers,
            products_per_customer=float(C.products[:n][active].mean()) if n_active else 0.0,
            upsells=self._period["upsells"], cross_sells=self._period["cross_sells"],
            gross_margin=m["gross_margin"], knowledge_cost=m["knowledge_cost"],
            acquisition_cost=m["acquisition_cost"], service_cost=m["service_cost"],
            product_fit=float(self.product_fit.mean()),
            codification=self._codification(front, stores),
            knowledge_score_individual=float(raw_score(E.beliefs, self.reality).mean() / self.K),
            knowledge_score_org=float(score(self.kb, self.reality)),
            employees_left=self._period["employees_left"], competition=self.competition,
            customer_relational_capital=rc_customers, supplier_relational_capital=rc_suppliers,
            cohort_margin=self._cohort_margin,
        )
        stats.update({f"transfers_{c}": int(v) for c, v in self._flows.items()})
        self.stats = stats
