"""The market: service quality, SERVQUAL satisfaction, relationships, churn, Bass growth, sales, CLV.

Small functions over whole arrays (one entry per customer or per encounter); the model strings
them together in the order of DESIGN.md "One step". Nothing here loops over customers.
"""

from __future__ import annotations

import numpy as np


def need_weights(
    segments: int, customer_items: np.ndarray, K: int, own: float, other: float, shared: list[tuple[np.ndarray, float]]
) -> np.ndarray:
    """Need weight of each item per segment, rows summing to 1.

    Each segment cares most about its own block of customer items (weight ``own``), a little about
    the others' (``other``), and every segment alike about the ``shared`` (items, weight) groups:
    service know-how, what the products can do, what they are made of.
    """
    W = np.zeros((segments, K))
    blocks = np.array_split(customer_items, segments)
    for s in range(segments):
        W[s, customer_items] = other
        W[s, blocks[s]] = own
        for items, weight in shared:
            W[s, items] = weight
    total = W.sum(axis=1, keepdims=True)
    return np.divide(W, total, out=np.zeros_like(W), where=total > 0)


def answer(tacit: np.ndarray, explicit: np.ndarray, lookup_quality: float, rng: np.random.Generator) -> np.ndarray:
    """What the front line answers: its own belief, else -- if it consults the stores in this
    encounter (probability ``lookup_quality``) -- the record."""
    consult = rng.random((tacit.shape[0], 1)) < lookup_quality
    return np.where(tacit != 0, tacit, np.where(consult, explicit, 0)).astype(np.int8)


def service_quality(answers: np.ndarray, reality: np.ndarray, weights: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Weighted share of the customer's need items answered right (rows: encounters).

    ``weights`` is the (segments, K) need-weight table, ``segment`` each encounter's segment.
    """
    right = answers == reality
    out = np.empty(answers.shape[0])
    for s in range(weights.shape[0]):
        rows = segment == s
        out[rows] = right[rows] @ weights[s]
    return out


def perceived_quality(
    service: np.ndarray, fit: np.ndarray, competence: np.ndarray, fit_weight: float, use_weight: float
) -> np.ndarray:
    """Quality a customer perceives, in [0, 1]: the service it gets, how well the product fits its needs
    (``fit_weight``) and the value it gets in use, which grows with its own product competence
    (``use_weight``; what the front line taught it)."""
    return (1.0 - fit_weight - use_weight) * service + fit_weight * fit + use_weight * competence


def servqual(satisfaction, expectation, quality, competitor_quality, sat_rate, exp_rate, competitor_weight, gain):
    """SERVQUAL (seed 003): satisfaction follows perception - expectation; expectations adapt.

    Returns new (satisfaction, expectation). Satisfaction moves toward ``gain x gap`` (clipped to
    [-1, 1]); expectations toward a mix of experienced and competitors' quality.
    """
    gap = quality - expectation
    target = np.clip(gain * gap, -1.0, 1.0)
    sat = (1.0 - sat_rate) * satisfaction + sat_rate * target
    anchor = (1.0 - competitor_weight) * quality + competitor_weight * competitor_quality
    exp = (1.0 - exp_rate) * expectation + exp_rate * anchor
    return np.clip(sat, -1.0, 1.0), np.clip(exp, 0.0, 1.0)


def relationship_update(strength, gap, gain, decay, scale):
    """Good encounters strengthen a relationship toward 1, bad ones erode it toward 0 -- smoothly.

    An encounter counts as good with weight ``g = logistic(gap / scale)`` (the SERVQUAL gap:
    perceived minus expected quality) and as bad with ``1 - g``: ``s + gain g (1 - s) - decay (1 - g) s``.
    No threshold, so a small change in quality moves relationships a little, not across a cliff.
    """
    g = logistic(np.asarray(gap, dtype=float) / scale)
    return strength + gain * g * (1.0 - strength) - decay * (1.0 - g) * strength


def logistic(x):
    """The logistic function ``1 / (1 + exp(-x))``, overflow-safe."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def churn_hazard(
    satisfaction, relationship, base, satisfaction_slope, dissatisfaction_slope, protection, reduction, competition
):
    """Weekly churn probability, smooth and asymmetric in satisfaction ``S`` in [-1, 1].

    ``base * exp(-satisfaction_slope * max(S, 0) + dissatisfaction_slope * max(-S, 0)) * (1 + competition)``,
    lowered by the relationship (a full-strength one removes ``protection`` of it) and by
    ``reduction`` in [0, 1] (loyalty scheme, switching barriers: the share of the hazard they remove).
    """
    S = np.asarray(satisfaction, dtype=float)
    log_factor = -satisfaction_slope * np.maximum(S, 0.0) + dissatisfaction_slope * np.maximum(-S, 0.0)
    h = base * np.exp(log_factor) * (1.0 + competition)
    h = h * (1.0 - protection * np.asarray(relationship)) * (1.0 - min(max(reduction, 0.0), 1.0))
    return np.clip(h, 0.0, 1.0)


