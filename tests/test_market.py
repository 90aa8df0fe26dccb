"""sim.engine.market: each function against known values, bounds and directions."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import market
from sim.engine.build import Setup
from sim.engine.knowledge import lookup
from sim.engine.levers import LOYALTY_EFFECT
from sim.engine.processes.encounters import Encounters

# ------------------------------------------------------------------------------ Bass growth


def test_bass_hazard_known_values():
    assert market.bass_hazard(0.01, 0.3, 0, 1000) == pytest.approx(0.01)
    assert market.bass_hazard(0.01, 0.3, 500, 1000) == pytest.approx(0.01 + 0.3 * 0.5)
    assert market.bass_hazard(0.0, 0.2, 1000, 1000) == pytest.approx(0.2)
    # bounded to a probability, and no market means no adoption
    assert market.bass_hazard(0.5, 1.0, 10_000, 1000) == 1.0
    assert market.bass_hazard(0.01, 0.3, 10, 0) == 0.0


def test_bass_hazard_grows_with_referrers():
    h = [market.bass_hazard(0.001, 0.1, r, 5000) for r in range(0, 5001, 500)]
    assert np.all(np.diff(h) > 0)


def test_bass_adoptions_mean_matches_binomial_expectation():
    rng = np.random.default_rng(7)
    prospects, p, q, referrers, potential = 3000, 0.002, 0.05, 1200, 4000
    h = p + q * referrers / potential
    draws = np.array([market.bass_adoptions(prospects, p, q, referrers, potential, rng) for _ in range(4000)])
    mean, var = prospects * h, prospects * h * (1 - h)
    se = np.sqrt(var / draws.size)
    # 4 standard errors of the mean of 4,000 binomial draws: a correct sampler fails 1 in 16,000
    assert abs(draws.mean() - mean) < 4 * se
    assert draws.var(ddof=1) == pytest.approx(var, rel=0.1)
    assert draws.min() >= 0 and draws.max() <= prospects


def test_bass_adoptions_edge_cases():
    rng = np.random.default_rng(0)
    assert market.bass_adoptions(0, 0.1, 0.1, 10, 100, rng) == 0
    assert market.bass_adoptions(-5, 0.1, 0.1, 10, 100, rng) == 0
    assert market.bass_adoptions(100, 0.0, 0.0, 10, 100, rng) == 0
    assert market.bass_adoptions(100, 1.0, 0.0, 10, 100, rng) == 100


SERVQUAL = (Encounters.COMPETITOR_WEIGHT, Encounters.SERVQUAL_GAIN)
NEEDS = (Setup.NEED_OWN, Setup.NEED_OTHER, Setup.NEED_PROCESS)


# ------------------------------------------------------------------------------ churn


def _churn(sat=0.0, rel=0.0, base=0.004, dis=0.03, prot=0.6, loyalty=0.0, comp=0.3):
    return market.churn_hazard(
        np.asarray(sat, float), np.asarray(rel, float), base, dis, prot, loyalty, LOYALTY_EFFECT, comp
    )


def test_churn_hazard_known_value():
    # (base + dis * max(0, -sat)) * (1 + comp) * (1 - prot * rel) * (1 - 0.5 * loyalty)
    expected = (0.004 + 0.03 * 0.5) * 1.3 * (1 - 0.6 * 0.5) * (1 - 0.5 * 0.4)
    assert _churn(-0.5, 0.5, loyalty=0.4) == pytest.approx(expected)
    assert _churn(0.7, 0.0, comp=0.0) == pytest.approx(0.004)  # satisfied: only the base hazard


def test_churn_hazard_monotone_in_dissatisfaction():
    sat = np.linspace(-1, 1, 41)
    h = _churn(sat)
    assert np.all(np.diff(h[sat <= 0]) < 0)  # less dissatisfied -> lower hazard
    assert np.all(h[sat >= 0] == h[-1])  # satisfaction above 0 does not matter
    assert np.all(np.diff(h) <= 0)


def test_churn_hazard_decreasing_in_relationship_and_loyalty():
    rel = np.linspace(0, 1, 11)
    assert np.all(np.diff(_churn(-0.3, rel)) < 0)
    hl = [float(_churn(-0.3, 0.2, loyalty=x)) for x in np.linspace(0, 1, 11)]
    assert np.all(np.diff(hl) < 0)
    assert _churn(-0.3, 0.2, loyalty=1.0) == pytest.approx(0.5 * _churn(-0.3, 0.2, loyalty=0.0))
    # competition raises it
    assert _churn(-0.3, 0.2, comp=0.8) > _churn(-0.3, 0.2, comp=0.1)


def test_churn_hazard_is_a_probability():
    rng = np.random.default_rng(1)
    h = market.churn_hazard(rng.uniform(-1, 1, 1000), rng.uniform(0, 1, 1000), 1.0, 1.0, 0.0, 0.0, 0.5, 1.0)
    assert np.all((h >= 0) & (h <= 1))


# ------------------------------------------------------------------------------ SERVQUAL, relationships


def test_servqual_direction():
    sat0, exp0 = np.zeros(3), np.full(3, 0.5)
    quality = np.array([0.9, 0.5, 0.1])
    sat, exp = market.servqual(sat0, exp0, quality, 0.5, 0.3, 0.1, *SERVQUAL)
    assert sat[0] > 0 and sat[1] == pytest.approx(0.0) and sat[2] < 0  # perception - expectation
    # expectations move toward the anchor: half experienced quality, half competitors
    anchor = 0.5 * quality + 0.5 * 0.5
    assert exp == pytest.approx(0.9 * exp0 + 0.1 * anchor)
    # known value: target = clip(2 * (0.9 - 0.5)) = 0.8; sat = 0.7 * 0 + 0.3 * 0.8
    assert sat[0] == pytest.approx(0.24)


def test_servqual_bounds():
    rng = np.random.default_rng(2)
    n = 2000
    sat, exp = market.servqual(
        rng.uniform(-1, 1, n), rng.uniform(0, 1, n), rng.uniform(0, 1, n), rng.uniform(0, 1, n), 1.0, 1.0, *SERVQUAL
    )
    assert np.all((sat >= -1) & (sat <= 1)) and np.all((exp >= 0) & (exp <= 1))
    # a quality 0.5 above expectation saturates satisfaction at +1 with full adaptation
    s, _ = market.servqual(np.array([0.0]), np.array([0.2]), np.array([0.7]), 0.5, 1.0, 0.0, *SERVQUAL)
    assert s[0] == pytest.approx(1.0)


def test_relationship_update():
    s = np.array([0.0, 0.5, 1.0, 0.5])
    gap = np.array([0.1, 0.0, 0.3, -0.2])
    out = market.relationship_update(s, gap, 0.04, 0.03)
    assert out == pytest.approx([0.04, 0.5 + 0.04 * 0.5, 1.0, 0.5 * 0.97])
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, 1000)
    y = market.relationship_update(x, rng.uniform(-1, 1, 1000), 1.0, 1.0)
    assert np.all((y >= 0) & (y <= 1))


# ------------------------------------------------------------------------------ sales, CLV, rates


def test_sale_probability():
    known = np.array([0.0, 0.5, 1.0, 1.0, 1.0])
    sat = np.array([0.5, 0.5, 0.5, 0.0, -0.5])
    p = market.sale_probability(0.02, known, 1.0, sat)
    assert p == pytest.approx([0.0, 0.01, 0.02, 0.0, 0.0])  # dissatisfied customers do not buy more
    assert market.sale_probability(0.02, known, 0.4, sat) == pytest.approx(0.4 * p)
    assert np.all(market.sale_probability(1.0, np.ones(3), 5.0, np.ones(3)) == 1.0)


def test_gupta_lehmann_clv_closed_form():
    m, r, i = 120.0, 0.8, 0.1
    assert market.gupta_lehmann_clv(m, r, i) == pytest.approx(m * r / (1 + i - r))
    # ... which is the infinite discounted sum of margins of the survivors, sum_t m r^t / (1+i)^t
    t = np.arange(1, 2000)
    assert market.gupta_lehmann_clv(m, r, i) == pytest.approx(float((m * r**t / (1 + i) ** t).sum()))
    assert market.gupta_lehmann_clv(m, 0.0, i) == 0.0
    assert market.gupta_lehmann_clv(m, 1.0, 0.0) == float("inf")


@pytest.mark.parametrize("p", [0.0, 0.05, 0.2, 0.25, 0.5, 0.9])
def test_weekly_and_annualized_round_trip(p):
    w = market.weekly(p)
    assert 0.0 <= w <= p
    assert market.annualized(1.0 - w) == pytest.approx(1.0 - p)


def test_annualized_clips():
    assert market.annualized(1.5) == 1.0
    assert market.annualized(-0.1) == 0.0
    assert market.annualized(0.99) == pytest.approx(0.99**52)
    assert market.weekly(1.0) == 1.0
    # arrays too (the team scorecards annualize one weekly rate per team)
    assert market.annualized(np.array([1.5, 0.99, -0.1])) == pytest.approx([1.0, 0.99**52, 0.0])


# ------------------------------------------------------------------------------ needs and service


def _items():
    cust, prod, sup, proc = np.arange(0, 8), np.arange(8, 12), np.arange(12, 14), np.arange(14, 18)
    return cust, prod, sup, proc, 18


def test_need_weights():
    cust, prod, sup, proc, K = _items()
    W = market.need_weights(4, cust, proc, K, *NEEDS)
    assert W.shape == (4, K)
    assert W.sum(axis=1) == pytest.approx(np.ones(4))
    assert np.all(W >= 0)
    assert np.all(W[:, prod] == 0) and np.all(W[:, sup] == 0)
    blocks = np.array_split(cust, 4)
    for s in range(4):
        own, other = W[s, blocks[s]], W[s, np.setdiff1d(cust, blocks[s])]
        assert np.allclose(own / other.max(), 5.0)  # own block 1, the others 0.2
        assert np.allclose(W[s, proc] / own.max(), 0.5)
    # one segment: every customer item is its own
    W1 = market.need_weights(1, cust, proc, K, *NEEDS)
    assert W1.sum() == pytest.approx(1.0) and np.allclose(W1[0, cust], W1[0, cust[0]])


def test_answer_uses_stores_only_where_tacit_is_zero():
    rng = np.random.default_rng(4)
    tacit = rng.integers(-1, 2, size=(500, 30), dtype=np.int8)
    explicit = rng.choice(np.array([-1, 1], dtype=np.int8), size=(500, 30))
    ans = market.answer(tacit, explicit, 0.5, rng)
    known = tacit != 0
    assert np.array_equal(ans[known], tacit[known])
    unknown = ~known
    assert np.all((ans[unknown] == explicit[unknown]) | (ans[unknown] == 0))
    # lookup is per encounter (a row consults the stores or not)
    looked = np.any(unknown & (ans != 0), axis=1)
    assert np.array_equal(ans[looked], lookup(tacit[looked], explicit[looked]))
    assert np.all(ans[~looked][unknown[~looked]] == 0)
    assert 0.4 < looked.mean() < 0.6
    # full and no lookup
    assert np.array_equal(market.answer(tacit, explicit, 1.0, rng), lookup(tacit, explicit))
    assert np.array_equal(market.answer(tacit, explicit, 0.0, rng), tacit)
    assert ans.dtype == np.int8


def test_service_quality_hand_computation():
    cust, prod, sup, proc, K = _items()
    W = market.need_weights(2, cust, proc, K, *NEEDS)
    reality = np.where(np.arange(K) % 3 == 0, -1, 1).astype(np.int8)
    answers = np.stack([reality, -reality, np.zeros(K, np.int8), reality.copy()])
    answers[3, cust[:4]] *= -1  # wrong on segment 0's own block
    segment = np.array([0, 1, 0, 0])
    q = market.service_quality(answers, reality, W, segment)
    hand3 = sum(W[0, k] for k in range(K) if answers[3, k] == reality[k])
    assert q == pytest.approx([1.0, 0.0, 0.0, hand3])
    assert hand3 == pytest.approx(1.0 - W[0, cust[:4]].sum())
    # the same answers matter less to a segment whose own block is elsewhere
    assert market.service_quality(answers[3:], reality, W, np.array([1]))[0] > hand3


def test_perceived_quality():
    """A weighted mean of service and fit in which service weighs more (FIT_WEIGHT is fit's share)."""
    FIT = Encounters.FIT_WEIGHT
    only_service, only_fit = market.perceived_quality(np.array([1.0, 0.0]), np.array([0.0, 1.0]), FIT)
    assert only_service + only_fit == pytest.approx(1.0)  # weights sum to 1
    assert only_fit == pytest.approx(FIT) and only_service > only_fit
    x = np.linspace(0, 1, 5)
    assert market.perceived_quality(x, x, FIT) == pytest.approx(x)  # equal parts: that value
    q = market.perceived_quality(np.array([0.2, 0.9]), np.array([0.8, 0.4]), FIT)
    assert np.all((q > [0.2, 0.4]) & (q < [0.8, 0.9]))  # strictly between the two parts
