"""Validation: March's (1991) mutual-learning model run on the knowledge engine.

March, J. G. (1991). Exploration and exploitation in organizational learning. *Organization
Science* 2(1), 71-87.

The model uses the same belief arrays and the same functions as the CRM model
(:mod:`sim.engine.knowledge`): ``random_reality``, ``random_beliefs``, ``act``, ``superior_group``,
``socialization``, ``code_learning``, ``drift``, ``proportion_correct`` and ``score``. Each period, in this order:

1. turbulence: each reality dimension flips with ``p4``;
2. turnover: each individual is replaced with ``p3`` by a newcomer with uniform random beliefs;
3. individuals act (a belief of 0 acts as a fair coin flip); the superior group is those whose
   action score ``sum(action * reality)`` strictly beats the code's score ``sum(code * reality)``;
4. socialization: on each dimension where the code is non-zero and an individual differs from it,
   with probability ``p1`` the individual moves one step toward the code (opposite -> 0, 0 -> code);
5. code learning: from the superior group's actions of step 3 (pre-socialization), where the
   strict majority differs from the code the code takes the majority value with probability
   ``1 - (1 - p2) ** k``, ``k = |#(+1) - #(-1)|``.

The initial code is all 0. With ``periods=None`` a run ends at equilibrium (see
:func:`at_equilibrium`); otherwise it runs a fixed horizon.

:func:`march1991` is one run, written to be read. :func:`march1991_batch` runs ``R`` replications at
once as stacked arrays (beliefs ``(R, n, m)``, codes ``(R, m)``; every code learns from its own
superior group in one grouped ``code_learning`` call), each replication stopping at its own
equilibrium. Both implement the same rules; the tests check that their statistics agree.
:func:`sim.validation.experiments.validation_report` reproduces March's figures and checks the
published qualitative claims.
"""

from __future__ import annotations

import numpy as np

from sim.engine.knowledge import (
    act,
    code_learning,
    drift,
    proportion_correct,
    random_beliefs,
    random_reality,
    raw_score,
    score,
    socialization,
    superior_group,
)

#: Safety cap on the number of periods of a run to equilibrium.
MAX_PERIODS = 10_000


# --- helpers ------------------------------------------------------------------------------------


