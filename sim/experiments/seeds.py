"""Replication seeds: the same for every scenario, so policies are compared on common random numbers."""

from __future__ import annotations

import numpy as np

from sim.io.errors import check_int


def replication_seed(rep: int, base: int = 0) -> int:
    """The seed of replication ``rep``, the same for every scenario (common random numbers).

    It is the ``rep``-th child of ``numpy.random.SeedSequence(base)`` (``spawn_key=(rep,)``), so
    seeds of different replications are statistically independent, reduced to 63 bits so it fits
    an int64 column. Stable: a given (rep, base) always gives the same seed.
    """
    rep = check_int(rep, "rep =", 0, "replication index")
    base = check_int(base, "base =", 0, "seed of the replication seeds")
    state = np.random.SeedSequence(base, spawn_key=(rep,)).generate_state(1, np.uint64)[0]
    return int(state) >> 1
