"""March (1991) on the engine: the equilibrium, reproducibility, batched == single, and the
published qualitative results.

Tolerances. Every comparison is a difference of means over independent replications, judged in
standard errors (s.e. = sd / sqrt(reps), s.e. of a difference = hypot of the two). Qualitative
claims must hold by more than ``Z_CLAIM = 5`` s.e.: the effects measured with 2,000 replications
are 10-30 s.e. at the replication counts used here (figures in each test), so missing 5 s.e. by
noise is practically impossible (it would take a 5-25 s.e. fluctuation), while a broken rule
(e.g. socialization not gradual, code learning from post-socialization beliefs) moves the
numbers by far more. "Same distribution" checks allow ``Z_SAME = 4`` s.e. (false alarm
probability 6e-5 per check).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.engine.knowledge import act, socialization
from sim.io.errors import OutputError
from sim.validation.experiments import REFERENCE_FIG1_SCORE, format_claims, validation_report
from sim.validation.march import at_equilibrium, march1991, march1991_batch, superior_group

Z_CLAIM = 5.0
Z_SAME = 4.0


def mse(x) -> tuple[float, float]:
    x = np.asarray(x, dtype=float)
    return x.mean(), x.std(ddof=1) / np.sqrt(x.size)


def z_diff(a, b) -> float:
    (ma, sa), (mb, sb) = mse(a), mse(b)
    return (ma - mb) / np.hypot(sa, sb)


# --- equilibrium -----------------------------------------------------------------------------


@pytest.mark.parametrize("p1", [0.1, 0.5, 0.9])
def test_equilibrium_really_is_one(p1):
    res = march1991(p1, 0.5, seed=int(p1 * 10))
    B, code, reality = res["beliefs"], res["code"], res["reality"]
    assert res["equilibrium"] and res["periods"] < 1_000
    assert at_equilibrium(B, code, reality)
    # (a) nobody differs from a non-zero code dimension: socialization has nothing to do
    assert not ((code != 0) & (B != code)).any()
    assert socialization(B.copy(), code, 1.0, np.random.default_rng(0)) == 0
    # (b) nobody can beat the code, whatever the coin flips: best case, every 0 acts right
    best = (B.astype(int) @ reality) + (B == 0).sum(axis=1)
    assert best.max() <= code.astype(int) @ reality
    g = np.random.default_rng(1)
    assert not any(superior_group(act(B, g), code, reality).any() for _ in range(200))


def test_batched_runs_end_at_their_own_equilibrium():
    res = march1991_batch(0.3, 0.5, reps=40, seed=2, return_state=True)
    assert res["equilibrium"].all()
    assert at_equilibrium(res["beliefs"], res["code"], res["reality"]).all()
    assert len(np.unique(res["periods"])) > 5  # each replication stopped on its own


def test_equilibrium_condition_on_constructed_states():
    reality = np.array([1, 1, -1, -1], dtype=np.int8)
    code = np.array([1, 1, -1, 0], dtype=np.int8)  # score 3
    agree = np.array([[1, 1, -1, -1]], dtype=np.int8)  # differs only where the code is 0: best 4
    assert not at_equilibrium(agree, code, reality)  # it can still beat the code
    wrong = np.array([[1, 1, -1, 1]], dtype=np.int8)  # best 2 < 3 and agrees on the code's items
    assert at_equilibrium(wrong, code, reality)
    unsure = np.array([[1, 1, -1, 0]], dtype=np.int8)  # a 0 may flip right: best 4 > 3
    assert not at_equilibrium(unsure, code, reality)
    differs = np.array([[1, 0, -1, 1]], dtype=np.int8)  # socialization still has work
    assert not at_equilibrium(differs, code, reality)


# --- reproducibility and input checks ---------------------------------------------------------


def test_same_seed_same_result():
    a, b = march1991(0.5, 0.5, seed=7), march1991(0.5, 0.5, seed=7)
    assert a["periods"] == b["periods"] and np.array_equal(a["code"], b["code"])
    assert np.array_equal(a["beliefs"], b["beliefs"])
    c, d = (march1991(0.5, 0.5, 0.1, 0.02, periods=30, seed=3) for _ in range(2))
    assert np.array_equal(c["code"], d["code"]) and np.array_equal(c["reality"], d["reality"])
    e, f = (march1991_batch(0.5, 0.5, reps=20, seed=4) for _ in range(2))
    assert all(np.array_equal(e[k], f[k]) for k in ("code_score", "periods"))
    other = march1991_batch(0.5, 0.5, reps=20, seed=5)
    assert not np.array_equal(e["code_score"], other["code_score"])


def test_input_checks():
    with pytest.raises(ValueError):
        march1991(0.5, 0.5, p3=0.1)  # no equilibrium with turnover
    with pytest.raises(ValueError):
        march1991(np.full(10, 0.5), 0.5, n=50)  # wrong length
    with pytest.raises(ValueError):
        march1991(1.5, 0.5)
    with pytest.raises(ValueError):
        march1991_batch(0.5, 0.5, p4=0.02, reps=3)
    with pytest.raises(ValueError):
        march1991_batch(0.5, 0.5, reps=3, history=True)


def test_history():
    res = march1991(0.5, 0.5, 0.1, 0.02, periods=25, seed=1, history=True)
    h = res["history"]
    assert len(h["code_proportion"]) == 26 and h["code_proportion"][0] == 0.0  # code starts at 0
    assert h["code_proportion"][-1] == res["code_proportion"]
    b = march1991_batch(0.5, 0.5, 0.1, 0.02, periods=25, reps=6, seed=1, history=True)
    assert b["history"]["code_proportion"].shape == (6, 26)
    assert np.allclose(b["history"]["code_proportion"][:, -1], b["code_proportion"])


# --- the batched engine implements the same rules as the single run ---------------------------


@pytest.mark.parametrize(
    "kw",
    [
        dict(p1=0.5, p2=0.5),  # to equilibrium
        dict(p1=np.where(np.arange(50) < 25, 0.1, 0.9), p2=0.9),  # per-person rates
        dict(p1=0.9, p2=0.5, p3=0.1, p4=0.02, periods=30),  # turnover and turbulence
    ],
    ids=["equilibrium", "mixed-p1", "turnover-turbulence"],
)
def test_batched_equals_single_in_distribution(kw):
    reps = 300
    single = [march1991(seed=1000 + s, **kw) for s in range(reps)]
    batch = march1991_batch(reps=reps, seed=99, **kw)
    for key in ("code_score", "individual_proportion", "periods"):
        a = [r[key] for r in single]
        if np.ptp(a) == 0 and np.ptp(batch[key]) == 0:
            assert a[0] == batch[key][0]
            continue
        assert abs(z_diff(a, batch[key])) < Z_SAME, key


# --- March's results --------------------------------------------------------------------------


def test_figure1_slow_socialization_gives_higher_equilibrium_knowledge():
    # p2 = 0.5, 400 runs per point. Measured with 2,000 runs: proportion correct 0.977, 0.905,
    # 0.868 at p1 = 0.1, 0.5, 0.9 (sd 0.05-0.10, s.e. here 0.0025-0.005): 0.1 vs 0.9 is ~20 s.e.
    reps = 400
    prop = {p1: march1991_batch(p1, 0.5, reps=reps, seed=10 + i) for i, p1 in enumerate((0.1, 0.5, 0.9))}
    assert z_diff(prop[0.1]["code_proportion"], prop[0.9]["code_proportion"]) > Z_CLAIM
    assert z_diff(prop[0.1]["code_proportion"], prop[0.5]["code_proportion"]) > Z_CLAIM
    assert z_diff(prop[0.5]["code_proportion"], prop[0.9]["code_proportion"]) > 3.0  # ~7 s.e.
    # and the values are those of March's original program (code score, 10,000 runs each)
    for p1, res in prop.items():
        mean, se = mse(res["code_score"])
        assert abs(mean - REFERENCE_FIG1_SCORE[(p1, 0.5)]) < Z_SAME * se, (p1, mean)


def test_figure1_code_learning_rate_matters_little_when_slow():
    # p2 = 0.1 is flat in p1 (0.80-0.86 score in the reference): slow socialization helps least
    reps = 300
    lo = march1991_batch(0.1, 0.1, reps=reps, seed=20)["code_score"]
    hi = march1991_batch(0.1, 0.9, reps=reps, seed=21)["code_score"]
    assert z_diff(hi, lo) > Z_CLAIM  # 0.972 vs 0.863 in the reference, ~20 s.e. here


def test_heterogeneity_mix_beats_uniform():
    # 2,000 runs: mix 0.952 (s.e. 0.0008), uniform 0.907 (0.0010); at 400 runs the difference
    # is ~15 s.e.
    reps = 400
    mix = np.where(np.arange(50) < 25, 0.1, 0.9)
    a = march1991_batch(mix, 0.5, reps=reps, seed=30)["code_proportion"]
    b = march1991_batch(0.5, 0.5, reps=reps, seed=31)["code_proportion"]
    assert z_diff(a, b) > Z_CLAIM


def test_turnover_helps_fast_socialization():
    # period 20, p2 = 0.5, p1 = 0.9. 2,000 runs: p3 = 0 -> 0.871, p3 = 0.1 -> 0.920 (s.e. 0.001);
    # at 400 runs the difference is ~14 s.e. Full turnover (p3 = 1) keeps the code near chance
    # learning: 0.755.
    reps = 400
    p3s = np.repeat([0.0, 0.1, 1.0], reps)
    res = march1991_batch(0.9, 0.5, p3s, periods=20, reps=p3s.size, seed=40)["code_proportion"]
    none, moderate, full = res[:reps], res[reps : 2 * reps], res[2 * reps :]
    assert z_diff(moderate, none) > Z_CLAIM
    assert z_diff(moderate, full) > Z_CLAIM


def test_turbulence_decay_and_turnover():
    # p4 = 0.02, p1 = p2 = 0.5, 100 periods. 2,000 runs: without turnover the mean code
    # proportion peaks at ~0.81 around period 8 and decays to ~0.51 at period 100; with p3 = 0.1
    # it stays ~0.79. With 200 runs both differences are > 20 s.e.
    reps = 200
    kw = dict(p4=0.02, periods=100, reps=reps, history=True)
    h0 = march1991_batch(0.5, 0.5, 0.0, seed=50, **kw)["history"]["code_proportion"]
    h1 = march1991_batch(0.5, 0.5, 0.1, seed=51, **kw)["history"]["code_proportion"]
    early = h0[:, 10]
    assert mse(h0[:, -1] - early)[0] / mse(h0[:, -1] - early)[1] < -Z_CLAIM  # paired decay
    assert z_diff(h1[:, -1], h0[:, -1]) > Z_CLAIM


# --- the report -------------------------------------------------------------------------------


def test_validation_report_writes_files_and_claims(tmp_path):
    rep = validation_report(reps=20, out_dir=tmp_path / "out", progress=False)
    claims, results, paths = rep.claims, rep.results, rep.paths
    assert {"experiment", "claim", "figures", "z", "passed"} <= set(claims.columns)
    # figure 1 (slow beats fast, agreement with the reference), heterogeneity, equilibrium reached,
    # turnover, turbulence (decay, turnover helps)
    assert list(claims["experiment"]) == [
        "figure1",
        "figure1",
        "heterogeneity",
        "equilibrium",
        "turnover",
        "turbulence",
        "turbulence",
    ]
    assert claims["passed"].dtype == bool
    assert {"experiment", "p1", "p2", "p3", "p4", "period", "measure", "mean", "se", "reps"} <= set(results.columns)
    for key in ("claims", "results", "figure1"):
        assert paths[key].exists() and paths[key].stat().st_size > 0
    assert pd.read_csv(paths["claims"]).shape[0] == len(claims)
    text = format_claims(claims)
    assert "claims pass" in text and text.count("PASS") + text.count("FAIL") == len(claims)


def test_validation_report_refuses_an_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot write there"):
        validation_report(reps=2, out_dir=blocker / "sub", progress=False)
    with pytest.raises(OutputError, match="is a file"):
        validation_report(reps=2, out_dir=blocker, progress=False)
