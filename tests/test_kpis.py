"""The declared outcomes (sim.analysis.kpis) are exactly what a run reports."""

from sim import run
from sim.analysis.kpis import OUTCOMES
from sim.experiments.simulate import RUN_KEYS


def test_declared_outcomes_are_the_numeric_summary_of_a_run():
    summary = run("baseline", seed=0, steps=2).summary
    numeric = tuple(k for k, v in summary.items() if k not in RUN_KEYS and isinstance(v, (int, float)))
    assert numeric == OUTCOMES
