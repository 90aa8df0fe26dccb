"""sim.engine.market: each function against known values, bounds and directions."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.schema import SCHEMA
from sim.engine import market
from sim.engine.knowledge import lookup

SERVQUAL = (0.5, 2.0)  # competitors' share of the expectation anchor; SERVQUAL gain

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


def test_referral_propensity_is_smooth_and_increasing():
    s = np.linspace(-1, 1, 201)
    rho = market.referral_propensity(s, 0.3, 0.15)
    assert np.all(np.diff(rho) > 0) and np.all((rho > 0) & (rho < 1))
    assert market.referral_propensity(0.3, 0.3, 0.15) == pytest.approx(0.5)
    assert np.max(np.diff(rho)) < 0.02  # no cliff: a step of 0.01 in satisfaction moves it by < 0.02


# ------------------------------------------------------------------------------ churn


def _churn(sat=0.0, rel=0.0, base=0.005, up=0.7, down=1.8, prot=0.6, reduction=0.0, comp=0.3):
    return market.churn_hazard(np.asarray(sat, float), np.asarray(rel, float), base, up, down, prot, reduction, comp)


def test_churn_hazard_known_value():
    # base * exp(-up * S+ + down * S-) * (1 + comp) * (1 - prot * rel) * (1 - reduction)
    assert _churn(-0.5, 0.5, reduction=0.2) == pytest.approx(0.005 * np.exp(0.9) * 1.3 * 0.7 * 0.8)
    assert _churn(0.5, 0.0, comp=0.0) == pytest.approx(0.005 * np.exp(-0.35))
    assert _churn(0.0, 0.0, comp=0.0) == pytest.approx(0.005)


def test_churn_hazard_falls_with_satisfaction_over_its_whole_range():
    sat = np.linspace(-1, 1, 41)
    h = _churn(sat)
    assert np.all(np.diff(h) < 0)  # above 0 too: satisfaction keeps customers over its whole range
    # asymmetric (Anderson & Mittal 2000): a unit of dissatisfaction raises the hazard more than a unit of
    # satisfaction lowers it
    assert _churn(-0.5) / _churn(0.0) > _churn(0.0) / _churn(0.5)


def test_churn_hazard_decreasing_in_relationship_and_reduction():
    rel = np.linspace(0, 1, 11)
    assert np.all(np.diff(_churn(-0.3, rel)) < 0)
    hl = [float(_churn(-0.3, 0.2, reduction=x)) for x in np.linspace(0, 1, 11)]
    assert np.all(np.diff(hl) < 0)
    assert _churn(-0.3, 0.2, reduction=0.5) == pytest.approx(0.5 * _churn(-0.3, 0.2))
    assert _churn(-0.3, 0.2, reduction=1.5) == 0.0  # capped at removing all of it
    assert _churn(-0.3, 0.2, comp=0.8) > _churn(-0.3, 0.2, comp=0.1)  # competition raises it


def test_churn_hazard_is_a_probability():
    rng = np.random.default_rng(1)
    h = market.churn_hazard(rng.uniform(-1, 1, 1000), rng.uniform(0, 1, 1000), 1.0, 1.0, 5.0, 0.0, 0.0, 1.0)
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


def test_relationship_update_is_smooth_in_the_gap():
    s = np.array([0.0, 0.5, 1.0, 0.5])
    gap = np.array([0.1, 0.0, 0.3, -0.2])
    out = market.relationship_update(s, gap, 0.04, 0.03, 0.05)
    g = 1.0 / (1.0 + np.exp(-gap / 0.05))  # how much each encounter counts as good
    assert out == pytest.approx(s + 0.04 * g * (1 - s) - 0.03 * (1 - g) * s)
    assert out[1] == pytest.approx(0.5 + 0.02 * 0.5 - 0.015 * 0.5)  # a gap of 0 is half good, half bad
    # monotone and without a jump at 0: a small change in the gap moves the strength a little
    gaps = np.linspace(-0.5, 0.5, 1001)
    y = market.relationship_update(np.full(gaps.size, 0.5), gaps, 0.04, 0.03, 0.05)
    assert np.all(np.diff(y) > 0) and np.max(np.diff(y)) < 1e-3
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, 1000)
    y = market.relationship_update(x, rng.uniform(-1, 1, 1000), 1.0, 1.0, 0.05)
    assert np.all((y >= 0) & (y <= 1))


# ------------------------------------------------------------------------------ sales, CLV, rates


def test_sale_probability():
    fit = np.array([0.0, 0.5, 1.0, 1.0, 1.0])
    sat = np.array([1.0, 1.0, 1.0, 0.0, -1.0])
    p = market.sale_probability(0.02, fit, sat)
    assert p == pytest.approx([0.0, 0.01, 0.02, 0.01, 0.0])  # a furious customer buys nothing more
    assert np.all(market.sale_probability(5.0, np.ones(3), np.ones(3)) == 1.0)


def test_clv_closed_form_is_the_discounted_sum_of_the_weekly_flows():
    m, c, r, d = 7.0, 1.5, 0.99, 0.002
    t = np.arange(1, 20000)
    flows = (m * r**t - c * r ** (t - 1)) / (1 + d) ** t
    assert market.clv(m, c, r, d) == pytest.approx(float(flows.sum()))
    assert market.clv(m, 0.0, r, d) == pytest.approx(m * r / (1 + d - r))  # Gupta & Lehmann's form, weekly
    assert market.clv(m, 0.0, 1.0, 0.0) == float("inf")


def test_weekly_discount():
    assert (1 + market.weekly_discount(0.1)) ** 52 == pytest.approx(1.1)
    assert market.weekly_discount(0.0) == 0.0


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
    W = market.need_weights(4, cust, K, 1.0, 0.2, [(proc, 0.5)])
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
    W1 = market.need_weights(1, cust, K, 1.0, 0.2, [(proc, 0.5)])
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
    W = market.need_weights(2, cust, K, 1.0, 0.2, [(proc, 0.5)])
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
    """A weighted mean of service, product fit and value in use, the weights summing to 1."""
    FIT, USE = SCHEMA["market.fit_weight"].default, SCHEMA["market.use_weight"].default
    eye = np.eye(3)
    service, fit, use = (market.perceived_quality(*row, FIT, USE) for row in eye)
    assert service + fit + use == pytest.approx(1.0)
    assert fit == pytest.approx(FIT) and use == pytest.approx(USE) and service > fit > use
    x = np.linspace(0, 1, 5)
    assert market.perceived_quality(x, x, x, FIT, USE) == pytest.approx(x)  # equal parts: that value
    q = market.perceived_quality(np.array([0.2, 0.9]), np.array([0.8, 0.4]), np.array([0.5, 0.5]), FIT, USE)
    assert np.all((q > [0.2, 0.4]) & (q < [0.8, 0.9]))  # strictly between the parts
