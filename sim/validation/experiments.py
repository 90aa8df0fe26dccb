"""The validation report: March's (1991) figures reproduced on the engine, and the published claims checked.

Figures 1-5 of March (1991) as batches of :func:`sim.validation.march.march1991_batch`; each claim
passes when its difference exceeds ``Z`` standard errors, and Figure 1 is compared point by point
with a recreation of March's original program.
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
from sim.io.outputs import prepare
from sim.validation.march import MAX_PERIODS, march1991_batch

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
    for p1, row in zip(
        FIG1_P1,
        (
            (0.8633, 0.9543, 0.9724),
            (0.8171, 0.9088, 0.9404),
            (0.8051, 0.8691, 0.9081),
            (0.8021, 0.8371, 0.8737),
            (0.7994, 0.8106, 0.8401),
            (0.8032, 0.7867, 0.8067),
            (0.8060, 0.7679, 0.7796),
            (0.8090, 0.7540, 0.7561),
            (0.8132, 0.7421, 0.7284),
        ),
    )
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


def _claim(
    experiment: str,
    claim: str,
    a: tuple[float, float],
    b: tuple[float, float],
    label_a: str,
    label_b: str,
    diff_se: float | None = None,
) -> dict:
    """``a`` should exceed ``b``: passes when ``a - b > Z`` standard errors of the difference."""
    diff = a[0] - b[0]
    se = float(np.hypot(a[1], b[1])) if diff_se is None else float(diff_se)
    z = diff / se if se > 0 else (np.inf if diff > 0 else -np.inf)
    return {
        "experiment": experiment,
        "claim": claim,
        "figures": f"{label_a} {a[0]:.3f}±{a[1]:.3f} vs {label_b} {b[0]:.3f}±{b[1]:.3f}",
        "a": a[0],
        "a_se": a[1],
        "b": b[0],
        "b_se": b[1],
        "difference": diff,
        "difference_se": se,
        "z": z,
        "passed": bool(z > Z),
    }


def _rows(
    experiment: str,
    res: dict,
    *,
    population: str,
    p1: float,
    p2: float,
    p3: float,
    p4: float,
    n: int,
    m: int,
    period: int | None,
    sel: np.ndarray | slice = slice(None),
    measures=("code_proportion", "code_score", "individual_proportion", "periods"),
) -> list[dict]:
    rows = []
    for meas in measures:
        x = np.asarray(res[meas])[sel]
        mean, se = mean_se(x)
        rows.append(
            dict(
                experiment=experiment,
                population=population,
                p1=p1,
                p2=p2,
                p3=p3,
                p4=p4,
                n=n,
                m=m,
                period=period,
                measure=meas,
                mean=mean,
                se=se,
                reps=int(x.size),
            )
        )
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
        res = march1991_batch(
            np.repeat(p1s[:, None], n, axis=1), p2, reps=p1s.size, seed=_seed(seed, f"fig1 p2={p2}"), **kw
        )
        uncapped &= bool(res["equilibrium"].all())
        for p1 in FIG1_P1:
            sel = np.isclose(p1s, p1)
            rows += _rows(
                "figure1", res, population="uniform", p1=p1, p2=p2, p3=0.0, p4=0.0, period=None, sel=sel, **kw
            )
            fig1[(p1, p2)] = {k: mean_se(res[k][sel]) for k in ("code_proportion", "code_score")}
        bar.update()
    claims.append(
        _claim(
            "figure1",
            "p2=0.5: slow socialization (p1=0.1) beats fast (p1=0.9) at equilibrium",
            fig1[(0.1, 0.5)]["code_proportion"],
            fig1[(0.9, 0.5)]["code_proportion"],
            "p1=0.1",
            "p1=0.9",
        )
    )
    # agreement with March's original program, point by point, on March's measure (the score)
    zs = {}
    for key, ref in REFERENCE_FIG1_SCORE.items():
        mean, se = fig1[key]["code_score"]
        ref_se = se * np.sqrt(reps / REFERENCE_RUNS)  # the reference's own noise, same spread
        spread = np.hypot(se, ref_se)
        zs[key] = (mean - ref) / spread if spread > 0 else (0.0 if mean == ref else np.inf)
    worst = max(zs, key=lambda k: abs(zs[k]))
    mad = np.mean([abs(fig1[k]["code_score"][0] - v) for k, v in REFERENCE_FIG1_SCORE.items()])
    claims.append(
        {
            "experiment": "figure1",
            "claim": "equilibrium code score matches March's original program at all 27 points "
            f"(|z| < {Z_REFERENCE:g})",
            "figures": f"mean |diff| {mad:.3f}; worst p1={worst[0]}, p2={worst[1]}: "
            f"{fig1[worst]['code_score'][0]:.3f}±{fig1[worst]['code_score'][1]:.3f} vs "
            f"{REFERENCE_FIG1_SCORE[worst]:.3f}",
            "a": fig1[worst]["code_score"][0],
            "a_se": fig1[worst]["code_score"][1],
            "b": REFERENCE_FIG1_SCORE[worst],
            "b_se": np.nan,
            "difference": fig1[worst]["code_score"][0] - REFERENCE_FIG1_SCORE[worst],
            "difference_se": np.nan,
            "z": abs(zs[worst]),
            "passed": bool(abs(zs[worst]) < Z_REFERENCE),
        }
    )

    # Figure 2: heterogeneity. Claim: half p1=0.1 + half p1=0.9 vs everyone p1=0.5 (same mean);
    # results also for 0..50 fast (p1=0.9) learners among slow (p1=0.1) ones, as in March's figure
    het = {}
    for fast in HETEROGENEITY_FAST:
        p1 = np.where(np.arange(n) < fast, 0.9, 0.1)
        res = march1991_batch(p1, 0.5, reps=reps, seed=_seed(seed, f"heterogeneity fast={fast}"), **kw)
        uncapped &= bool(res["equilibrium"].all())
        pop = "uniform" if fast in (0, n) else f"mix {fast} fast (0.9) / {n - fast} slow (0.1)"
        rows += _rows(
            "heterogeneity", res, population=pop, p1=float(p1.mean()), p2=0.5, p3=0.0, p4=0.0, period=None, **kw
        )
        het[fast] = mean_se(res["code_proportion"])
    res = march1991_batch(0.5, 0.5, reps=reps, seed=_seed(seed, "heterogeneity uniform 0.5"), **kw)
    uncapped &= bool(res["equilibrium"].all())
    rows += _rows("heterogeneity", res, population="uniform", p1=0.5, p2=0.5, p3=0.0, p4=0.0, period=None, **kw)
    claims.append(
        _claim(
            "heterogeneity",
            "p2=0.5: half p1=0.1 + half p1=0.9 beats uniform p1=0.5 at equilibrium",
            het[n // 2],
            mean_se(res["code_proportion"]),
            "mix",
            "uniform",
        )
    )
    claims.append(
        {
            "experiment": "equilibrium",
            "claim": f"every run to equilibrium got there within {MAX_PERIODS} periods",
            "figures": "all" if uncapped else "some runs hit the cap",
            "a": np.nan,
            "a_se": np.nan,
            "b": np.nan,
            "b_se": np.nan,
            "difference": np.nan,
            "difference_se": np.nan,
            "z": np.nan,
            "passed": uncapped,
        }
    )
    bar.update()

    # Figure 3: turnover, code knowledge at period 20 (p2=0.5); one batch per p1
    turn: dict[tuple[float, float], tuple[float, float]] = {}
    for p1 in TURNOVER_P1:
        p3s = np.repeat(np.array(TURNOVER_P3), reps)
        res = march1991_batch(
            p1, 0.5, p3s, periods=TURNOVER_PERIOD, reps=p3s.size, seed=_seed(seed, f"turnover p1={p1}"), **kw
        )
        for p3 in TURNOVER_P3:
            sel = np.isclose(p3s, p3)
            rows += _rows(
                "turnover",
                res,
                population="uniform",
                p1=p1,
                p2=0.5,
                p3=p3,
                p4=0.0,
                period=TURNOVER_PERIOD,
                sel=sel,
                measures=("code_proportion", "code_score", "individual_proportion"),
                **kw,
            )
            turn[(p1, p3)] = mean_se(res["code_proportion"][sel])
        bar.update()
    moderate = [p3 for p3 in TURNOVER_P3 if 0 < p3 <= 0.2]
    best = max(moderate, key=lambda p3: turn[(0.9, p3)][0])
    claims.append(
        _claim(
            "turnover",
            f"p1=0.9: moderate turnover (best p3 in {moderate}) beats none at period {TURNOVER_PERIOD}",
            turn[(0.9, best)],
            turn[(0.9, 0.0)],
            f"p3={best}",
            "p3=0",
        )
    )

    # Figures 4-5: turbulence p4=0.02 over 100 periods, without and with turnover (p1=p2=0.5)
    turb = {}
    for p3 in (0.0, TURBULENCE_P3):
        res = march1991_batch(
            0.5,
            0.5,
            p3,
            TURBULENCE_P4,
            periods=TURBULENCE_PERIODS,
            reps=reps,
            seed=_seed(seed, f"turbulence p3={p3}"),
            history=True,
            **kw,
        )
        H = res["history"]["code_proportion"]
        for t in range(TURBULENCE_PERIODS + 1):
            mean, se = mean_se(H[:, t])
            rows.append(
                dict(
                    experiment="turbulence",
                    population="uniform",
                    p1=0.5,
                    p2=0.5,
                    p3=p3,
                    p4=TURBULENCE_P4,
                    n=n,
                    m=m,
                    period=t,
                    measure="code_proportion",
                    mean=mean,
                    se=se,
                    reps=reps,
                )
            )
        turb[p3] = H
    H0 = turb[0.0]
    peak = int(np.argmax(H0.mean(axis=0)))
    drop = H0[:, peak] - H0[:, -1]  # paired: the same runs at the peak and at the end
    claims.append(
        _claim(
            "turbulence",
            f"p4={TURBULENCE_P4}, no turnover: code knowledge decays from its peak "
            f"(period {peak}) to period {TURBULENCE_PERIODS}",
            mean_se(H0[:, peak]),
            mean_se(H0[:, -1]),
            f"t={peak}",
            f"t={TURBULENCE_PERIODS}",
            diff_se=mean_se(drop)[1],
        )
    )
    claims.append(
        _claim(
            "turbulence",
            f"p4={TURBULENCE_P4}: turnover p3={TURBULENCE_P3} keeps code knowledge "
            f"higher than none at period {TURBULENCE_PERIODS}",
            mean_se(turb[TURBULENCE_P3][:, -1]),
            mean_se(H0[:, -1]),
            f"p3={TURBULENCE_P3}",
            "p3=0",
        )
    )
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
            line = ax.errorbar(FIG1_P1, mean, yerr=se, marker="o", ms=4, capsize=3, label=f"p2 = {p2}")
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
        (
            r.experiment,
            textwrap.wrap(str(r.claim), width),
            textwrap.wrap(str(r.figures), width),
            "" if pd.isna(r.z) else f"{r.z:.1f}",
            "PASS" if r.passed else "FAIL",
        )
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
    out += [
        sep,
        f"{passed}/{len(df)} claims pass. z = difference / its standard error; a claim "
        f"passes at z > {Z:g} (agreement with the reference: worst |z| < {Z_REFERENCE:g}).",
    ]
    return "\n".join(out)
