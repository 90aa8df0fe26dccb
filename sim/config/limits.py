"""Hard limits: what one scenario may ask of the machine.

The model's own parameters say what is plausible; these limits say what is *possible*: sizes and counts a
machine can hold, numbers that keep every KPI finite, texts that fit in a file name. Each refusal is one
line naming the key, the limit and why (the schema applies them; ``check_memory`` estimates before any
work). A user who needs more raises the memory limit with the environment variable named below.
"""

from __future__ import annotations

import os

#: Sizes and counts: key -> (largest value, why). Far above any shipped scenario, far below what breaks.
SIZE_LIMITS: dict[str, tuple[int, str]] = {
    "scenario.steps": (5200, "a hundred years of weeks"),
    "knowledge.customer_items": (1000, "each customer and employee holds a belief per item"),
    "knowledge.product_items": (1000, "each customer and employee holds a belief per item"),
    "knowledge.supply_items": (1000, "each customer and employee holds a belief per item"),
    "knowledge.process_items": (1000, "each customer and employee holds a belief per item"),
    "organization.teams": (1000, "teams are drawn and reported one by one"),
    "organization.team_size": (1000, "the social network grows with the square of a team"),
    "organization.incumbent_tenure": (5200, "a hundred years of weeks"),
    "organization.rnd_staff": (10_000, "a unit larger than any firm's"),
    "organization.production_staff": (10_000, "a unit larger than any firm's"),
    "organization.suppliers": (1000, "partners are held one by one"),
    "organization.universities": (100, "partners are held one by one"),
    "organization.consultancies": (100, "partners are held one by one"),
    "market.initial_customers": (10_000_000, "the customer table is held in memory"),
    "market.market_potential": (100_000_000, "the customer table can grow to the whole market"),
    "market.segments": (100, "each segment has its own needs"),
    "market.products": (100, "each customer's holdings are counted per product"),
    "market.winback_weeks": (5200, "a hundred years of weeks"),
}

#: Options that size the work on the command line (the scenario's own sizes are bounded above).
MAX_STEPS = SIZE_LIMITS["scenario.steps"][0]
MAX_REPS = 1000
MAX_SAMPLES = 100_000  # design points, base samples, futures
MAX_TRIALS = 10_000
MAX_SEED = 2**63 - 1  # seeds are stored in int64 columns

#: Money (costs) and scorecard targets stay within this, so sums over customers and weeks stay finite.
MONEY_LIMIT = 1e12
#: Any other unbounded number (a rate, a multiplier such as turbulence).
MAGNITUDE_LIMIT = 1e6
#: A KPI's weight in the scorecard.
WEIGHT_LIMIT = 1e6
#: Characters of a scenario's name (it becomes part of a folder's name) and of any other text.
NAME_LIMIT = 100
TEXT_LIMIT = 10_000

#: The memory a model may need, in GiB: this environment variable, or half the machine's memory.
MEMORY_VARIABLE = "CRM_SIM_MAX_MEMORY_GIB"
#: Bytes per customer beyond its beliefs: state columns, awareness, its Mesa agent (measured: 1.03 MB per
#: 1,000 customers at K = 64, 100,000 customers; bench/full_model.py measures the same at scale).
BYTES_PER_CUSTOMER = 950
#: Bytes per employee beyond its beliefs: state, network ties, agent object.
BYTES_PER_EMPLOYEE = 2000


