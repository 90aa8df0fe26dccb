"""All 20 knowledge-transfer channels of Xie's CRM model (seed 002), each one SECI mode.

Grouped as in the paper: :mod:`.internal` (3.1, inside the CRM unit), :mod:`.cross_level` (3.2,
with R&D and production) and :mod:`.external` (3.3, with customers, suppliers and outside knowledge
holders). Each channel is declared beside its function (:class:`~.channel.Channel`: SECI mode,
lever, default rate and cost, streams); :func:`~.channel.run_channel` runs and accounts for all.
"""

from __future__ import annotations

from sim.engine.channels import cross_level, external, internal
from sim.engine.channels.channel import CROSS_LEVEL, EXTERNAL, INTERNAL, SECI_MODES, Channel, run_channel

CHANNELS: tuple[Channel, ...] = internal.CHANNELS + cross_level.CHANNELS + external.CHANNELS
CHANNEL_NAMES: tuple[str, ...] = tuple(c.name for c in CHANNELS)
BY_NAME: dict[str, Channel] = {c.name: c for c in CHANNELS}

__all__ = [
    "CHANNELS",
    "CHANNEL_NAMES",
    "BY_NAME",
    "SECI_MODES",
    "INTERNAL",
    "CROSS_LEVEL",
    "EXTERNAL",
    "Channel",
    "run_channel",
]