def referral_propensity(satisfaction, midpoint: float, spread: float) -> np.ndarray:
    """How much of a word-of-mouth source a customer is, in (0, 1): a logistic curve in satisfaction,
    a half at ``midpoint``, steeper for a smaller ``spread`` (no threshold: referrals change smoothly)."""
    return logistic((np.asarray(satisfaction, dtype=float) - midpoint) / spread)


def bass_hazard(p: float, q: float, referrers: float, market: int) -> float:
    """Bass (1969) annual adoption hazard of one prospect: ``p + q * referrers / market``, ``market``
    being the whole market (customers and prospects), as in the published coefficients."""
    if market <= 0:
        return 0.0
    return float(min(1.0, max(0.0, p + q * referrers / market)))


def sale_probability(base_rate: float, fit: np.ndarray, satisfaction: np.ndarray) -> np.ndarray:
    """Chance of an up-sell or cross-sell in an encounter: ``base_rate`` x how well the offer fits the
    customer's needs x willingness to buy, ``(1 + S) / 2`` (0 for a furious, 1 for a delighted customer)."""
    return np.clip(base_rate * fit * (1.0 + np.asarray(satisfaction)) / 2.0, 0.0, 1.0)


def weekly_discount(annual_rate: float) -> float:
    """An annual discount rate as a weekly one."""
    return float((1.0 + annual_rate) ** (1.0 / 52.0) - 1.0)


def clv(
    weekly_margin: float,
    weekly_cost: float,
    weekly_retention: float,
    weekly_discount_rate: float,
    horizon: int | None = None,
) -> float:
    """Customer lifetime value on the model's weekly clock (Gupta & Lehmann 2003, weekly).

    A customer active at the start of a week costs ``weekly_cost`` (service, policies) that week and, if
    it stays (``weekly_retention``), brings ``weekly_margin``; discounted at ``weekly_discount_rate``:
    ``sum_t (m r - c) r^(t-1) / (1 + d)^t = (m r - c) / (1 + d - r)`` over an unlimited life, or
    ``(m r - c) / (1 + d) * (1 - x^T) / (1 - x)``, ``x = r / (1 + d)``, over ``horizon`` = T weeks (what
    a cohort can realize within a run).
    """
    m, c, r, d = weekly_margin, weekly_cost, weekly_retention, weekly_discount_rate
    if horizon is None:
        denom = 1.0 + d - r
        return float((m * r - c) / denom) if denom > 0 else float("inf")
    x = r / (1.0 + d)
    weeks = float(horizon) if x == 1.0 else (1.0 - x**horizon) / (1.0 - x)
    return float((m * r - c) / (1.0 + d) * weeks)


def retention(churned, exposed):
    """Annual customer retention: ``(1 - churned / exposed) ** 52``, ``exposed`` being the customers
    at risk (active at the start of each week, summed over the window). The one definition, used by
    the step table (a rolling window), the firm's KPI (the measured run) and the team scorecards;
    undefined (NaN) where no one was at risk: a firm without customers has kept no one. Scalar or array."""
    churned, exposed = np.asarray(churned, dtype=float), np.asarray(exposed, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(exposed > 0, annualized(1.0 - churned / np.where(exposed > 0, exposed, 1.0)), np.nan)
    return float(out) if out.ndim == 0 else out


def annualized(rate_per_week: float | np.ndarray) -> float | np.ndarray:
    """A weekly survival share as an annual one (clipped to [0, 1]; scalar or array)."""
    out = np.clip(rate_per_week, 0.0, 1.0) ** 52
    return float(out) if np.ndim(out) == 0 else out


def weekly(annual_probability: float) -> float:
    """An annual event probability as a weekly hazard."""
    return float(1.0 - (1.0 - annual_probability) ** (1.0 / 52.0))
