"""Validation of the knowledge engine against March (1991)."""

from sim.validation.march import at_equilibrium, march1991, march1991_batch, validation_report

__all__ = ["at_equilibrium", "march1991", "march1991_batch", "validation_report"]
