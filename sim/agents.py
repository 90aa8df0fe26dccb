"""The agents of Xie's CRM knowledge-transfer model, as Mesa 3 agents.

Each agent is a real ``mesa.Agent`` (students read it, ``AgentSet`` queries and the app use it),
but its numeric state is one row of arrays owned by the model (``model.employees.beliefs[row]``
and so on): every process of a step is a function over whole arrays, so there is no per-agent
``step()`` on the hot path. Each class below *declares* its state (``State``): the model builds
its tables from these declarations, and the agent reads and writes its own row through them.
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


class State:
    """One column of an agent type's table: declared once, read and written through the agent.

    ``State(np.float64, "satisfaction in [-1, 1]")`` on class ``Customer`` is the column
    ``model.customers.satisfaction`` (one row per customer) and the property
    ``customer.satisfaction``; ``column=`` names the column when it differs from the attribute.
    """

    def __init__(self, dtype, doc: str, cast=None, column: str | None = None, fill=0):
        self.dtype, self.doc, self.cast, self.column, self.fill = np.dtype(dtype), doc, cast, column, fill
        self.__doc__ = doc

    def __set_name__(self, owner, name: str) -> None:
        self.name = name
        self.column = self.column or name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        value = getattr(agent.model, agent.table).__dict__[self.column][agent.row]
        return self.cast(value) if self.cast is not None else value

    def __set__(self, agent, value) -> None:
        getattr(agent.model, agent.table).__dict__[self.column][agent.row] = value


def state_columns(cls) -> list[State]:
    """The ``State`` declarations of an agent class, base classes first, in declaration order."""
    seen, out = set(), []
    for klass in reversed(cls.__mro__):
        for value in vars(klass).values():
            if isinstance(value, State) and value.column not in seen:
                seen.add(value.column)
                out.append(value)
    return out


class _IdCounters:
    """Per-model ``unique_id`` counters that do not keep a finished model alive.

    Mesa 3.3 keeps them in a class-level dict keyed by the model (``Agent._ids``), so every model
    ever made stays in memory (DESIGN.md traps); weak keys let a model go when nothing else uses it.
    ``take(model, n)`` hands out a block of ids at once, for agents created in bulk.
    """

    def __init__(self):
        self._next = weakref.WeakKeyDictionary()

    def take(self, model, n: int) -> range:
        start = self._next.get(model, 1)
        self._next[model] = start + n
        return range(start, start + n)

    def __getitem__(self, model):  # what mesa.Agent.__init__ calls: next(self._ids[model])
        return iter(self.take(model, 1))

    def __len__(self) -> int:
        return len(self._next)


class KnowledgeHolder(mesa.Agent):
    """Base class: an agent whose beliefs are a row of one of the model's belief matrices."""

    table: str = ""
    _ids = _IdCounters()  # shared by every agent type of the model: ids stay unique per model

    def __init__(self, model, row: int):
        super().__init__(model)
        self.row = int(row)

    @classmethod
    def create_views(cls, model, rows) -> list:
        """One agent per row, registered with the model in bulk (``n`` agents cost one ``Agent()``
        call's bookkeeping each, not ``n`` calls): the same objects ``cls(model, row)`` would make."""
        rows = np.asarray(rows, dtype=np.int64).tolist()  # plain ints, fast
        agents = list(map(cls.__new__, itertools.repeat(cls, len(rows))))
        states = [
            {"model": model, "unique_id": uid, "pos": None, "row": row}
            for uid, row in zip(cls._ids.take(model, len(rows)), rows)
        ]
        list(map(object.__setattr__, agents, itertools.repeat("__dict__"), states))
        model._agents.update(dict.fromkeys(agents))  # what Model.register_agent does, for all at once
        if cls not in model._agents_by_type:
            model._agents_by_type[cls] = mesa.agent.AgentSet([], random=model.random)
        for agent_set in (model._agents_by_type[cls], model._all_agents):
            weak = agent_set._agents  # a WeakKeyDictionary: fill its dict of weak references directly
            weak.data.update(dict.fromkeys(map(weakref.ref, agents, itertools.repeat(weak._remove))))
        return agents

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
    team = State(np.int64, "index of the employee's team", int)
    level = State(np.int8, "front line or manager", Level)
    tenure = State(np.int64, "weeks with the firm", int)
    absorptive_capacity = State(np.float64, "how much of what is offered is learned", float, column="absorb")
    willingness_to_share = State(np.float64, "how much of what is known is taught", float, column="share")

    def __repr__(self) -> str:
        return (
            f"Employee(id={self.unique_id}, team={self.team}, level={self.level.name}, knowledge={self.knowledge:.2f})"
        )


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
    kind = State("<U10", "'rnd' or 'production'", str)

    @property
    def staff_beliefs(self) -> np.ndarray:
        st = self.model.unit_staff
        return st.beliefs[st.unit == self.row]


class Customer(KnowledgeHolder):
    """The leaky bucket: served, satisfied or not, stays or leaves, refers, buys more."""

    table = "customers"
    segment = State(np.int16, "market segment (which needs weigh most)", int)
    account_team = State(np.int16, "team that serves this customer", int, column="team")
    satisfaction = State(np.float64, "in [-1, 1], from the SERVQUAL gap", float)
    expectation = State(np.float64, "expected service quality in [0, 1]", float)
    relationship = State(np.float64, "relationship strength in [0, 1]", float)
    products = State(np.int16, "products held", int)
    premium = State(np.float64, "up-sold share of premium on the products held, in [0, 1]", float)
    acquired_step = State(np.int32, "step at which the customer was won", int, column="acquired")
    churned_step = State(np.int32, "step at which the customer left (-1: has not)", int, column="churned", fill=-1)
    status = State(np.int8, "prospect, active or churned", CustomerStatus)

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
        return (
            f"Customer(id={self.unique_id}, segment={self.segment}, status={self.status.name}, "
            f"satisfaction={self.satisfaction:+.2f})"
        )


class Supplier(KnowledgeHolder):
    """Knows supply items; two-way transfer with R&D/production (Xie 3.3.2)."""

    table = "suppliers"
    relationship = State(np.float64, "relationship strength in [0, 1]", float)


class KnowledgeSource(KnowledgeHolder):
    """A university or consultancy (Xie 3.3.3): know-how to buy or meet at conferences."""

    table = "sources"
    kind = State("<U11", "'university' or 'consultancy'", str)
    relationship = State(np.float64, "reciprocity built by giving back, in [0, 1]", float)
