"""CRMKnowledgeModel: a plain Mesa 3 model of knowledge transfer in CRM (Xie, seed 002).

The model only composes. State lives in arrays owned by the model, one row per agent
(``model.employees.beliefs[row]``), built by :mod:`sim.engine.build`; the Mesa agents in
:mod:`sim.agents` are views on their rows. One step is a week: open the week's ledger, run every
process of :data:`sim.engine.schedule.SCHEDULE` in order (environment, workforce, forgetting,
encounters, churn, growth, revenue, transfer channels, learning by doing), measure, collect.
"""

from __future__ import annotations

import zlib

import mesa
import numpy as np

from sim.agents import CustomerStatus
from sim.config.loader import load_scenario
from sim.config.scenario import Scenario
from sim.engine.build import build
from sim.engine.channels import CHANNEL_NAMES
from sim.engine.ledger import Ledger
from sim.engine.measures import STEP_COLUMNS, measure, team_state
from sim.engine.schedule import SCHEDULE, STREAMS


class CRMKnowledgeModel(mesa.Model):
    """Employees, teams, R&D/production, customers, suppliers and outside sources exchange knowledge.

    Args:
        scenario: a ``Scenario``, a scenario name or path (default ``"baseline"``).
        rng: seed or ``numpy.random.Generator``; all randomness flows from it.
        params: optional dotted overrides, e.g. ``{"market.base_churn": 0.01}`` (validated).
    """

    def __init__(self, scenario=None, rng=None, params: dict | None = None, seed=None):
        super().__init__(rng=rng if seed is None else seed)
        # One generator per process and channel, seeded from the model's generator, the stream's name
        # and the week: a policy that changes how many numbers one process draws shifts neither the
        # other streams nor the same stream's next week, so scenarios compared on the same seed share
        # their random numbers week by week (common random numbers).
        self._entropy = int(self.rng.integers(2**63))
        self._stream_keys = {name: zlib.crc32(name.encode()) for name in STREAMS}
        self._week_index = 0
        self.renew_streams()
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario or "baseline")
        self.scenario = sc.with_params(params) if params else sc
        self.maturity = int(self.scenario.get("policy.crm_maturity"))
        self.customer_role = self.scenario.get("policy.customer_role")
        self.enabled_channels = frozenset(self.scenario.get("channels.enabled"))
        self.channel_params = {
            c: (float(self.scenario.get(f"channels.{c}.rate")), float(self.scenario.get(f"channels.{c}.cost")))
            for c in CHANNEL_NAMES
        }

        build(self)
        self.ledger = Ledger(CHANNEL_NAMES, self.teams.beliefs.shape[0])
        self.schedule = [process(self) for process in SCHEDULE]
        self.stats = measure(self)
        self.warm_up(int(self.scenario.get("scenario.warmup")))
        self.datacollector = mesa.DataCollector(model_reporters={c: (lambda m, c=c: m.stats[c]) for c in STEP_COLUMNS})
        self.datacollector.collect(self)

    def warm_up(self, weeks: int) -> None:
        """Run ``weeks`` weeks before measurement begins, then start measuring (step 0).

        The firm and its market settle first (DESIGN.md: KPIs exclude the start-up): the step table,
        the ledger, the events and the measured cohort (the customers active at step 0, whose realized
        lifetime value is tracked) start here. The cumulative counts ``acquired_total`` and
        ``churned_total`` run from the model's start, so ``active_customers == initial customers +
        acquired_total - churned_total`` holds at every step.
        """
        for week in range(-weeks + 1, 1):
            self.steps = week
            self.week()
        self.steps = 0
        active = self.customers.status[: self.n_customers] == int(CustomerStatus.ACTIVE)
        self.cohort[:] = False
        self.cohort[: self.n_customers] = active
        self.ledger = Ledger(CHANNEL_NAMES, self.teams.beliefs.shape[0])
        self.stats = measure(self)

    def renew_streams(self) -> None:
        """This week's generator of every stream: Philox, a counter-based generator, keyed by the seed,
        its counter starting at (week, stream) -- so the streams never overlap and a stream's numbers
        in week w do not depend on how many it drew before."""
        week, key = self._week_index, self._entropy
        self.streams = {
            name: np.random.Generator(np.random.Philox(counter=[0, 0, week, stream], key=key))
            for name, stream in self._stream_keys.items()
        }

    def week(self) -> None:
        """One week's work: the ledger's new page, every process in schedule order, the measures."""
        self._week_index += 1
        self.renew_streams()
        self.ledger.start_week()
        for process in self.schedule:
            process.step()
        self.stats = measure(self)

    def step(self):
        """One measured week, then data collection."""
        self.week()
        self.datacollector.collect(self)

    @property
    def network(self):
        """The employees' social network as a networkx graph (made from the CSR arrays on first use)."""
        if getattr(self, "_network", None) is None:
            import networkx as nx
            import scipy.sparse as sparse

            n = self.net_indptr.size - 1
            adj = sparse.csr_array((np.ones(self.net_indices.size), self.net_indices, self.net_indptr), shape=(n, n))
            self._network = nx.from_scipy_sparse_array(adj)
        return self._network

    @property
    def events(self) -> dict[str, list[np.ndarray]]:
        """Churn and acquisition events recorded so far (see ``sim.engine.ledger.EVENTS``)."""
        return self.ledger.events

    @property
    def team_acc(self) -> dict[str, np.ndarray]:
        """Per-team totals over the run (for the team scorecards)."""
        return self.ledger.teams

    def team_state(self) -> dict[str, np.ndarray]:
        """Current per-team state for the team scorecards (one entry per team)."""
        return team_state(self)
