"""The building block of the engine: a component that declares what it reads, draws and costs.

Every part of a step -- a ``Process`` of the schedule, a transfer channel, the set-up -- declares
its name, the random streams it draws from, the scenario parameters it owns (with defaults and
sources), the ones owned by others that it reads, its named constants and the ledger columns it
charges. The scenario schema, the printed schedule and docs/ODD.md's tables are made from these
declarations, and a process can only read the parameters it declared (``self.p``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sim.config.params import Constant, Contrast, Levels, Param


class Pars(dict):
    """The scenario values a component declared (dotted key -> value); any other key is refused,
    so the declarations cannot drift from the code."""

    def __init__(self, owner: str, scenario, keys):
        super().__init__((k, scenario.get(k)) for k in keys)
        self.owner = owner

    def __missing__(self, key):
        raise KeyError(f"{self.owner} reads {key!r} without declaring it (add it to its params or reads)")


class Component:
    """Declarations shared by processes, channels and the set-up (see the module docstring)."""

    name: ClassVar[str] = ""
    streams: ClassVar[tuple[str, ...]] = ()
    params: ClassVar[tuple[Param, ...]] = ()
    reads: ClassVar[tuple[str, ...]] = ()
    costs: ClassVar[tuple[str, ...]] = ()
    contrasts: ClassVar[tuple[Contrast, ...]] = ()  # what theory expects of its parameters (`patterns`)

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """Every scenario key it uses: its own parameters, then what it reads."""
        return tuple(p.key for p in cls.params) + tuple(cls.reads)

    @classmethod
    def constants(cls) -> dict[str, Constant | Levels]:
        """Its named constants (class attributes of type Constant or Levels), by name."""
        out: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            out.update({k: v for k, v in vars(klass).items() if isinstance(v, (Constant, Levels))})
        return out

    @classmethod
    def describe(cls) -> str:
        """The first paragraph of its docstring, on one line."""
        return " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())


class Process(Component):
    """One process of the weekly schedule, bound to a model: ``step()`` does the week's work.

    ``self.p[key]`` reads a declared parameter, ``self.rng`` is its first random stream,
    ``self.model.ledger`` takes its costs and counts.
    """

    def __init__(self, model):
        self.model = model
        self.p = Pars(self.name, model.scenario, self.keys())

    @property
    def rng(self):
        """Its first random stream, this week's (the model renews every stream each week)."""
        return self.model.streams[self.streams[0]] if self.streams else None

    def step(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<process {self.name}>"
