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
:func:`validation_report` reproduces March's figures and checks the published qualitative claims.
"""

from __future__ import annotations

import sys
import time
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.analysis.stats import mean_se
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
from sim.io.outputs import prepare

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
        k: np.full(reps, np.nan)
        for k in ("code_score", "code_proportion", "individual_proportion", "individual_score")
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
        eq = (
            at_equilibrium(beliefs, codes, reality)
            if not (turnover or turbulence)
            else np.zeros(alive.size, bool)
        )
        finish(all_rows, t, eq)
    if history:
        res["history"] = hist
    if return_state:
        res.update(state)
    return res


# --- the validation report ----------------------------------------------------------------------

FIG1_P1 = tuple(round(0.1 * i, 1) for i in range(1, 10))
FIG1_P2 = (0.1, 0.5, 0.9)
HETEROGENEITY_FAST = (0, 10, 20, 25, 30, 40, 50)  # of 50 individuals with p1=0.9 (others 0.1)
TURNOVER_P3 = (0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
TURNOVER_P1 = (0.9, 0.1)
TURNOVER_PERIOD = 20
TURBULENCE_P4 = 0.02
TURBULENCE_PERIODS = 100
TURBULENCE_P3 = 0.1
Z = 3.0  # a claim passes when its difference exceeds Z standard errors
Z_REFERENCE = 4.0  # agreement with the reference: every point within 4 standard errors

#: Equilibrium code *score* (sum(code * reality) / m, the y-axis of March's Figure 1) from a
#: recreation of March's original program (M. Workiewicz 2019, github.com/Mac13kW/March_1991_Original,
#: following M. Christensen's 2015 note on the original code; 10,000 runs per point), m=30, n=50.
#: Keys (p1, p2).
REFERENCE_FIG1_SCORE: dict[tuple[float, float], float] = {
    (p1, p2): v
    for p1, row in zip(FIG1_P1, (
        (0.8633, 0.9543, 0.9724), (0.8171, 0.9088, 0.9404), (0.8051, 0.8691, 0.9081),
        (0.8021, 0.8371, 0.8737), (0.7994, 0.8106, 0.8401), (0.8032, 0.7867, 0.8067),
        (0.8060, 0.7679, 0.7796), (0.8090, 0.7540, 0.7561), (0.8132, 0.7421, 0.7284),
    ))
    for p2, v in zip(FIG1_P2, row)
}
REFERENCE_RUNS = 10_000


class ValidationReport(NamedTuple):
    claims: pd.DataFrame
    results: pd.DataFrame
    paths: dict[str, Path]
    seconds: float


def _seed(seed: int, key: str) -> np.random.SeedSequence:
    """Common random numbers: a seed keyed by (base seed, condition)."""
    return np.random.SeedSequence([int(seed), zlib.crc32(key.encode())])


def _claim(experiment: str, claim: str, a: tuple[float, float], b: tuple[float, float],
           label_a: str, label_b: str, diff_se: float | None = None) -> dict:
    """``a`` should exceed ``b``: passes when ``a - b > Z`` standard errors of the difference."""
    diff = a[0] - b[0]
    se = float(np.hypot(a[1], b[1])) if diff_se is None else float(diff_se)
    z = diff / se if se > 0 else (np.inf if diff > 0 else -np.inf)
    return {
        "experiment": experiment,
        "claim": claim,
        "figures": f"{label_a} {a[0]:.3f}±{a[1]:.3f} vs {label_b} {b[0]:.3f}±{b[1]:.3f}",
        "a": a[0], "a_se": a[1], "b": b[0], "b_se": b[1],
        "difference": diff, "difference_se": se, "z": z,
        "passed": bool(z > Z),
    }


def _rows(experiment: str, res: dict, *, population: str, p1: float, p2: float, p3: float,
          p4: float, n: int, m: int, period: int | None, sel: np.ndarray | slice = slice(None),
          measures=("code_proportion", "code_score", "individual_proportion", "periods")) -> list[dict]:
    rows = []
    for meas in measures:
        x = np.asarray(res[meas])[sel]
        mean, se = mean_se(x)
        rows.append(dict(experiment=experiment, population=population, p1=p1, p2=p2, p3=p3, p4=p4,
                         n=n, m=m, period=period, measure=meas, mean=mean, se=se, reps=int(x.size)))
    return rows


def validation_report(
    reps: int = 80,
    out_dir: Path | str = Path("outputs") / "validate",
    progress: bool = True,
    *,
    seed: int = 0,
) -> ValidationReport:
    """Reproduce March (1991) Figures 1-5 on the engine and check the published claims.

    ``reps`` replications per condition (March used 80), m = 30, n = 50. Writes
    ``march1991_claims.csv``, ``march1991_results.csv`` and ``march1991_figure1.png`` into
    ``out_dir`` (checked before any work: ``sim.io.errors.OutputError`` if it cannot be written) and
    returns ``(claims, results, paths, seconds)``.
    ``claims``: one row per claim (experiment, claim, figures with standard errors, z, passed).
    ``results``: tidy, one row per condition and measure (mean, se, reps); ``period`` is empty for
    runs to equilibrium.
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    n, m = 50, 30
    out = prepare(out_dir, "validate")  # refuses an unusable folder before any work

    steps = len(FIG1_P2) + 1 + len(TURNOVER_P1) + 1
    bar = tqdm(total=steps, desc="March 1991", unit="batch", file=sys.stderr, disable=not progress)
    rows: list[dict] = []
    claims: list[dict] = []
    kw = dict(n=n, m=m)
    uncapped = True

    # Figure 1: equilibrium code knowledge vs p1, one line per p2 (one batch of 9 x reps per line)
    fig1: dict[tuple[float, float], dict[str, tuple[float, float]]] = {}
    for p2 in FIG1_P2:
        p1s = np.repeat(np.array(FIG1_P1), reps)
        res = march1991_batch(np.repeat(p1s[:, None], n, axis=1), p2, reps=p1s.size,
                              seed=_seed(seed, f"fig1 p2={p2}"), **kw)
        uncapped &= bool(res["equilibrium"].all())
        for p1 in FIG1_P1:
            sel = np.isclose(p1s, p1)
            rows += _rows("figure1", res, population="uniform", p1=p1, p2=p2, p3=0.0, p4=0.0,
                          period=None, sel=sel, **kw)
            fig1[(p1, p2)] = {k: mean_se(res[k][sel]) for k in ("code_proportion", "code_score")}
        bar.update()
    claims.append(_claim(
        "figure1", "p2=0.5: slow socialization (p1=0.1) beats fast (p1=0.9) at equilibrium",
        fig1[(0.1, 0.5)]["code_proportion"], fig1[(0.9, 0.5)]["code_proportion"],
        "p1=0.1", "p1=0.9"))
    # agreement with March's original program, point by point, on March's measure (the score)
    zs = {}
    for key, ref in REFERENCE_FIG1_SCORE.items():
        mean, se = fig1[key]["code_score"]
        ref_se = se * np.sqrt(reps / REFERENCE_RUNS)  # the reference's own noise, same spread
        spread = np.hypot(se, ref_se)
        zs[key] = (mean - ref) / spread if spread > 0 else (0.0 if mean == ref else np.inf)
    worst = max(zs, key=lambda k: abs(zs[k]))
    mad = np.mean([abs(fig1[k]["code_score"][0] - v) for k, v in REFERENCE_FIG1_SCORE.items()])
    claims.append({
        "experiment": "figure1",
        "claim": "equilibrium code score matches March's original program at all 27 points "
                 f"(|z| < {Z_REFERENCE:g})",
        "figures": f"mean |diff| {mad:.3f}; worst p1={worst[0]}, p2={worst[1]}: "
                   f"{fig1[worst]['code_score'][0]:.3f}±{fig1[worst]['code_score'][1]:.3f} vs "
                   f"{REFERENCE_FIG1_SCORE[worst]:.3f}",
        "a": fig1[worst]["code_score"][0], "a_se": fig1[worst]["code_score"][1],
        "b": REFERENCE_FIG1_SCORE[worst], "b_se": np.nan,
        "difference": fig1[worst]["code_score"][0] - REFERENCE_FIG1_SCORE[worst],
        "difference_se": np.nan, "z": abs(zs[worst]),
        "passed": bool(abs(zs[worst]) < Z_REFERENCE),
    })

    # Figure 2: heterogeneity. Claim: half p1=0.1 + half p1=0.9 vs everyone p1=0.5 (same mean);
    # results also for 0..50 fast (p1=0.9) learners among slow (p1=0.1) ones, as in March's figure
    het = {}
    for fast in HETEROGENEITY_FAST:
        p1 = np.where(np.arange(n) < fast, 0.9, 0.1)
        res = march1991_batch(p1, 0.5, reps=reps, seed=_seed(seed, f"heterogeneity fast={fast}"), **kw)
        uncapped &= bool(res["equilibrium"].all())
        pop = "uniform" if fast in (0, n) else f"mix {fast} fast (0.9) / {n - fast} slow (0.1)"
        rows += _rows("heterogeneity", res, population=pop, p1=float(p1.mean()), p2=0.5, p3=0.0,
                      p4=0.0, period=None, **kw)
        het[fast] = mean_se(res["code_proportion"])
    res = march1991_batch(0.5, 0.5, reps=reps, seed=_seed(seed, "heterogeneity uniform 0.5"), **kw)
    uncapped &= bool(res["equilibrium"].all())
    rows += _rows("heterogeneity", res, population="uniform", p1=0.5, p2=0.5, p3=0.0, p4=0.0,
                  period=None, **kw)
    claims.append(_claim(
        "heterogeneity", "p2=0.5: half p1=0.1 + half p1=0.9 beats uniform p1=0.5 at equilibrium",
        het[n // 2], mean_se(res["code_proportion"]), "mix", "uniform"))
    claims.append({
        "experiment": "equilibrium",
        "claim": f"every run to equilibrium got there within {MAX_PERIODS} periods",
        "figures": "all" if uncapped else "some runs hit the cap",
        "a": np.nan, "a_se": np.nan, "b": np.nan, "b_se": np.nan, "difference": np.nan,
        "difference_se": np.nan, "z": np.nan, "passed": uncapped,
    })
    bar.update()

    # Figure 3: turnover, code knowledge at period 20 (p2=0.5); one batch per p1
    turn: dict[tuple[float, float], tuple[float, float]] = {}
    for p1 in TURNOVER_P1:
        p3s = np.repeat(np.array(TURNOVER_P3), reps)
        res = march1991_batch(p1, 0.5, p3s, periods=TURNOVER_PERIOD, reps=p3s.size,
                              seed=_seed(seed, f"turnover p1={p1}"), **kw)
        for p3 in TURNOVER_P3:
            sel = np.isclose(p3s, p3)
            rows += _rows("turnover", res, population="uniform", p1=p1, p2=0.5, p3=p3, p4=0.0,
                          period=TURNOVER_PERIOD, sel=sel,
                          measures=("code_proportion", "code_score", "individual_proportion"), **kw)
            turn[(p1, p3)] = mean_se(res["code_proportion"][sel])
        bar.update()
    moderate = [p3 for p3 in TURNOVER_P3 if 0 < p3 <= 0.2]
    best = max(moderate, key=lambda p3: turn[(0.9, p3)][0])
    claims.append(_claim(
        "turnover", f"p1=0.9: moderate turnover (best p3 in {moderate}) beats none at period "
        f"{TURNOVER_PERIOD}", turn[(0.9, best)], turn[(0.9, 0.0)], f"p3={best}", "p3=0"))

    # Figures 4-5: turbulence p4=0.02 over 100 periods, without and with turnover (p1=p2=0.5)
    turb = {}
    for p3 in (0.0, TURBULENCE_P3):
        res = march1991_batch(0.5, 0.5, p3, TURBULENCE_P4, periods=TURBULENCE_PERIODS, reps=reps,
                              seed=_seed(seed, f"turbulence p3={p3}"), history=True, **kw)
        H = res["history"]["code_proportion"]
        for t in range(TURBULENCE_PERIODS + 1):
            mean, se = mean_se(H[:, t])
            rows.append(dict(experiment="turbulence", population="uniform", p1=0.5, p2=0.5, p3=p3,
                             p4=TURBULENCE_P4, n=n, m=m, period=t, measure="code_proportion",
                             mean=mean, se=se, reps=reps))
        turb[p3] = H
    H0 = turb[0.0]
    peak = int(np.argmax(H0.mean(axis=0)))
    drop = H0[:, peak] - H0[:, -1]  # paired: the same runs at the peak and at the end
    claims.append(_claim(
        "turbulence", f"p4={TURBULENCE_P4}, no turnover: code knowledge decays from its peak "
        f"(period {peak}) to period {TURBULENCE_PERIODS}", mean_se(H0[:, peak]), mean_se(H0[:, -1]),
        f"t={peak}", f"t={TURBULENCE_PERIODS}", diff_se=mean_se(drop)[1]))
    claims.append(_claim(
        "turbulence", f"p4={TURBULENCE_P4}: turnover p3={TURBULENCE_P3} keeps code knowledge "
        f"higher than none at period {TURBULENCE_PERIODS}", mean_se(turb[TURBULENCE_P3][:, -1]),
        mean_se(H0[:, -1]), f"p3={TURBULENCE_P3}", "p3=0"))
    bar.update()
    bar.close()

    claims_df = pd.DataFrame(claims)
    results_df = pd.DataFrame(rows)
    results_df["period"] = results_df["period"].astype("Int64")
    paths = {
        "claims": out / "march1991_claims.csv",
        "results": out / "march1991_results.csv",
        "figure1": out / "march1991_figure1.png",
    }
    claims_df.to_csv(paths["claims"], index=False)
    results_df.to_csv(paths["results"], index=False)
    _plot_figure1(fig1, reps, paths["figure1"])
    return ValidationReport(claims_df, results_df, paths, time.perf_counter() - t0)


def _plot_figure1(fig1: dict, reps: int, path: Path) -> None:
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    fig = Figure(figsize=(11, 4.4))
    axes = fig.subplots(1, 2)
    for ax, measure, label in (
        (axes[0], "code_proportion", "equilibrium code knowledge (proportion correct)"),
        (axes[1], "code_score", "equilibrium code score  Σ code·reality / m"),
    ):
        for p2 in FIG1_P2:
            mean = [fig1[(p1, p2)][measure][0] for p1 in FIG1_P1]
            se = [fig1[(p1, p2)][measure][1] for p1 in FIG1_P1]
            line = ax.errorbar(FIG1_P1, mean, yerr=se, marker="o", ms=4, capsize=3,
                               label=f"p2 = {p2}")
            if measure == "code_score":
                ref = [REFERENCE_FIG1_SCORE[(p1, p2)] for p1 in FIG1_P1]
                ax.plot(FIG1_P1, ref, ls=":", color=line[0].get_color())
        ax.set_xlabel("socialization rate p1")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_title("Code proportion correct")
    axes[1].set_title("Code score (March's measure); dotted: original program")
    axes[0].legend(title="code learning rate")
    fig.suptitle(f"March (1991) Figure 1 on the engine: m=30, n=50, {reps} runs per point, ±1 s.e.")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def format_claims(df: pd.DataFrame, width: int = 46) -> str:
    """The claims as a fixed-width table for the terminal (long cells wrap at ``width``)."""
    import textwrap

    head = ("experiment", "claim", "figures (mean ± s.e.)", "z", "result")
    body = [
        (r.experiment, textwrap.wrap(str(r.claim), width), textwrap.wrap(str(r.figures), width),
         "" if pd.isna(r.z) else f"{r.z:.1f}", "PASS" if r.passed else "FAIL")
        for r in df.itertuples()
    ]
    cells = [[c if isinstance(c, list) else [c] for c in row] for row in body]
    widths = [len(h) for h in head]
    for row in cells:
        widths = [max(w, *(len(x) for x in c)) if c else w for w, c in zip(widths, row)]

    def line(parts) -> str:
        return "  ".join(str(p).ljust(w) for p, w in zip(parts, widths)).rstrip()

    sep = "  ".join("-" * w for w in widths)
    out = [line(head), sep]
    for row in cells:
        for i in range(max(len(c) for c in row)):
            out.append(line([c[i] if i < len(c) else "" for c in row]))
    passed = int(df["passed"].sum()) if len(df) else 0
    out += [sep, f"{passed}/{len(df)} claims pass. z = difference / its standard error; a claim "
            f"passes at z > {Z:g} (agreement with the reference: worst |z| < {Z_REFERENCE:g})."]
    return "\n".join(out)
