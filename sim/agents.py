"""The agents of Xie's CRM knowledge-transfer model, as Mesa 3 agents.

Each agent is a real ``mesa.Agent`` (students read it, ``AgentSet`` queries and the app use it),
but its numeric state is one row of arrays owned by the model (``model.employees.beliefs[row]``
and so on): every process of a step is a function over whole arrays, so there is no per-agent
``step()`` on the hot path. The properties below read and write the agent's row.
"""

from __future__ import annotations

import itertools
import weakref
from enum import Enum, IntEnum

import mesa
import numpy as np

from sim.engine.knowledge import proportion_correct


class Level(IntEnum):
    FRONT_LINE = 0
    MANAGER = 1


class CustomerStatus(IntEnum):
    PROSPECT = 0
    ACTIVE = 1
    CHURNED = 2


class CustomerRole(Enum):
    """Seed 004: the customer as passive recipient (KM), captive (CRM) or knowledge partner (CKM)."""

    PASSIVE = "passive"
    CAPTIVE = "captive"
    ACTIVE = "active"


def _row(table: str, column: str, doc: str, cast=None):
    """A property that reads/writes ``model.<table>.<column>[self.row]``."""

    def fget(self):
        value = getattr(getattr(self.model, table), column)[self.row]
        return cast(value) if cast is not None else value

    def fset(self, value):
        getattr(getattr(self.model, table), column)[self.row] = value

    return property(fget, fset, doc=doc)


class _IdCounters:
    """Per-model counters of ``unique_id`` that do not keep a finished model alive.

    Mesa 3.3 keeps them in a class-level dict keyed by the model (``Agent._ids``), so every model
    ever made stays in memory (DESIGN.md traps); weak keys let a model go when nothing else uses it.
    """

    def __init__(self):
        self._counters = weakref.WeakKeyDictionary()

    def __getitem__(self, model) -> itertools.count:
        counter = self._counters.get(model)
        if counter is None:
            counter = self._counters[model] = itertools.count(1)
        return counter

    def __len__(self) -> int:
        return len(self._counters)


class KnowledgeHolder(mesa.Agent):
    """Base class: an agent whose beliefs are a row of one of the model's belief matrices."""

    table: str = ""
    _ids = _IdCounters()  # shared by every agent type of the model: ids stay unique per model

    def __init__(self, model, row: int):
        super().__init__(model)
        self.row = int(row)

    @property
    def beliefs(self) -> np.ndarray:
        """This holder's beliefs over the K items (a view: writing into it changes the model)."""
        return getattr(self.model, self.table).beliefs[self.row]

    @property
    def knowledge(self) -> float:
        """Share of items this holder gets right."""
        return float(proportion_correct(self.beliefs, self.model.reality))


class Employee(KnowledgeHolder):
    """A member of the CRM unit: serves customers, learns, shares, may leave (tacit knowledge)."""

    table = "employees"
    team = _row("employees", "team", "index of the employee's team", int)
    level = _row("employees", "level", "front line or manager", Level)
    tenure = _row("employees", "tenure", "weeks with the firm", int)
    absorptive_capacity = _row("employees", "absorb", "how much of what is offered is learned", float)
    willingness_to_share = _row("employees", "share", "how much of what is known is taught", float)

    def __repr__(self) -> str:
        return f"Employee(id={self.unique_id}, team={self.team}, level={self.level.name}, knowledge={self.knowledge:.2f})"


class Team(KnowledgeHolder):
    """A department: its members, its repository (explicit beliefs) and its manager."""

    table = "teams"

    @property
    def members(self) -> list[Employee]:
        return [e for e in self.model.agents_by_type[Employee] if e.team == self.row]

    @property
    def manager(self) -> Employee | None:
        return next((e for e in self.members if e.level == Level.MANAGER), None)

    def __repr__(self) -> str:
        return f"Team(row={self.row}, repository knowledge={self.knowledge:.2f})"


class OrgUnit(KnowledgeHolder):
    """R&D or production (Xie 3.2): documentation (explicit) plus its staff's tacit beliefs."""

    table = "units"
    kind = _row("units", "kind", "'rnd' or 'production'", str)

    @property
    def staff_beliefs(self) -> np.ndarray:
        st = self.model.unit_staff
        return st.beliefs[st.unit == self.row]


class Customer(KnowledgeHolder):
    """The leaky bucket: served, satisfied or not, stays or leaves, refers, buys more."""

    table = "customers"
    segment = _row("customers", "segment", "market segment (which needs weigh most)", int)
    account_team = _row("customers", "team", "team that serves this customer", int)
    satisfaction = _row("customers", "satisfaction", "in [-1, 1], from the SERVQUAL gap", float)
    expectation = _row("customers", "expectation", "expected service quality in [0, 1]", float)
    relationship = _row("customers", "relationship", "relationship strength in [0, 1]", float)
    products = _row("customers", "products", "products held", int)
    acquired_step = _row("customers", "acquired", "step at which the customer was won", int)
    status = _row("customers", "status", "prospect, active or churned", CustomerStatus)

    @property
    def tenure(self) -> int:
        return int(self.model.steps - self.acquired_step)

    @property
    def role(self) -> CustomerRole:
        return CustomerRole(self.model.customer_role)

    @property
    def product_competence(self) -> float:
        """Share of product items the customer gets right (what the firm taught it)."""
        items = self.model.space.items("product")
        return float(proportion_correct(self.beliefs[items], self.model.reality[items]))

    def __repr__(self) -> str:
        return (f"Customer(id={self.unique_id}, segment={self.segment}, status={self.status.name}, "
                f"satisfaction={self.satisfaction:+.2f})")


class Supplier(KnowledgeHolder):
    """Knows supply items; two-way transfer with R&D/production (Xie 3.3.2)."""

    table = "suppliers"
    relationship = _row("suppliers", "relationship", "relationship strength in [0, 1]", float)


class KnowledgeSource(KnowledgeHolder):
    """A university or consultancy (Xie 3.3.3): know-how to buy or meet at conferences."""

    table = "sources"
    kind = _row("sources", "kind", "'university' or 'consultancy'", str)
    relationship = _row("sources", "relationship", "reciprocity built by giving back, in [0, 1]", float)
