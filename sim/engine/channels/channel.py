"""What a knowledge-transfer channel is, and the one way every channel is run and accounted for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.config.params import Contrast, Expect, Param, par, share
from sim.engine.levers import Lever

INTERNAL = "3.1 inside the CRM unit"
CROSS_LEVEL = "3.2 with other parts of the firm"
EXTERNAL = "3.3 with the outside"
SECI_MODES: tuple[str, ...] = ("socialization", "externalization", "combination", "internalization")


@dataclass(frozen=True)
class Channel:
    """A named way knowledge moves (Xie, seed 002), by one SECI mode.

    ``run(model, rate, effort, rng, **context) -> (beliefs changed, activities)``; the model
    charges ``activities x channels.<name>.cost`` and reports the changes as ``transfers_<name>``.
    ``lever`` sets ``effort`` (how often the channel is used; None: always on). Encounter channels
    (``phase="encounter"``) run inside service encounters with the week's ``contacts`` and
    ``servers``; the others run in the weekly transfer process, in registry order.
    """

    name: str
    group: str
    mechanism: str
    seci: str
    description: str
    run: Callable
    rate: float  # default rate: per differing item per contact (per net vote for majority rules)
    cost: float  # default cost per activity
    lever: Lever | None = None
    phase: str = "transfer"
    reads: tuple[str, ...] = ()  # other scenario keys its function reads
    extra: tuple[Param, ...] = ()  # parameters it owns beside its rate and cost
    ablation: tuple[Expect, ...] = ()  # what switching it off should do (``python run.py patterns``)
    home: str = "baseline"  # a shipped scenario that uses it, where its ablation is tested
    contrasts: tuple[Contrast, ...] = ()  # what theory expects of its other parameters

    @property
    def streams(self) -> tuple[str, ...]:
        return (self.name,)

    @property
    def title(self) -> str:
        """The name as words, for pictures and tables: 'Working together', 'CRM records'."""
        words = self.name.replace("_", " ").replace("crm", "CRM")
        return words[0].upper() + words[1:]

    @property
    def label(self) -> str:
        """The title and what the channel connects: 'Customer voice: customer → front line'."""
        return f"{self.title}: {self.mechanism.replace('<->', '↔').replace('->', '→')}"

    @cached_property
    def params(self) -> tuple[Param, ...]:
        where = f"{self.mechanism}, {self.description} (Xie {self.group.split()[0]}; {self.seci})"
        return (
            share(
                f"channels.{self.name}.rate",
                self.rate,
                f"Rate: per differing item per contact (per net vote for majority-rule channels): {where}",
            ),
            par(
                f"channels.{self.name}.cost",
                float(self.cost),
                f"Cost per contact or activity of channel {self.name}",
                0,
            ),
            *self.extra,
        )

    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.params) + ((self.lever.key,) if self.lever else ()) + self.reads


def chosen(rng: np.random.Generator, n: int, prob: float) -> np.ndarray:
    """Indices of the ``n`` candidates that take part this step, each with ``prob``."""
    return np.flatnonzero(rng.random(n) < prob)


def run_channel(model, channel: Channel, **context) -> None:
    """Run one channel if the scenario enables it and its rate and effort are positive; count what
    it moved and charge its activities. The one entry point for every channel."""
    if channel.name not in model.enabled_channels:
        return
    rate, cost = model.channel_params[channel.name]
    effort = 1.0 if channel.lever is None else float(model.scenario.get(channel.lever.key))
    if rate <= 0.0 or effort <= 0.0:
        return
    moved, activities = channel.run(model, rate, effort, model.streams[channel.name], **context)
    model.ledger.flow(channel.name, moved)
    model.ledger.charge("knowledge_cost", cost * activities)
