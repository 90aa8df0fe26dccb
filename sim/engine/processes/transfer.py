"""Knowledge transfer: the weekly channels of Xie 3.1-3.3 (DESIGN.md step 6)."""

from __future__ import annotations

from sim.engine.channels import CHANNELS, run_channel
from sim.engine.process import Process

TRANSFER_CHANNELS = tuple(c for c in CHANNELS if c.phase == "transfer")


class Transfer(Process):
    """Every channel outside the encounters, in registry order (internal, cross-level, external)."""

    name = "transfer"

    def step(self) -> None:
        for channel in TRANSFER_CHANNELS:
            run_channel(self.model, channel)