def _positive_env(name: str) -> float | None:
    """The environment variable ``name`` as a positive number, or None (unset, not a number, <= 0)."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def memory_limit_gib() -> float:
    """The memory limit in GiB (the environment variable, else half the physical memory, else 8)."""
    given = _positive_env(MEMORY_VARIABLE)
    if given is not None:
        return given
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**31
    except (ValueError, OSError, AttributeError):
        return 8.0


def memory_estimate_gib(flat) -> float:
    """A model's largest arrays, in GiB: the customer table grown to the whole market, and the staff."""
    items = sum(flat[f"knowledge.{d}_items"] for d in ("customer", "product", "supply", "process"))
    customers = max(flat["market.market_potential"], flat["market.initial_customers"])
    staff = (
        flat["organization.teams"] * flat["organization.team_size"]
        + flat["organization.rnd_staff"]
        + flat["organization.production_staff"]
    )
    per_customer = items + flat["knowledge.customer_items"] + BYTES_PER_CUSTOMER
    per_employee = items + BYTES_PER_EMPLOYEE + 8 * flat["organization.team_size"]
    return (customers * per_customer + staff * per_employee) / 2**30


MEMORY_KEYS = (
    "market.market_potential",
    "market.initial_customers",
    "organization.teams",
    "organization.team_size",
    "organization.rnd_staff",
    "organization.production_staff",
    "knowledge.customer_items",
    "knowledge.product_items",
    "knowledge.supply_items",
    "knowledge.process_items",
)


def memory_problem(flat) -> str | None:
    """None if the model fits, else what it needs, the limit and how to raise it."""
    need, limit = memory_estimate_gib(flat), memory_limit_gib()
    if need <= limit:
        return None
    return f"needs ~{need:.1f} GiB; the limit is {limit:.1f} GiB (raise it with {MEMORY_VARIABLE}=N)"


#: The CPU time one command may plan, in hours: this environment variable, else DEFAULT_WORK_HOURS. A
#: sweep asking for more is refused before any work, with its estimate (a cluster user raises it).
WORK_VARIABLE = "CRM_SIM_MAX_CPU_HOURS"
DEFAULT_WORK_HOURS = 1000.0
#: CPU seconds per customer-week of a run, warm-up included (measured, bench/full_model.py: 10,000
#: customers step 104 weeks in 0.57 s and warm up 104 weeks in 0.53 s), and per run (set-up, measures,
#: storing its rows).
SECONDS_PER_CUSTOMER_WEEK = 5.5e-7
SECONDS_PER_RUN = 0.05


def work_limit_hours() -> float:
    """The CPU-time limit in hours (the environment variable if it is a positive number)."""
    given = _positive_env(WORK_VARIABLE)
    return DEFAULT_WORK_HOURS if given is None else given


def work_hours(customers, weeks) -> float:
    """Estimated CPU-hours of runs of ``customers`` initial customers over ``weeks`` weeks (warm-up
    included); arrays give one run per element."""
    import numpy as np

    per_run = np.asarray(customers, dtype=float) * np.asarray(weeks, dtype=float) * SECONDS_PER_CUSTOMER_WEEK
    return float(np.sum(per_run + SECONDS_PER_RUN)) / 3600


def run_hours(scenario, steps: int | None, runs: int = 1, points=None) -> float:
    """Estimated CPU-hours of ``runs`` runs of ``scenario`` for ``steps`` weeks (None: its own), warm-up
    included. ``points``: a design's table (one row per point, ``runs`` runs each), whose columns may
    move the market size, the run length or the warm-up point by point."""
    import numpy as np

    n = 1 if points is None else len(points)

    def value(key, own):
        given = points is not None and key in points
        return np.asarray(points[key], dtype=float) if given else np.full(n, float(own))

    length = value("scenario.steps", scenario.steps) if steps is None else np.full(n, float(steps))
    weeks = length + value("scenario.warmup", scenario.get("scenario.warmup"))
    return runs * work_hours(value("market.initial_customers", scenario.get("market.initial_customers")), weeks)


def check_work(hours: float, what: str) -> None:
    """Refuse (InputError, one line) work estimated above the limit, naming the estimate and how to raise it."""
    from sim.io.errors import InputError

    limit = work_limit_hours()
    if hours > limit:
        raise InputError(
            f"{what}: needs ~{hours:,.0f} CPU-hours (estimated); the limit is {limit:,.0f} "
            f"(raise it with {WORK_VARIABLE}=N)"
        )