def _prob(name: str, value, shape: tuple[int, ...] | None = None) -> float | np.ndarray:
    """A probability (scalar or array of ``shape``), checked to lie in [0, 1]."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        out: float | np.ndarray = float(arr)
    else:
        if shape is not None and arr.shape != shape:
            raise ValueError(f"{name} must be a scalar or an array of shape {shape}, got {arr.shape}")
        out = arr
    if not np.all((arr >= 0.0) & (arr <= 1.0)):
        raise ValueError(f"{name} must be a probability in [0, 1]")
    return out


def at_equilibrium(beliefs: np.ndarray, code: np.ndarray, reality: np.ndarray) -> bool | np.ndarray:
    """March's equilibrium (no turnover, no turbulence): nothing can change any more.

    (a) No individual differs from the code on a dimension where the code is non-zero, so
    socialization has nothing left to do; and (b) no individual could still beat the code: even
    with every 0 belief acting the right way (coin flips can land either way), an individual's best
    possible action score ``#right + #zero - #wrong`` does not exceed the code's score, so the
    superior group is always empty and the code never changes again.

    ``beliefs (n, m)``, ``code (m,)``, ``reality (m,)`` -> bool; or stacked ``(R, n, m)``,
    ``(R, m)``, ``(R, m)`` -> ``(R,)`` bool.
    """
    C = code[..., None, :]
    differ = ((C != 0) & (beliefs != C)).any(axis=(-2, -1))
    m = reality.shape[-1]
    best = m - 2 * (beliefs == -reality[..., None, :]).sum(axis=-1)
    could = (best > raw_score(code, reality)[..., None]).any(axis=-1)
    done = ~differ & ~could
    return bool(done) if np.ndim(done) == 0 else done


# --- one run ------------------------------------------------------------------------------------


def march1991(
    p1: float | np.ndarray,
    p2: float,
    p3: float = 0.0,
    p4: float = 0.0,
    n: int = 50,
    m: int = 30,
    periods: int | None = None,
    seed: int | np.random.SeedSequence = 0,
    *,
    max_periods: int = MAX_PERIODS,
    history: bool = False,
) -> dict:
    """One run of March's (1991) mutual-learning model on the knowledge engine.

    ``p1`` socialization rate (scalar, or an array of length ``n``: one rate per individual),
    ``p2`` code-learning rate, ``p3`` turnover, ``p4`` turbulence; ``n`` individuals, ``m``
    dimensions. ``periods=None`` runs to equilibrium (needs ``p3 = p4 = 0``; capped at
    ``max_periods``), otherwise a fixed horizon.

    Returns a dict: ``code_score`` (``sum(code * reality) / m``), ``code_proportion`` (share of
    dimensions the code gets right), ``individual_proportion`` and ``individual_score`` (means over
    individuals, a 0 belief counting as not right), ``periods`` run, ``equilibrium`` (whether the
    final state is an equilibrium), the final ``beliefs``, ``code`` and ``reality``, and with
    ``history=True`` a ``history`` dict of per-period arrays (index 0 = initial state).
    """
    n, m = int(n), int(m)
    rate = _prob("p1", p1, (n,))
    rate = rate if np.ndim(rate) == 0 else np.asarray(rate)[:, None]  # one rate per row
    p2, p3, p4 = _prob("p2", p2), _prob("p3", p3), _prob("p4", p4)
    if periods is None and (p3 > 0 or p4 > 0):
        raise ValueError("periods=None (run to equilibrium) needs p3 = p4 = 0")
    horizon = int(max_periods if periods is None else periods)

    rng = np.random.default_rng(seed)
    reality = random_reality(m, rng)
    beliefs = random_beliefs(n, m, rng)
    code = np.zeros(m, dtype=np.int8)

    hist: dict[str, list] = {"code_proportion": [], "individual_proportion": [], "superior": []}

    def record(superior: int) -> None:
        hist["code_proportion"].append(float(proportion_correct(code, reality)))
        hist["individual_proportion"].append(float(proportion_correct(beliefs, reality).mean()))
        hist["superior"].append(superior)

    if history:
        record(0)
    t, done = 0, False
    while t < horizon and not done:
        t += 1
        if p4 > 0:
            drift(reality, p4, rng)
        if p3 > 0:
            leave = rng.random(n) < p3
            if leave.any():
                beliefs[leave] = random_beliefs(int(leave.sum()), m, rng)
        actions = act(beliefs, rng)
        votes = actions[superior_group(actions, code, reality)]
        socialization(beliefs, code, rate, rng)  # learns from the code as it was this period
        code_learning(code, votes, p2, rng)  # learns from the pre-socialization actions
        if history:
            record(votes.shape[0])
        if periods is None:
            done = at_equilibrium(beliefs, code, reality)

    out = {
        "code_score": float(score(code, reality)),
        "code_proportion": float(proportion_correct(code, reality)),
        "individual_proportion": float(proportion_correct(beliefs, reality).mean()),
        "individual_score": float(score(beliefs, reality).mean()),
        "periods": t,
        "equilibrium": bool(p3 == 0 and p4 == 0 and at_equilibrium(beliefs, code, reality)),
        "beliefs": beliefs,
        "code": code,
        "reality": reality,
    }
    if history:
        out["history"] = {k: np.asarray(v) for k, v in hist.items()}
    return out


# --- R replications at once ---------------------------------------------------------------------


def march1991_batch(
    p1: float | np.ndarray,
    p2: float | np.ndarray,
    p3: float | np.ndarray = 0.0,
    p4: float | np.ndarray = 0.0,
    n: int = 50,
    m: int = 30,
    periods: int | None = None,
    reps: int = 80,
    seed: int | np.random.SeedSequence = 0,
    *,
    max_periods: int = MAX_PERIODS,
    history: bool = False,
    return_state: bool = False,
) -> dict:
    """``reps`` independent replications of :func:`march1991`, run together as stacked arrays.

    Same rules, one random stream for the whole batch (so results differ draw by draw from
    ``reps`` single runs, not in distribution). ``p1`` is a scalar, an ``(n,)`` array (the same
    population in every replication) or ``(reps, n)``; ``p2``, ``p3``, ``p4`` are scalars or
    ``(reps,)`` arrays, so one batch can hold several conditions. With ``periods=None`` every
    replication stops at its own equilibrium (finished ones leave the arrays).

    Returns a dict of ``(reps,)`` arrays: ``code_score``, ``code_proportion``,
    ``individual_proportion``, ``individual_score``, ``periods``, ``equilibrium``; with
    ``history=True`` (fixed horizon only) a ``history`` dict of ``(reps, periods + 1)`` arrays
    (``code_proportion``, ``individual_proportion``); with ``return_state=True`` the final
    ``beliefs (reps, n, m)``, ``code (reps, m)`` and ``reality (reps, m)``.
    """
    n, m, reps = int(n), int(m), int(reps)
    P1 = np.asarray(_prob("p1", p1), dtype=float)
    if P1.shape == (n,):
        P1 = np.broadcast_to(P1, (reps, n))
    elif P1.ndim != 0 and P1.shape != (reps, n):
        raise ValueError(f"p1 must be a scalar, (n,) or (reps, n); got {P1.shape}")
    P1 = float(P1) if P1.ndim == 0 else np.ascontiguousarray(P1)[:, :, None]  # per row
    P2, P3, P4 = (_prob(k, v, (reps,)) for k, v in (("p2", p2), ("p3", p3), ("p4", p4)))
    P2, P3, P4 = (p if np.ndim(p) == 0 else np.asarray(p)[:, None] for p in (P2, P3, P4))
    turnover, turbulence = bool(np.any(P3 > 0)), bool(np.any(P4 > 0))
    if periods is None and (turnover or turbulence):
        raise ValueError("periods=None (run to equilibrium) needs p3 = p4 = 0")
    if history and periods is None:
        raise ValueError("history=True needs a fixed horizon (periods)")
    horizon = int(max_periods if periods is None else periods)

    rng = np.random.default_rng(seed)
    reality = random_reality(reps * m, rng).reshape(reps, m)
    beliefs = random_beliefs(reps * n, m, rng).reshape(reps, n, m)
    codes = np.zeros((reps, m), dtype=np.int8)
    alive = np.arange(reps)  # original replication id of each row still running

    res = {
        k: np.full(reps, np.nan) for k in ("code_score", "code_proportion", "individual_proportion", "individual_score")
    }
    res["periods"] = np.zeros(reps, dtype=np.int64)
    res["equilibrium"] = np.zeros(reps, dtype=bool)
    if return_state:
        state = {
            "beliefs": np.zeros((reps, n, m), np.int8),
            "code": np.zeros((reps, m), np.int8),
            "reality": np.zeros((reps, m), np.int8),
        }
    if history:
        hist = {k: np.zeros((reps, horizon + 1)) for k in ("code_proportion", "individual_proportion")}

    def record(t: int) -> None:
        hist["code_proportion"][:, t] = proportion_correct(codes, reality)
        hist["individual_proportion"][:, t] = proportion_correct(beliefs, reality[:, None, :]).mean(-1)

    def finish(which: np.ndarray, t: int, equilibrium: np.ndarray) -> None:
        ids = alive[which]
        B, C, Rl = beliefs[which], codes[which], reality[which]
        res["code_score"][ids] = score(C, Rl)
        res["code_proportion"][ids] = proportion_correct(C, Rl)
        res["individual_proportion"][ids] = proportion_correct(B, Rl[:, None, :]).mean(-1)
        res["individual_score"][ids] = raw_score(B, Rl[:, None, :]).mean(-1) / m
        res["periods"][ids] = t
        res["equilibrium"][ids] = equilibrium
        if return_state:
            state["beliefs"][ids], state["code"][ids], state["reality"][ids] = B, C, Rl

    if history:
        record(0)
    t = 0
    while t < horizon and alive.size:
        t += 1
        A = alive.size
        if turbulence:
            drift(reality, P4, rng)
        if turnover:
            leave = rng.random((A, n)) < P3
            k = int(leave.sum())
            if k:
                beliefs[leave] = random_beliefs(k, m, rng)
        actions = act(beliefs, rng)
        rows = np.flatnonzero(superior_group(actions, codes, reality))
        votes, group = actions.reshape(-1, m)[rows], rows // n  # group = row of `codes`
        socialization(beliefs, codes[:, None, :], P1, rng)
        code_learning(codes, votes, P2, rng, group=group)
        if history:
            record(t)
        if periods is None:
            done = at_equilibrium(beliefs, codes, reality)
            if done.any():
                finish(done, t, np.ones(int(done.sum()), bool))
                keep = ~done
                alive, beliefs, codes, reality = alive[keep], beliefs[keep], codes[keep], reality[keep]
                P1, P2 = (p if np.ndim(p) == 0 else p[keep] for p in (P1, P2))
    if alive.size:
        all_rows = np.ones(alive.size, dtype=bool)
        eq = at_equilibrium(beliefs, codes, reality) if not (turnover or turbulence) else np.zeros(alive.size, bool)
        finish(all_rows, t, eq)
    if history:
        res["history"] = hist
    if return_state:
        res.update(state)
    return res
