"""March (1991) in minimal plain numpy: the yardstick for the engine's speed.

Same rules as ``sim.validation.march1991`` (see its docstring), written directly on arrays with
nothing imported from ``sim``. Fixed horizon only.
"""

from __future__ import annotations

import numpy as np


def run_plain(
    n: int, m: int, periods: int, p1: float, p2: float, p3: float = 0.0, p4: float = 0.0, seed: int = 0
) -> dict:
    rng = np.random.default_rng(seed)
    reality = np.where(rng.random(m) < 0.5, -1, 1).astype(np.int8)
    beliefs = rng.integers(-1, 2, size=(n, m), dtype=np.int8)
    code = np.zeros(m, dtype=np.int8)
    for _ in range(periods):
        # turbulence, turnover
        reality[rng.random(m) < p4] *= -1
        leave = rng.random(n) < p3
        beliefs[leave] = rng.integers(-1, 2, size=(int(leave.sum()), m), dtype=np.int8)
        # act: a 0 belief is a coin flip; superior = action score beats the code's score
        coin = np.where(rng.random((n, m)) < 0.5, -1, 1).astype(np.int8)
        actions = np.where(beliefs == 0, coin, beliefs)
        superior = actions.astype(np.int32) @ reality > int(code.astype(np.int32) @ reality)
        # socialization, gradual, where the code is non-zero
        move = (code != 0) & (beliefs != code) & (rng.random((n, m)) < p1)
        beliefs = np.where(move, np.where(beliefs == 0, code, 0), beliefs).astype(np.int8)
        # code learning from the superior group's actions
        balance = actions[superior].sum(axis=0, dtype=np.int64)
        majority = np.sign(balance).astype(np.int8)
        change = (majority != 0) & (majority != code)
        change &= rng.random(m) < 1.0 - (1.0 - p2) ** np.abs(balance)
        code[change] = majority[change]
    return {
        "code_proportion": float((code == reality).mean()),
        "code_score": float(code.astype(np.int32) @ reality / m),
        "individual_proportion": float((beliefs == reality).mean()),
    }
