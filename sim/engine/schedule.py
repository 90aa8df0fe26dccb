"""The week's schedule: the processes in the order they run (DESIGN.md "One step").

``SCHEDULE`` is the plan; :func:`plan` prints it as a table (and docs/ODD.md's schedule table is
tested against it). ``STREAMS`` is the order in which the random streams are spawned from the
model's generator: one stream per process that draws and one per channel, so a policy that changes
how many numbers one process draws does not shift the others (common random numbers).
"""

from __future__ import annotations

from sim.config.params import par
from sim.engine.build import Setup
from sim.engine.channels import CHANNEL_NAMES, CHANNELS
from sim.engine.measures import Measures
from sim.engine.process import Component, Process
from sim.engine.processes.churn import Churn
from sim.engine.processes.encounters import Encounters
from sim.engine.processes.environment import Environment
from sim.engine.processes.forgetting import Forgetting
from sim.engine.processes.growth import Growth
from sim.engine.processes.learning import LearningByDoing
from sim.engine.processes.revenue import Revenue
from sim.engine.processes.transfer import Transfer
from sim.engine.processes.workforce import Workforce

SCHEDULE: tuple[type[Process], ...] = (
    Environment,  # 1 reality drifts; competitors' pull moves
    Workforce,  # 2 turnover, newcomers
    Forgetting,  #   people forget
    Encounters,  # 3 service encounters with the three encounter channels; satisfaction; sales
    Churn,  # 4 the leaky bucket
    Growth,  # 5 Bass acquisition
    Revenue,  #   this week's revenue and margin
    Transfer,  # 6 Xie 3.1-3.3 channels
    LearningByDoing,  #   knowledge from reality by working
)
#: Weeks run before measurement begins (DESIGN.md: KPIs exclude the start-up).
WARMUP = par(
    "scenario.warmup",
    104,
    "Weeks the model runs before measurement begins (excluded from the step table "
    "and the KPIs, so they describe a settled firm and market)",
    0,
    5200,
    source="measured: knowledge settles within ~80 weeks of the start (ODD 8.6)",
)

#: The random streams: one per process that draws and one per channel, each seeded by its name, so a
#: policy that changes how many numbers one process draws shifts no other (common random numbers).
STREAMS: tuple[str, ...] = (
    "environment",
    "workforce",
    "forgetting",
    "contacts",
    "encounters",
    "customers",
    "growth",
    "learning",
) + CHANNEL_NAMES

#: Everything that declares scenario parameters or constants, for the schema and the docs.
COMPONENTS: tuple[type[Component], ...] = (Setup, *SCHEDULE, Measures)


def plan() -> list[dict]:
    """The schedule as rows: order, process, what it does, its streams, parameters, reads and costs."""
    rows = []
    for i, proc in enumerate(SCHEDULE, 1):
        extra = ()
        if proc is Encounters:
            extra = tuple(c.name for c in CHANNELS if c.phase == "encounter")
        elif proc is Transfer:
            extra = tuple(c.name for c in CHANNELS if c.phase == "transfer")
        rows.append(
            {
                "order": i,
                "process": proc.name,
                "does": proc.describe(),
                "streams": ", ".join(proc.streams + extra),
                "params": ", ".join(p.key for p in proc.params),
                "reads": ", ".join(proc.reads),
                "costs": ", ".join(proc.costs),
            }
        )
    return rows


def plan_text() -> str:
    """The schedule as a printable table."""
    rows = plan()
    lines = [f"{r['order']:>2}  {r['process']:<12} {r['does']}" for r in rows]
    return "\n".join(lines) + "\nthen: measures, data collection\n"
