"""Knowledge arrays and the SECI primitives.

Every knowledge holder -- a person or a store -- is a row of an ``int8`` belief matrix over ``K``
items, with values in {-1, 0, +1} (0 = does not know). Reality is a vector in {-1, +1} that drifts.
A belief held by a person is tacit, one held in a store is explicit. The four SECI modes of Nonaka
are all one operation, *adoption* (a target moves toward a source on the items where they differ),
with different probabilities:

==================  ===============  ==================================  ==========
mode                from -> to       probability per differing item      gradual?
==================  ===============  ==================================  ==========
socialization       person -> person ``rate``                            yes
externalization     person -> store  ``rate * (1 - tacitness)``          no
combination         store -> store   ``rate``                            no
internalization     store -> person  ``rate * (1 - tacitness)``          yes
==================  ===============  ==================================  ==========

*Gradual* is March's (1991) socialization: an opposite belief is first unlearned (-> 0) and only a
0 takes the source's value. Writing into a store replaces the record at once. March's code
learning (``code_learning``) is the majority rule by which a store learns from a group.

All functions work in place on whole arrays and return how many beliefs they changed, so a channel
can report ``transfers_<channel>``. All randomness comes from the ``rng`` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DOMAINS: tuple[str, ...] = ("customer", "product", "supply", "process")


@dataclass(frozen=True)
class KnowledgeSpace:
    """The firm-relevant world: which domain each item is in, how tacit it is, how fast it drifts."""

    domain: np.ndarray  # int8 index into DOMAINS, shape (K,)
    tacitness: np.ndarray  # float64 in [0, 1], shape (K,)
    drift: np.ndarray  # float64 per-step flip probability, shape (K,)

    @property
    def K(self) -> int:
        return int(self.domain.size)

    def items(self, domain: str) -> np.ndarray:
        """Indices of the items of one domain."""
        return np.flatnonzero(self.domain == DOMAINS.index(domain))

    def span(self, domain: str) -> slice:
        """The items of one domain as a slice (items are laid out domain by domain): cheap to index."""
        idx = self.items(domain)
        return slice(int(idx[0]), int(idx[-1]) + 1) if idx.size else slice(0, 0)

    def mask(self, *domains: str) -> np.ndarray:
        """Boolean mask of the items in the given domains (cached: called on the hot path)."""
        cache = self.__dict__.setdefault("_masks", {})
        if domains not in cache:
            out = np.isin(self.domain, [DOMAINS.index(d) for d in domains])
            out.setflags(write=False)
            cache[domains] = out
        return cache[domains]

    @classmethod
    def build(
        cls,
        sizes: dict[str, int],
        tacitness: dict[str, float],
        drift: dict[str, float],
        rng: np.random.Generator,
        tacitness_spread: float = 0.15,
    ) -> KnowledgeSpace:
        """Items laid out domain by domain; tacitness drawn around each domain's mean, clipped to [0, 1]."""
        domain = np.concatenate([np.full(int(sizes[d]), i, dtype=np.int8) for i, d in enumerate(DOMAINS)])
        mean = np.array([tacitness[DOMAINS[i]] for i in domain], dtype=float)
        tac = np.clip(mean + rng.uniform(-tacitness_spread, tacitness_spread, domain.size), 0.0, 1.0)
        flip = np.array([drift[DOMAINS[i]] for i in domain], dtype=float)
        return cls(domain=domain, tacitness=tac, drift=flip)


# --- states -------------------------------------------------------------------------------------


def random_reality(K: int, rng: np.random.Generator) -> np.ndarray:
    """A reality vector: each item +1 or -1 with equal chance."""
    return np.where(rng.random(K) < 0.5, -1, 1).astype(np.int8)


def random_beliefs(n: int, K: int, rng: np.random.Generator) -> np.ndarray:
    """Beliefs drawn uniformly from {-1, 0, +1} (March's initial individuals)."""
    return rng.integers(-1, 2, size=(n, K), dtype=np.int8)


