"""CRM knowledge-transfer simulation (Mesa 3): the public API.

from sim import load_scenario, run, compare, sweep, sensitivity, patterns, CRMKnowledgeModel
"""

from importlib import import_module

_API = {
    "load_scenario": "sim.config.loader",
    "list_scenarios": "sim.config.loader",
    "Scenario": "sim.config.scenario",
    "ScenarioError": "sim.config.errors",
    "run": "sim.experiments.simulate",
    "RunResult": "sim.experiments.simulate",
    "CRMKnowledgeModel": "sim.model",
    "compare": "sim.experiments.compare",
    "sweep": "sim.experiments.sweep",
    "sensitivity": "sim.experiments.sensitivity",
    "patterns": "sim.analysis.patterns",
    "robust": "sim.experiments.robust",
    "optimize": "sim.experiments.optimize",
}

__all__ = sorted(_API)


def __getattr__(name):
    """Import on first use, so `import sim` stays cheap for workers and the command line."""
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
