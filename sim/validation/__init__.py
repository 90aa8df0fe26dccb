"""Validation of the knowledge engine against March (1991)."""

from sim.validation.experiments import validation_report
from sim.validation.march import at_equilibrium, march1991, march1991_batch

__all__ = ["at_equilibrium", "march1991", "march1991_batch", "validation_report"]