def informed_beliefs(
    n: int,
    reality: np.ndarray,
    known: float | np.ndarray,
    accuracy: float | np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Beliefs of holders who know a share ``known`` of the items, each right with ``accuracy``.

    ``known`` and ``accuracy`` broadcast against ``(n, K)`` (per holder, per item, or scalars).
    """
    K = reality.size
    knows = rng.random((n, K)) < known
    right = rng.random((n, K)) < accuracy
    out = np.where(right, reality, -reality).astype(np.int8)
    out[~knows] = 0
    return out


# --- environment and decay ----------------------------------------------------------------------


def drift(reality: np.ndarray, prob: float | np.ndarray, rng: np.random.Generator) -> int:
    """Turbulence: each item of reality flips with ``prob`` (per item or scalar). Returns flips."""
    flip = rng.random(reality.shape) < prob
    reality[flip] *= -1
    return int(np.count_nonzero(flip))


def forget(beliefs: np.ndarray, prob: float | np.ndarray, rng: np.random.Generator) -> int:
    """People's beliefs decay to 0 (does not know) with ``prob`` per known item."""
    B = np.asarray(beliefs)
    idx = _flatnonzero(B)
    if idx.size == 0:
        return 0
    hit = rng.random(idx.size) < _at(prob, B.shape, idx)
    idx = idx[hit]
    _put(B, idx, 0)
    return int(idx.size)


# --- flat-index helpers (row-major order, any number of dimensions) ---------------------------


def _flatnonzero(a: np.ndarray) -> np.ndarray:
    """Flat indices of the non-zero cells, row-major (``np.flatnonzero`` minus its overhead)."""
    return a.ravel().nonzero()[0]


def _at(a: float | np.ndarray, shape: tuple[int, ...], idx: np.ndarray) -> np.ndarray | float:
    """Values of ``a`` broadcast to ``shape`` at the flat (row-major) indices ``idx``."""
    a = np.asarray(a)
    if a.ndim == 0:
        return a[()]
    if a.shape == shape:
        return a.reshape(-1)[idx]
    K = shape[-1]
    if a.size == K and a.shape[-1] == K:  # one value per item (e.g. a code, per-item rates)
        return a.reshape(-1)[idx % K]
    if a.shape == shape[:-1] + (1,):  # one value per row (e.g. per-person rates)
        return a.reshape(-1)[idx // K]
    return np.broadcast_to(a, shape).reshape(-1)[idx]


def _put(a: np.ndarray, idx: np.ndarray, values) -> None:
    """``a.flat[idx] = values`` in place, fast for C-contiguous arrays."""
    if a.flags.c_contiguous:
        a.reshape(-1)[idx] = values
    else:
        a[np.unravel_index(idx, a.shape)] = values


# --- adoption: the kernel of every SECI mode ----------------------------------------------------


def adopt(
    target: np.ndarray,
    source: np.ndarray,
    prob: float | np.ndarray,
    rng: np.random.Generator,
    gradual: bool,
) -> int:
    """Move ``target`` toward ``source`` where the source knows something the target does not.

    ``source`` and ``prob`` broadcast against ``target`` (``(n, K)`` or ``(K,)``; any number of
    dimensions works, e.g. ``(R, n, K)`` learners against ``(R, 1, K)`` codes). Random numbers are
    drawn only for the differing cells, in row-major order, so cost follows what can move.
    """
    T = np.asarray(target)
    S = np.asarray(source)
    differ = (S != 0) & (T != S)
    if differ.shape != T.shape:
        raise ValueError(f"source {S.shape} does not broadcast to target {T.shape}")
    idx = _flatnonzero(differ)
    if idx.size == 0:
        return 0
    idx = idx[rng.random(idx.size) < _at(prob, T.shape, idx)]
    new = _at(S, T.shape, idx)
    if gradual:
        # where they differ, T is 0 or -S: T + S is S (0 learns the source) or 0 (unlearning)
        new = _at(T, T.shape, idx) + new
    _put(T, idx, new)
    return int(idx.size)


def socialization(
    learners: np.ndarray, teachers: np.ndarray, rate: float | np.ndarray, rng: np.random.Generator
) -> int:
    """Tacit -> tacit between people who meet: gradual, with ``rate`` (tacitness is no barrier)."""
    return adopt(learners, teachers, rate, rng, gradual=True)


def externalization(
    store: np.ndarray,
    persons: np.ndarray,
    rate: float | np.ndarray,
    tacitness: np.ndarray,
    rng: np.random.Generator,
) -> int:
    """Tacit -> explicit: a store records what a person knows, with ``rate * (1 - tacitness)``."""
    return adopt(store, persons, np.asarray(rate, float) * (1.0 - tacitness), rng, gradual=False)


def combination(
    target_store: np.ndarray,
    source_store: np.ndarray,
    rate: float | np.ndarray,
    rng: np.random.Generator,
) -> int:
    """Explicit -> explicit: one store copies another's records with ``rate``."""
    return adopt(target_store, source_store, rate, rng, gradual=False)


def internalization(
    persons: np.ndarray,
    store: np.ndarray,
    rate: float | np.ndarray,
    tacitness: np.ndarray,
    rng: np.random.Generator,
) -> int:
    """Explicit -> tacit: people learn from a store (manuals, databases), gradual, ``rate * (1 - tacitness)``."""
    return adopt(persons, store, np.asarray(rate, float) * (1.0 - tacitness), rng, gradual=True)


def code_learning(
    code: np.ndarray,
    votes: np.ndarray,
    p2: float | np.ndarray,
    rng: np.random.Generator,
    group: np.ndarray | None = None,
) -> int:
    """March's rule: the code learns from the majority of a (superior) group.

    ``votes`` is ``(g, K)`` in {-1, 0, +1} (0 abstains). Where the strict majority differs from the
    code, the code takes the majority value with probability ``1 - (1 - p2) ** k``, ``k`` being
    ``|#(+1) - #(-1)|``. ``p2`` may be per item (e.g. scaled by ``1 - tacitness``).

    Several codes at once: ``code`` is ``(G, K)`` and ``group`` a ``(g,)`` int array saying which
    code (row of ``code``, 0..G-1) each vote row belongs to; every code learns from its own group
    only (a code without votes does not move). ``p2`` then broadcasts against ``(G, K)`` (scalar,
    per item ``(K,)``, per code ``(G, 1)``, or ``(G, K)``). Random numbers are drawn for the
    candidate cells in row-major ``(code, item)`` order.
    """
    if group is not None:
        return _code_learning_groups(code, votes, p2, rng, group)
    if votes.shape[0] == 0:
        return 0
    balance = votes.sum(axis=0, dtype=np.int64)  # votes in {-1, 0, 1}: #(+1) - #(-1)
    majority = np.sign(balance).astype(np.int8)
    cand = np.flatnonzero((majority != 0) & (majority != code))
    if cand.size == 0:
        return 0
    prob = 1.0 - (1.0 - _at(np.asarray(p2, float), code.shape, cand)) ** np.abs(balance[cand])
    hit = cand[rng.random(cand.size) < prob]
    code[hit] = majority[hit]
    return int(hit.size)


def group_balance(votes: np.ndarray, group: np.ndarray, G: int) -> np.ndarray:
    """``#(+1) - #(-1)`` per group and item: a ``(G, K)`` int64 array (0 for empty groups)."""
    votes = np.asarray(votes)
    group = np.asarray(group, dtype=np.intp)
    if votes.ndim != 2 or group.shape != (votes.shape[0],):
        raise ValueError("votes must be (g, K) and group (g,)")
    balance = np.zeros((G, votes.shape[1]), dtype=np.int64)
    if group.size == 0:
        return balance
    if group.min() < 0 or group.max() >= G:
        raise ValueError(f"group ids must be in 0..{G - 1}")
    if np.any(group[1:] < group[:-1]):
        order = np.argsort(group, kind="stable")
        group, votes = group[order], votes[order]
    # votes are in {-1, 0, 1}: their sum is #(+1) - #(-1); reduce each run of equal group ids
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    balance[group[starts]] = np.add.reduceat(votes, starts, axis=0, dtype=np.int64)
    return balance


def _code_learning_groups(
    codes: np.ndarray,
    votes: np.ndarray,
    p2: float | np.ndarray,
    rng: np.random.Generator,
    group: np.ndarray,
) -> int:
    if codes.ndim != 2:
        raise ValueError("with group=, code must be (G, K)")
    balance = group_balance(votes, group, codes.shape[0])
    majority = np.sign(balance).astype(np.int8)
    cand = np.flatnonzero((majority != 0) & (majority != codes))
    if cand.size == 0:
        return 0
    k = np.abs(balance.reshape(-1)[cand])
    prob = 1.0 - (1.0 - _at(np.asarray(p2, float), codes.shape, cand)) ** k
    hit = cand[rng.random(cand.size) < prob]
    _put(codes, hit, majority.reshape(-1)[hit])
    return int(hit.size)


# --- acting and measuring -----------------------------------------------------------------------


def act(beliefs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Actions: a belief of 0 acts as a fair coin flip (March)."""
    B = np.asarray(beliefs, dtype=np.int8)
    # coin = -1 where u < 0.5 else +1, one draw per cell; built without branches (int8 throughout)
    coin = (rng.random(B.shape) < 0.5).view(np.int8) * np.int8(-2) + np.int8(1)
    return B + (B == 0).view(np.int8) * coin


def lookup(tacit: np.ndarray, explicit: np.ndarray) -> np.ndarray:
    """What a person can answer: their own belief, else the store's record."""
    return np.where(tacit != 0, tacit, explicit).astype(np.int8)


def proportion_correct(beliefs: np.ndarray, reality: np.ndarray) -> np.ndarray | float:
    """Share of items a holder gets right (per row for a matrix)."""
    return (beliefs == reality).mean(axis=-1)


def raw_score(beliefs: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """The integer score ``sum(belief * reality)`` over the last axis (broadcasting, so per row of a
    matrix, or stacked ``(R, n, K)`` against ``(R, 1, K)``). Integer einsum: exact, no BLAS threads."""
    return np.einsum("...k,...k->...", beliefs, reality, dtype=np.int32)


def score(beliefs: np.ndarray, reality: np.ndarray) -> np.ndarray | float:
    """March's score ``sum(belief * reality) / K`` (per row for a matrix), in [-1, 1]."""
    return raw_score(beliefs, reality) / reality.shape[-1]


def superior_group(actions: np.ndarray, code: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """March's superior group: who beats the code, ``sum(action * reality)`` strictly above
    ``sum(code * reality)``.

    ``actions (n, K)``, ``code (K,)``, ``reality (K,)`` -> ``(n,)`` bool; or stacked ``(R, n, K)``,
    ``(R, K)``, ``(R, K)`` -> ``(R, n)``. Integer einsum: exact, and no BLAS threads (a float
    matrix product is no faster here and slows down badly on a busy machine).
    """
    ind = np.einsum("...nk,...k->...n", actions, reality, dtype=np.int32)
    return ind > raw_score(code, reality)[..., None]
