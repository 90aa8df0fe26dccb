"""CRM knowledge-transfer simulation (Mesa 3): the public API.

    from sim import load_scenario, run, compare, sweep, sensitivity, CRMKnowledgeModel
"""

from importlib import import_module

_API = {
    "load_scenario": "sim.scenario",
    "list_scenarios": "sim.scenario",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "run": "sim.simulate",
    "RunResult": "sim.simulate",
    "CRMKnowledgeModel": "sim.model",
    "compare": "sim.experiments",
    "sweep": "sim.sweeps",
    "sensitivity": "sim.sensitivity_analysis",
}

__all__ = sorted(_API)


def __getattr__(name):
    """Import on first use, so `import sim` stays cheap for workers and the command line."""
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
