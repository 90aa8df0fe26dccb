"""Does a policy pay, when, and for how long? Payback against a reference, on common random numbers.

Small functions over a comparison's tidy step table (one row per scenario, replication and week):
the cumulative cash and discounted cash (NPV) of each run, their paired differences to the reference
with 95 % intervals week by week, the break-even week (with its interval), the return on the extra
policy spend, and each policy's value (NPV + customer equity, :func:`sim.analysis.scorecard.valuation`)
and rank at chosen horizons. Replication r of every scenario shares its seed, so the differences are
taken run by run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.scorecard import valuation
from sim.analysis.stats import halfwidth
from sim.engine.ledger import POLICY_COSTS
from sim.engine.market import weekly_discount

HORIZONS = (52, 104, 260)  # 1, 2 and 5 years


def cumulative(steps: pd.DataFrame, annual_discount: float) -> pd.DataFrame:
    """Per scenario, replication and week: cumulative ``cash`` (profit), ``npv`` (discounted profit) and
    discounted policy ``spend`` (the levers' costs) since step 0."""
    d = weekly_discount(annual_discount)
    s = steps.sort_values(["scenario", "rep", "step"])
    factor = (1.0 + d) ** -s["step"].to_numpy(float)
    policy = s[[c for c in POLICY_COSTS if c in s]].sum(axis=1).to_numpy()
    out = s[["scenario", "rep", "step"]].copy()
    g = out.assign(cash=s["profit"].to_numpy(), npv=s["profit"].to_numpy() * factor, spend=policy * factor)
    g.loc[g["step"] == 0, ["cash", "npv", "spend"]] = 0.0  # row 0 is the state at the start, not a week
    for col in ("cash", "npv", "spend"):
        g[col] = g.groupby(["scenario", "rep"])[col].cumsum()
    return g


def payback(steps: pd.DataFrame, names, reference: str, annual_discount: float, level: float = 0.95) -> pd.DataFrame:
    """Week by week, each scenario minus the reference (paired by replication): mean cumulative cash,
    NPV and policy-spend differences with their t intervals."""
    cum = cumulative(steps, annual_discount).set_index(["scenario", "rep", "step"])
    ref = cum.xs(reference, level="scenario")
    rows = []
    for name in names:
        if name == reference:
            continue
        diff = (cum.xs(name, level="scenario") - ref).dropna()
        g = diff.groupby(level="step")
        mean, sd, n = g.mean(), g.std(ddof=1), g.count()
        hw = pd.DataFrame(halfwidth(sd.to_numpy(), n.to_numpy(), level), index=mean.index, columns=mean.columns)
        for col in ("cash", "npv", "spend"):
            rows.append(
                pd.DataFrame(
                    {"scenario": name, "reference": reference, "measure": col, "step": mean.index,
                     "difference": mean[col].to_numpy(), "ci_low": (mean[col] - hw[col]).to_numpy(),
                     "ci_high": (mean[col] + hw[col]).to_numpy(), "n": n[col].to_numpy()}
                )
            )  # fmt: skip
    cols = ["scenario", "reference", "measure", "step", "difference", "ci_low", "ci_high", "n"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)


def _first_week_staying_positive(steps: np.ndarray, values: np.ndarray) -> float:
    """The first week from which ``values`` stays >= 0 up to the horizon (NaN: not within it)."""
    below = np.flatnonzero(values < 0)
    if below.size == 0:
        return float(steps[0])
    last = below[-1]
    return float(steps[last + 1]) if last + 1 < steps.size else np.nan


def breakeven(pay: pd.DataFrame, measure: str = "cash") -> pd.DataFrame:
    """Per scenario: the break-even week of the cumulative ``measure`` difference to the reference --
    the first week from which the mean difference stays >= 0 -- with an interval read off the paired
    band (``earliest``: the upper bound stays >= 0; ``latest``: the lower bound does). NaN means not
    within the horizon."""
    rows = []
    for name, d in pay[pay["measure"] == measure].groupby("scenario", sort=False):
        d = d.sort_values("step")
        weeks = d["step"].to_numpy()
        rows.append(
            {"scenario": name, "measure": measure,
             "breakeven_week": _first_week_staying_positive(weeks, d["difference"].to_numpy()),
             "earliest": _first_week_staying_positive(weeks, d["ci_high"].to_numpy()),
             "latest": _first_week_staying_positive(weeks, np.nan_to_num(d["ci_low"].to_numpy(), nan=-1.0)),
             "horizon": int(weeks[-1]), "difference_at_horizon": float(d["difference"].iloc[-1])}
        )  # fmt: skip
    return pd.DataFrame(rows)


def horizon_values(steps: pd.DataFrame, names, annual_discount: float, horizons=HORIZONS) -> pd.DataFrame:
    """Each scenario's value (NPV of cash + customer equity, money of step 0) at each horizon within the
    run (and at the run's own horizon), mean over replications with its t interval, and its rank
    (1 = most valuable) at that horizon."""
    last = int(steps["step"].max())
    rows = []
    for h in sorted({h for h in horizons if h <= last} | {last}):
        cut = steps[steps["step"] <= h]
        for name in names:
            vals = np.array(
                [valuation(g, annual_discount)["value"] for _, g in cut[cut["scenario"] == name].groupby("rep")]
            )
            mean, hw = float(vals.mean()), float(halfwidth(vals.std(ddof=1), vals.size)) if vals.size > 1 else np.nan
            rows.append({"horizon": h, "scenario": name, "value": mean, "ci_low": mean - hw, "ci_high": mean + hw})
    out = pd.DataFrame(rows, columns=["horizon", "scenario", "value", "ci_low", "ci_high"])
    out["rank"] = out.groupby("horizon")["value"].rank(ascending=False, method="min").astype("Int64")
    return out


def returns(pay: pd.DataFrame, values: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Per scenario at the run's horizon: the extra policy spend (discounted) against the reference, the
    extra value (NPV + customer equity), and the net value per unit of extra spend (NaN if it spends
    no more than the reference)."""
    if values.empty:
        return pd.DataFrame(columns=["scenario", "extra_spend", "extra_value", "return_per_unit"])
    h = int(values["horizon"].max())
    v = values[values["horizon"] == h].set_index("scenario")["value"]
    rows = []
    for name, d in pay[pay["measure"] == "spend"].groupby("scenario", sort=False):
        spend = float(d.sort_values("step")["difference"].iloc[-1])
        extra = float(v[name] - v[reference])
        rows.append({"scenario": name, "extra_spend": spend, "extra_value": extra,
                     "return_per_unit": extra / spend if spend > 0 else np.nan})  # fmt: skip
    return pd.DataFrame(rows)
