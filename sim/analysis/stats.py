"""Intervals of means and of differences: small pure functions of arrays (NaN where undefined)."""

from __future__ import annotations

import numpy as np


def t_quantile(df, level: float = 0.95):
    """The two-sided ``level`` quantile of Student's t with ``df`` degrees of freedom (NaN for df <= 0)."""
    from scipy import stats

    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        return stats.t.ppf(0.5 + level / 2, np.where(df > 0, df, np.nan))


def halfwidth(sd, n, level: float = 0.95):
    """Half-width of the t interval of a mean from ``sd`` and ``n`` (NaN for n < 2); scalars or arrays."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return t_quantile(n - 1, level) * np.asarray(sd, dtype=float) / np.sqrt(n)


def mean_interval(x, level: float = 0.95) -> dict:
    """mean, sd, n and the t interval of the mean of the finite values of ``x`` (NaN when n < 2)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    mean = float(x.mean()) if n else float("nan")
    sd = float(x.std(ddof=1)) if n > 1 else float("nan")
    hw = float(halfwidth(sd, n, level))
    return {"mean": mean, "sd": sd, "n": n, "ci_low": mean - hw, "ci_high": mean + hw}


def mean_se(x) -> tuple[float, float]:
    """Mean and standard error of the mean (NaN standard error for fewer than two values)."""
    x = np.asarray(x, dtype=float)
    se = float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")
    return float(x.mean()), se


def welch_interval(a, b, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``a - b`` with the unpaired Welch t interval: (difference, low, high)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    diff = float(a.mean() - b.mean()) if a.size and b.size else float("nan")
    if a.size < 2 or b.size < 2:
        return diff, float("nan"), float("nan")
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se2 = va + vb
    if se2 == 0:
        return diff, diff, diff
    df = se2**2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    hw = float(t_quantile(df, level)) * np.sqrt(se2)
    return diff, diff - hw, diff + hw


def paired_difference(a, b, level: float = 0.95) -> dict:
    """``a - b`` over pairs (``a[i]`` and ``b[i]`` share their random numbers): the t interval of the
    mean difference over the pairs where both are finite, and the correlation of those pairs."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    out = mean_interval(a - b, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["correlation"] = (
            float(np.corrcoef(a, b)[0, 1]) if a.size > 1 and a.std() > 0 and b.std() > 0 else float("nan")
        )
    return out
