"""The market: service quality, SERVQUAL satisfaction, relationships, churn, Bass growth, sales, CLV.

Small functions over whole arrays (one entry per customer or per encounter); the model strings
them together in the order of DESIGN.md "One step". Nothing here loops over customers.
"""

from __future__ import annotations

import numpy as np


def need_weights(
    segments: int,
    customer_items: np.ndarray,
    process_items: np.ndarray,
    K: int,
    own: float,
    other: float,
    process: float,
) -> np.ndarray:
    """Need weight of each item per segment, rows summing to 1.

    Each segment cares most about its own block of customer items (weight ``own``), a little about
    the others' (``other``), and about service know-how (process items, ``process``).
    """
    W = np.zeros((segments, K))
    blocks = np.array_split(customer_items, segments)
    for s in range(segments):
        W[s, customer_items] = other
        W[s, blocks[s]] = own
        W[s, process_items] = process
    return W / W.sum(axis=1, keepdims=True)


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


def perceived_quality(service: np.ndarray, fit: np.ndarray, fit_weight: float) -> np.ndarray:
    """Quality a customer perceives: service plus product fit (``fit_weight`` its share)."""
    return (1.0 - fit_weight) * service + fit_weight * fit


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


def relationship_update(strength, gap, gain, decay):
    """Good encounters (gap >= 0) strengthen a relationship toward 1, bad ones erode it toward 0."""
    return np.where(gap >= 0, strength + gain * (1.0 - strength), strength * (1.0 - decay))


def churn_hazard(
    satisfaction, relationship, base, dissatisfaction_churn, protection, loyalty, loyalty_effect, competition
):
    """Weekly churn probability.

    ``(base + dissatisfaction_churn * max(0, -satisfaction)) * (1 + competition)``, lowered by the
    relationship (a full-strength one removes ``protection`` of it) and by a loyalty scheme
    (``loyalty`` in [0, 1] removes up to ``loyalty_effect`` of it).
    """
    dissatisfaction = np.maximum(0.0, -satisfaction)
    h = (base + dissatisfaction_churn * dissatisfaction) * (1.0 + competition)
    h = h * (1.0 - protection * relationship) * (1.0 - loyalty_effect * loyalty)
    return np.clip(h, 0.0, 1.0)


def bass_hazard(p: float, q: float, referrers: int, potential: int) -> float:
    """Bass (1969) adoption hazard for one prospect: ``p + q * referrers / potential``."""
    if potential <= 0:
        return 0.0
    return float(min(1.0, max(0.0, p + q * referrers / potential)))


def bass_adoptions(prospects: int, p: float, q: float, referrers: int, potential: int, rng) -> int:
    """New customers this step: each remaining prospect converts with the Bass hazard."""
    if prospects <= 0:
        return 0
    return int(rng.binomial(prospects, bass_hazard(p, q, referrers, potential)))


def sale_probability(
    base_rate: float, needs_known: np.ndarray, informed: float, satisfaction: np.ndarray
) -> np.ndarray:
    """Chance of an up-sell or cross-sell in an encounter.

    Grows with how well the serving employee knows the customer's needs (level-2 informed
    decisions); a dissatisfied customer does not buy more.
    """
    return np.clip(base_rate * informed * needs_known * (satisfaction > 0), 0.0, 1.0)


def gupta_lehmann_clv(margin_per_year: float, retention: float, discount: float) -> float:
    """Gupta & Lehmann (2003) closed form: ``m * r / (1 + i - r)``, annual margin, retention, rate."""
    denom = 1.0 + discount - retention
    return float(margin_per_year * retention / denom) if denom > 0 else float("inf")


def annualized(rate_per_week: float | np.ndarray) -> float | np.ndarray:
    """A weekly survival share as an annual one (clipped to [0, 1]; scalar or array)."""
    out = np.clip(rate_per_week, 0.0, 1.0) ** 52
    return float(out) if np.ndim(out) == 0 else out


def weekly(annual_probability: float) -> float:
    """An annual event probability as a weekly hazard."""
    return float(1.0 - (1.0 - annual_probability) ** (1.0 / 52.0))
