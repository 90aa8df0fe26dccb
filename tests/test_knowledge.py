"""Unit tests of the knowledge engine (sim/knowledge.py): each SECI primitive does what it says.

Rates are checked empirically: over ``N`` independent cells the share that moved must be within
``4`` standard errors ``sqrt(p (1 - p) / N)`` of the stated probability (a false alarm about once in
16,000 checks), with ``N`` large enough that a wrong formula (e.g. ``rate`` instead of
``rate * (1 - tacitness)``) is many standard errors away.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import knowledge as kn

VALUES = {-1, 0, 1}


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def assert_rate(moved: int, trials: int, p: float, z: float = 4.0) -> None:
    """``moved`` of ``trials`` Bernoulli(p) draws is within ``z`` standard errors of ``p``."""
    if p in (0.0, 1.0):
        assert moved == p * trials
        return
    se = np.sqrt(p * (1 - p) / trials)
    assert abs(moved / trials - p) <= z * se, f"rate {moved / trials:.4f} vs {p:.4f} (se {se:.4f})"


def full(shape, value) -> np.ndarray:
    return np.full(shape, value, dtype=np.int8)


# --- states ---------------------------------------------------------------------------------


def test_random_states_have_the_right_values_and_shares():
    r = kn.random_reality(20_000, rng(1))
    assert r.dtype == np.int8 and set(np.unique(r)) == {-1, 1}
    assert_rate(int((r == 1).sum()), r.size, 0.5)
    b = kn.random_beliefs(200, 100, rng(2))
    assert b.dtype == np.int8 and b.shape == (200, 100) and set(np.unique(b)) == VALUES
    for v in VALUES:
        assert_rate(int((b == v).sum()), b.size, 1 / 3)


def test_informed_beliefs_know_a_share_and_are_right_with_accuracy():
    reality = kn.random_reality(100, rng(3))
    b = kn.informed_beliefs(400, reality, known=0.6, accuracy=0.8, rng=rng(4))
    known = b != 0
    assert_rate(int(known.sum()), b.size, 0.6)
    assert_rate(int((b == reality)[known].sum()), int(known.sum()), 0.8)


def test_knowledge_space_layout():
    ks = kn.KnowledgeSpace.build(
        {"customer": 5, "product": 4, "supply": 3, "process": 2},
        {"customer": 0.5, "product": 0.0, "supply": 0.95, "process": 0.7},
        {"customer": 0.01, "product": 0.0, "supply": 0.0, "process": 0.002},
        rng(5),
    )
    assert ks.K == 14
    assert list(ks.items("product")) == [5, 6, 7, 8]
    assert ks.mask("customer", "process").sum() == 7
    assert np.all((ks.tacitness >= 0) & (ks.tacitness <= 1))
    assert np.all(ks.drift[ks.items("customer")] == 0.01)


# --- socialization: gradual, person -> person, with `rate` -----------------------------------


def test_socialization_is_gradual_and_ignores_unknown_source_items():
    # every (learner, teacher) pair of values, rate 1: the outcome is deterministic
    learner = np.array([[-1, -1, -1, 0, 0, 0, 1, 1, 1]], dtype=np.int8)
    teacher = np.array([[-1, 0, 1, -1, 0, 1, -1, 0, 1]], dtype=np.int8)
    moved = kn.socialization(learner, teacher, 1.0, rng())
    # opposite -> 0, 0 -> teacher, equal or teacher 0 -> unchanged
    assert learner.tolist() == [[-1, -1, 0, -1, 0, 1, 0, 1, 1]]
    assert moved == 4
    # a second step completes the move from the opposite belief
    kn.socialization(learner, teacher, 1.0, rng())
    assert learner.tolist() == [[-1, -1, 1, -1, 0, 1, -1, 1, 1]]


def test_socialization_rate_and_counts():
    n, K, rate = 2_000, 50, 0.3
    learner = kn.random_beliefs(n, K, rng(1))
    teacher = kn.random_beliefs(1, K, rng(2))[0]
    before = learner.copy()
    eligible = (teacher != 0) & (before != teacher)
    moved = kn.socialization(learner, teacher, rate, rng(3))
    changed = learner != before
    assert moved == changed.sum()
    assert not changed[~eligible].any()  # never touches items where the teacher is 0 or agrees
    assert_rate(int(changed.sum()), int(eligible.sum()), rate)
    assert set(np.unique(learner)) <= VALUES


def test_socialization_per_person_rates():
    n, K = 4_000, 40
    rates = np.where(np.arange(n) < n // 2, 0.1, 0.9)[:, None]  # (n, 1): one rate per person
    learner = full((n, K), 0)
    teacher = full(K, 1)
    kn.socialization(learner, teacher, rates, rng(4))
    slow, fast = learner[: n // 2], learner[n // 2 :]
    assert_rate(int(slow.sum()), slow.size, 0.1)
    assert_rate(int(fast.sum()), fast.size, 0.9)


# --- externalization / internalization: rate * (1 - tacitness) -------------------------------


@pytest.mark.parametrize("fn", ["externalization", "internalization"])
def test_explicit_channels_scale_with_one_minus_tacitness(fn):
    n, rate = 4_000, 0.6
    tac = np.array([0.0, 0.25, 0.5, 0.9, 1.0])
    K = tac.size
    target = full((n, K), 0)
    source = full(K, 1)
    moved = getattr(kn, fn)(target, source, rate, tac, rng(6))
    assert moved == (target != 0).sum()
    for k, t in enumerate(tac):
        assert_rate(int((target[:, k] == 1).sum()), n, rate * (1 - t))
    assert not target[:, -1].any()  # fully tacit: never moves


@pytest.mark.parametrize("fn, gradual", [("externalization", False), ("internalization", True)])
def test_explicit_channels_gradual_or_direct(fn, gradual):
    target = full((1, 3), -1)
    source = full(3, 1)
    getattr(kn, fn)(target, source, 1.0, np.zeros(3), rng())
    # a store record is replaced at once; a person unlearns first (-> 0)
    assert target.tolist() == ([[0, 0, 0]] if gradual else [[1, 1, 1]])


def test_combination_copies_directly():
    target = np.array([[-1, 0, 1, -1, 1]], dtype=np.int8)
    source = np.array([[1, 1, 1, 0, 0]], dtype=np.int8)
    moved = kn.combination(target, source, 1.0, rng())
    assert target.tolist() == [[1, 1, 1, -1, 1]] and moved == 2
    # and with a rate
    t = full((5_000, 10), -1)
    assert_rate(kn.combination(t, full(10, 1), 0.25, rng(7)), t.size, 0.25)
    assert set(np.unique(t)) == {-1, 1}  # direct: no 0 in between


# --- forgetting and drift --------------------------------------------------------------------


def test_forget_only_zeroes_known_items_at_the_rate():
    b = kn.random_beliefs(3_000, 40, rng(8))
    before = b.copy()
    moved = kn.forget(b, 0.2, rng(9))
    changed = b != before
    assert moved == changed.sum()
    assert np.all(b[changed] == 0)  # only ever to 0
    assert_rate(int(changed.sum()), int((before != 0).sum()), 0.2)


def test_drift_flips_at_the_rate():
    r = kn.random_reality(50_000, rng(10))
    before = r.copy()
    flips = kn.drift(r, 0.05, rng(11))
    assert flips == (r != before).sum()
    assert np.all(r[r != before] == -before[r != before]) and set(np.unique(r)) == {-1, 1}
    assert_rate(flips, r.size, 0.05)
    # per item probability
    r2 = full(2, 1)
    per_item = np.array([0.0, 1.0])
    assert kn.drift(r2, per_item, rng()) == 1 and r2.tolist() == [1, -1]


# --- code learning: March's majority rule ----------------------------------------------------


def _votes(plus: int, minus: int, zero: int = 0) -> np.ndarray:
    return np.array([1] * plus + [-1] * minus + [0] * zero, dtype=np.int8)[:, None]


@pytest.mark.parametrize(
    "plus, minus, zero, code, p_change",
    [
        (3, 1, 0, 0, 1 - 0.7**2),  # k = 2 against a 0 code
        (3, 1, 5, -1, 1 - 0.7**2),  # abstentions (0 votes) are ignored
        (1, 0, 0, -1, 0.3),  # k = 1
        (5, 0, 0, 0, 1 - 0.7**5),  # k = 5
        (2, 2, 3, 0, 0.0),  # tie: nothing
        (4, 1, 0, 1, 0.0),  # majority already the code: nothing
        (0, 0, 4, 1, 0.0),  # only abstentions: nothing
    ],
)
def test_code_learning_follows_the_majority_rule(plus, minus, zero, code, p_change):
    votes = _votes(plus, minus, zero)
    trials = 20_000
    codes = full(trials, code)  # many independent items, same votes on each
    moved = kn.code_learning(codes, np.repeat(votes, trials, axis=1), 0.3, rng(12))
    assert moved == (codes != code).sum()
    assert_rate(moved, trials, p_change)
    majority = np.sign(plus - minus)
    assert np.all(codes[codes != code] == majority)


def test_code_learning_edge_rates_and_empty_group():
    votes = np.array([[1, -1, 1], [1, -1, -1], [1, 0, 0]], dtype=np.int8)
    code = full(3, 0)
    assert kn.code_learning(code, votes, 1.0, rng()) == 2 and code.tolist() == [1, -1, 0]
    code = full(3, 0)
    assert kn.code_learning(code, votes, 0.0, rng()) == 0 and code.tolist() == [0, 0, 0]
    assert kn.code_learning(code, votes[:0], 1.0, rng()) == 0
    # per-item p2
    code = full(3, 0)
    kn.code_learning(code, votes, np.array([1.0, 0.0, 1.0]), rng())
    assert code.tolist() == [1, 0, 0]


def test_grouped_code_learning_each_code_learns_from_its_own_group():
    codes = np.zeros((3, 2), dtype=np.int8)
    votes = np.array([[1, 1], [-1, -1], [-1, 1], [1, 1]], dtype=np.int8)
    group = np.array([0, 1, 1, 0])  # unsorted on purpose; code 2 has no votes
    moved = kn.code_learning(codes, votes, 1.0, rng(), group=group)
    assert codes.tolist() == [[1, 1], [-1, 0], [0, 0]] and moved == 3
    # per-code p2 (G, 1)
    codes = np.zeros((2, 2), dtype=np.int8)
    kn.code_learning(codes, votes[:2], np.array([[1.0], [0.0]]), rng(), group=np.array([0, 1]))
    assert codes.tolist() == [[1, 1], [0, 0]]


def test_grouped_code_learning_rate_and_single_group_identity():
    trials, p2 = 20_000, 0.4
    votes = np.repeat(_votes(3, 1, 2), trials, axis=1)  # k = 2 on every item
    # one group: identical to the 1-D call with the same generator
    a, b = full(trials, 0), full((1, trials), 0)
    kn.code_learning(a, votes, p2, rng(13))
    kn.code_learning(b, votes, p2, rng(13), group=np.zeros(len(votes), int))
    assert np.array_equal(a, b[0])
    # two groups with different balances: each at its own rate
    votes2 = np.vstack([votes, np.repeat(_votes(1, 0), trials, axis=1)])
    group = np.array([0] * 6 + [1])
    codes = full((2, trials), 0)
    moved = kn.code_learning(codes, votes2, p2, rng(14), group=group)
    assert moved == (codes != 0).sum()
    assert_rate(int((codes[0] == 1).sum()), trials, 1 - (1 - p2) ** 2)
    assert_rate(int((codes[1] == 1).sum()), trials, p2)


def test_group_balance():
    votes = np.array([[1, 0], [-1, -1], [1, 1], [0, 0]], dtype=np.int8)
    bal = kn.group_balance(votes, np.array([2, 0, 2, 0]), 3)
    assert bal.tolist() == [[-1, -1], [0, 0], [2, 1]]
    with pytest.raises(ValueError):
        kn.group_balance(votes, np.array([0, 1, 2, 3]), 3)


# --- acting, looking up, measuring -----------------------------------------------------------


def test_act_keeps_beliefs_and_flips_fair_coins_for_zeros():
    b = kn.random_beliefs(1_000, 60, rng(15))
    a = kn.act(b, rng(16))
    assert a.dtype == np.int8 and set(np.unique(a)) == {-1, 1}
    assert np.array_equal(a[b != 0], b[b != 0])
    zeros = b == 0
    assert_rate(int((a[zeros] == 1).sum()), int(zeros.sum()), 0.5)


def test_lookup_and_measures():
    tacit = np.array([[1, 0, 0, -1]], dtype=np.int8)
    store = np.array([-1, 1, 0, 1], dtype=np.int8)
    assert kn.lookup(tacit, store).tolist() == [[1, 1, 0, -1]]
    reality = np.array([1, 1, -1, -1], dtype=np.int8)
    beliefs = np.array([[1, 1, -1, -1], [1, 0, 1, -1], [-1, -1, 1, 1]], dtype=np.int8)
    assert kn.proportion_correct(beliefs, reality).tolist() == [1.0, 0.5, 0.0]
    assert kn.score(beliefs, reality).tolist() == [1.0, 0.25, -1.0]
    assert kn.proportion_correct(reality, reality) == 1.0


def test_scores_broadcast_and_the_superior_group():
    reality = np.array([1, 1, -1, -1], dtype=np.int8)
    beliefs = np.array([[1, 1, -1, -1], [1, 0, 1, -1], [-1, -1, 1, 1]], dtype=np.int8)
    assert kn.raw_score(beliefs, reality).tolist() == [4, 1, -4]
    code = np.array([1, 0, 0, -1], dtype=np.int8)  # raw score 2
    assert kn.superior_group(beliefs, code, reality).tolist() == [True, False, False]
    tie = np.array([[1, 1, 0, 0]], dtype=np.int8)  # also 2: a tie is not superior
    assert not kn.superior_group(tie, code, reality).any()
    # stacked (R, n, K) against (R, K): each stack against its own code and reality
    R_beliefs = np.stack([beliefs, -beliefs])
    R_code, R_reality = np.stack([code, code]), np.stack([reality, reality])
    assert kn.superior_group(R_beliefs, R_code, R_reality).tolist() == [[True, False, False], [False, False, True]]
    assert kn.score(R_beliefs, R_reality[:, None, :]).tolist() == [[1.0, 0.25, -1.0], [-1.0, -0.25, 1.0]]


# --- shared properties -----------------------------------------------------------------------

PRIMITIVES = {
    "socialization": lambda t, s, r, g: kn.socialization(t, s, r, g),
    "combination": lambda t, s, r, g: kn.combination(t, s, r, g),
    "externalization": lambda t, s, r, g: kn.externalization(t, s, r, np.full(t.shape[-1], 0.3), g),
    "internalization": lambda t, s, r, g: kn.internalization(t, s, r, np.full(t.shape[-1], 0.3), g),
    "forget": lambda t, s, r, g: kn.forget(t, r, g),
    "code_learning": lambda t, s, r, g: kn.code_learning(t[0], s, r, g),
}


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(sorted(PRIMITIVES)),
    n=st.integers(1, 12),
    K=st.integers(1, 12),
    rate=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_values_stay_valid_counts_match_and_seeds_reproduce(name, n, K, rate, seed):
    g = rng(seed)
    target = kn.random_beliefs(n, K, g)
    source = kn.random_beliefs(n, K, g)
    runs = []
    for _ in range(2):
        t = target.copy()
        moved = PRIMITIVES[name](t, source, rate, rng(seed + 1))
        assert set(np.unique(t)) <= VALUES
        assert moved == (t != target).sum()
        runs.append(t)
    assert np.array_equal(runs[0], runs[1])  # same seed -> same result


def test_adopt_on_stacked_arrays_equals_one_call_per_stack():
    """(R, n, K) learners against (R, 1, K) codes draw like R successive 2-D calls."""
    R, n, K = 4, 6, 5
    beliefs = kn.random_beliefs(R * n, K, rng(17)).reshape(R, n, K)
    codes = kn.random_beliefs(R, K, rng(18))
    rates = np.linspace(0.2, 0.9, R * n).reshape(R, n, 1)
    stacked = beliefs.copy()
    kn.socialization(stacked, codes[:, None, :], rates, rng(19))
    loop = beliefs.copy()
    g = rng(19)
    for r in range(R):
        kn.socialization(loop[r], codes[r], rates[r], g)
    assert np.array_equal(stacked, loop)


def test_non_contiguous_target_is_written_in_place():
    b = full((3, 6), 0)
    kn.socialization(b[:, ::2], full(3, 1), 1.0, rng())
    assert b.tolist() == [[1, 0, 1, 0, 1, 0]] * 3
