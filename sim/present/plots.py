"""Figures for single runs and comparisons.

Every function takes the tidy tables of :mod:`sim.experiments.compare` -- a step table with ``scenario``,
``rep`` and ``step`` columns, a runs table with one row per run -- so a single run is simply the
n = 1 case of a comparison (no bands, no error bars). Figures are plain
``matplotlib.figure.Figure`` objects, not pyplot figures: they need no GUI, are never kept alive
by pyplot, and are rendered with the Agg backend when saved (``png_bytes``, ``save_png``).
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.kpis import PERSPECTIVES, SCORE_COLUMNS, outcome_label
from sim.analysis.stats import halfwidth
from sim.engine.channels import CHANNELS, CROSS_LEVEL, EXTERNAL, INTERNAL, SECI_MODES
from sim.engine.measures import column_label

SECI_SHORT = {"socialization": "S", "externalization": "E", "combination": "C", "internalization": "I"}
XIE_GROUPS = (INTERNAL, CROSS_LEVEL, EXTERNAL)

# The KPI time series shown by default (DESIGN.md "Outputs").
MAIN_COLUMNS = (
    "retention_rate",
    "satisfaction_mean",
    "relational_capital",
    "profit",
    "knowledge_gap",
    "knowledge_individual",
    "knowledge_team",
    "knowledge_org",
)


def step_label(column: str) -> tuple[str, str]:
    """(title, axis label with unit) of a step-table column, from its declaration."""
    return column_label(column)


def kpi_label(kpi: str) -> tuple[str, str]:
    """(description, unit) of a summary KPI (scorecard KPIs, scores, realized CLV)."""
    return outcome_label(kpi)


def colors(names) -> dict[str, str]:
    """One colour per scenario, in the given order, the same in every figure."""
    cycle = [
        "#1f77b4",
        "#d62728",
        "#2ca02c",
        "#9467bd",
        "#ff7f0e",
        "#8c564b",
        "#e377c2",
        "#17becf",
        "#7f7f7f",
        "#bcbd22",
    ]
    return {n: cycle[i % len(cycle)] for i, n in enumerate(names)}


def _names(df: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(df["scenario"]))


def _n_reps(df: pd.DataFrame) -> int:
    return int(df.groupby("scenario")["rep"].nunique().max()) if len(df) else 0


def _how(n: int, what: str = "bars") -> str:
    return "one run" if n <= 1 else f"mean of {n} replications; {what}: 95 % t interval"


# --- time series ---------------------------------------------------------------------------------


def timeseries(steps: pd.DataFrame, columns=None, title: str | None = None) -> Figure:
    """KPI time series, one panel per column, one line per scenario with a 95 % band over replications."""
    columns = list(columns) if columns is not None else [c for c in MAIN_COLUMNS if c in steps.columns]
    missing = [c for c in columns if c not in steps.columns]
    if missing or not columns:
        raise ValueError(f"unknown step column(s) {missing}; expected some of: {', '.join(steps.columns)}")
    names, n = _names(steps), _n_reps(steps)
    col = colors(names)
    ncols = 1 if len(columns) == 1 else 2
    nrows = math.ceil(len(columns) / ncols)
    fig = Figure(figsize=(5.6 * ncols, 2.5 * nrows + 1.0), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    for ax, column in zip(axes.flat, columns):
        for name in names:
            g = steps.loc[steps["scenario"] == name].groupby("step")[column]
            mean, sd, cnt = g.mean(), g.std(), g.count()
            x = mean.index.to_numpy()
            ax.plot(x, mean.to_numpy(), color=col[name], lw=1.6, label=name)
            if (cnt > 1).any():
                hw = halfwidth(sd.to_numpy(), cnt.to_numpy())
                ax.fill_between(x, mean - hw, mean + hw, color=col[name], alpha=0.2, lw=0)
        head, unit = step_label(column)
        ax.set_title(head, fontsize=10)
        ax.set_ylabel(unit, fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("week")
    for ax in list(axes.flat)[len(columns) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(names), 6), frameon=False, title="scenario")
    fig.suptitle(title or f"KPI time series ({_how(n, 'bands')})", fontsize=11)
    return fig


# --- balanced scorecard --------------------------------------------------------------------------


def _bars(
    ax, groups: list[str], names: list[str], means: np.ndarray, hws: np.ndarray, col: dict, labels: bool = True
) -> None:
    """Grouped vertical bars: ``means[i, j]`` for group i, scenario j, with error bars ``hws``."""
    width = 0.8 / max(len(names), 1)
    x = np.arange(len(groups))
    for j, name in enumerate(names):
        pos = x - 0.4 + width * (j + 0.5)
        err = hws[:, j] if np.isfinite(hws[:, j]).any() else None
        bars = ax.bar(
            pos,
            means[:, j],
            width * 0.95,
            color=col[name],
            label=name,
            yerr=err,
            capsize=3 if err is not None else 0,
            error_kw={"lw": 1},
        )
        if labels and len(names) <= 6:  # inside the bar, so error bars stay readable
            ax.bar_label(
                bars,
                [f"{v:.0f}" if np.isfinite(v) and v >= 8 else "" for v in means[:, j]],
                label_type="center",
                fontsize=7,
                color="white",
                fontweight="bold",
            )
    ax.set_xticks(x, groups)


def scorecard_chart(runs: pd.DataFrame, title: str | None = None) -> Figure:
    """Four-perspective chart: each perspective's weighted score (0-100) per scenario, and the overall score."""
    names, n = _names(runs), _n_reps(runs)
    cols = [SCORE_COLUMNS[p] for p in PERSPECTIVES] + ["score"]
    groups = list(PERSPECTIVES) + ["overall"]
    g = runs.groupby("scenario", sort=False)[cols]
    means = g.mean().reindex(names).T.to_numpy()
    hws = halfwidth(g.std().reindex(names).T.to_numpy(), g.count().reindex(names).T.to_numpy())
    fig = Figure(figsize=(max(7.0, 1.6 * len(groups) + 0.5 * len(names)), 4.2), layout="constrained")
    ax = fig.subplots()
    _bars(ax, groups, names, means, hws, colors(names))
    ax.axhline(100, color="grey", ls=":", lw=1)
    ax.set_ylim(0, 112)
    ax.set_ylabel("weighted attainment, 0-100\n(100 = every target met)")
    ax.set_xlabel("balanced-scorecard perspective")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="scenario")
    fig.suptitle(title or f"Balanced scorecard by perspective ({_how(n)})", fontsize=11)
    return fig


# --- knowledge flows -----------------------------------------------------------------------------


def flow_table(steps: pd.DataFrame) -> pd.DataFrame:
    """Beliefs moved per year by each channel, per run: scenario, rep, channel, group, seci, per_year."""
    meta = pd.DataFrame(
        [(c.name, c.group, c.seci, c.mechanism) for c in CHANNELS], columns=["channel", "group", "seci", "mechanism"]
    )
    cols = [f"transfers_{c}" for c in meta["channel"] if f"transfers_{c}" in steps.columns]
    flow = steps.loc[steps["step"] > 0]
    totals = flow.groupby(["scenario", "rep"], sort=False)[cols].sum()
    weeks = flow.groupby(["scenario", "rep"], sort=False)["step"].count().clip(lower=1)
    per_year = totals.div(weeks / 52.0, axis=0)
    per_year.columns = [c[len("transfers_") :] for c in per_year.columns]
    long = per_year.reset_index().melt(id_vars=["scenario", "rep"], var_name="channel", value_name="per_year")
    return long.merge(meta, on="channel", how="left")


def _grouped(table: pd.DataFrame, key: str, order, names) -> tuple[np.ndarray, np.ndarray]:
    per_run = table.groupby(["scenario", "rep", key], sort=False)["per_year"].sum().reset_index()
    g = per_run.groupby(["scenario", key])["per_year"]
    mean = g.mean().unstack("scenario").reindex(index=list(order), columns=names)
    hw = halfwidth(
        g.std().unstack("scenario").reindex(index=list(order), columns=names).to_numpy(),
        g.count().unstack("scenario").reindex(index=list(order), columns=names).to_numpy(),
    )
    return mean.fillna(0.0).to_numpy(), hw


def flows(steps: pd.DataFrame, title: str | None = None) -> Figure:
    """How much knowledge moved through each channel, grouped by SECI mode and by Xie's three groups."""
    table = flow_table(steps)
    names, n = _names(steps), _n_reps(steps)
    col = colors(names)
    channels = [c for c in CHANNELS if c.name in set(table["channel"])]
    fig = Figure(figsize=(13.0, max(7.0, 0.32 * len(channels) * max(1, len(names)) ** 0.5 + 2.0)), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.0, 1.25])
    ax_seci, ax_xie = left.subplots(2, 1)
    unit = "beliefs moved per year (log scale)"
    for ax, key, order, labels, head in (
        (ax_seci, "seci", SECI_MODES, [f"{m}\n({SECI_SHORT[m]})" for m in SECI_MODES], "By SECI mode (Nonaka)"),
        (
            ax_xie,
            "group",
            XIE_GROUPS,
            [g.replace(" ", "\n", 1) for g in XIE_GROUPS],
            "By group of transfer (Xie 3.1-3.3)",
        ),
    ):
        mean, hw = _grouped(table, key, order, names)
        _bars(ax, labels, names, mean, hw, col, labels=False)
        ax.set_yscale("symlog", linthresh=10)
        top = np.nanmax(np.concatenate([mean.ravel(), (mean + np.nan_to_num(hw)).ravel(), [10.0]]))
        ax.set_ylim(0, top * 3)
        ax.set_ylabel(unit, fontsize=8)
        ax.set_title(head, fontsize=10)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    ax = right.subplots()
    per_channel = table.groupby(["scenario", "channel"])["per_year"].mean().unstack("scenario")
    per_channel = per_channel.reindex(index=[c.name for c in channels], columns=names).fillna(0.0)
    # rows: a heading per Xie group, then its channels
    pos, ticks, labels, headings = {}, [], [], []
    row = 0
    for group in XIE_GROUPS:
        members = [c for c in channels if c.group == group]
        if not members:
            continue
        headings.append((row, group))
        row += 1
        for c in members:
            pos[c.name] = row
            ticks.append(row)
            labels.append(f"{c.title} ({SECI_SHORT[c.seci]})")
            row += 1
    height = 0.8 / max(len(names), 1)
    y = np.array([pos[c.name] for c in channels], dtype=float)
    for j, name in enumerate(names):
        ax.barh(y - 0.4 + height * (j + 0.5), per_channel[name].to_numpy(), height * 0.95, color=col[name], label=name)
    ax.set_yticks(ticks, labels, fontsize=8)
    for r, group in headings:
        ax.text(
            -0.02,
            r,
            group,
            transform=ax.get_yaxis_transform(),
            ha="right",
            va="center",
            fontsize=8.5,
            fontweight="bold",
        )
        ax.axhline(r + 0.5, color="#bbb", lw=0.6)
    ax.set_ylim(row - 0.5, -0.5)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(0, max(float(per_channel.to_numpy().max()), 10.0) * 3)
    ax.set_xlabel(unit)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("By channel, grouped by Xie's group (S/E/C/I = SECI mode)", fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(names), 6), frameon=False, title="scenario")
    fig.suptitle(title or f"Knowledge flows ({_how(n)})", fontsize=11)
    return fig


# --- differences to a reference ------------------------------------------------------------------


def differences(diff: pd.DataFrame, kpis=None, title: str | None = None) -> Figure:
    """One panel per KPI: each scenario's difference to the reference with its paired 95 % interval
    (common random numbers, thick) and the unpaired Welch interval (thin, grey) for contrast."""
    if diff.empty:
        fig = Figure(figsize=(6, 2), layout="constrained")
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, "one scenario only: nothing to compare", ha="center", va="center")
        return fig
    kpis = list(kpis) if kpis is not None else list(dict.fromkeys(diff["kpi"]))
    names = list(dict.fromkeys(diff["scenario"]))
    reference = diff["reference"].iloc[0]
    col = colors([reference, *names])
    ncols = min(4, len(kpis))
    nrows = math.ceil(len(kpis) / ncols)
    fig = Figure(figsize=(3.4 * ncols + 0.6, 0.35 * len(names) * nrows + 1.25 * nrows + 1.2), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    y = np.arange(len(names))
    for ax, kpi in zip(axes.flat, kpis):
        d = diff.loc[diff["kpi"] == kpi].set_index("scenario").reindex(names)
        ax.axvline(0, color="black", lw=0.8)
        for i, name in enumerate(names):
            r = d.loc[name]
            ax.hlines(i + 0.22, r["welch_ci_low"], r["welch_ci_high"], color="grey", lw=1.2)
            ax.hlines(i, r["paired_ci_low"], r["paired_ci_high"], color=col[name], lw=4, alpha=0.8)
            ax.plot(
                [r["difference"]],
                [i],
                "o",
                color="black" if r["excludes_zero"] else "white",
                mec="black",
                ms=4,
                zorder=3,
            )
        ax.set_yticks(y, names if ax.get_subplotspec().is_first_col() else [""] * len(names), fontsize=8)
        ax.set_ylim(len(names) - 0.4, -0.6)
        _, unit = kpi_label(kpi)
        ax.set_title(kpi, fontsize=9)
        ax.set_xlabel(f"difference ({unit})" if unit else "difference", fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(kpis) :]:
        ax.set_visible(False)
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="#555", lw=4, label="paired 95 % interval (common random numbers)"),
        Line2D([], [], color="grey", lw=1.2, label="unpaired (Welch) 95 % interval"),
        Line2D([], [], marker="o", color="black", ls="", label="mean difference; filled: paired interval excludes 0"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    n = int(diff["n"].max())
    fig.suptitle(title or f"Difference to {reference!r} per KPI ({n} paired replications)", fontsize=11)
    return fig


def payback(pay: pd.DataFrame, breakeven: pd.DataFrame | None = None, title: str | None = None) -> Figure:
    """Cumulative cash and NPV of each scenario minus the reference, week by week, with paired 95 %
    bands; a dotted line at each scenario's break-even week."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True)
    if pay.empty:
        for ax in axes:
            ax.axis("off")
        axes[0].text(0.5, 0.5, "one scenario only: nothing to compare", ha="center", va="center")
        return fig
    names = list(dict.fromkeys(pay["scenario"]))
    col = colors([pay["reference"].iloc[0], *names])
    for ax, measure, label in ((axes[0], "cash", "cumulative cash"), (axes[1], "npv", "cumulative NPV")):
        for name in names:
            d = pay[(pay["scenario"] == name) & (pay["measure"] == measure)].sort_values("step")
            ax.plot(d["step"], d["difference"], color=col[name], lw=1.6, label=name)
            ax.fill_between(d["step"], d["ci_low"], d["ci_high"], color=col[name], alpha=0.2, lw=0)
            if breakeven is not None and measure == "cash":
                week = breakeven.set_index("scenario").get("breakeven_week", pd.Series(dtype=float)).get(name)
                if week is not None and np.isfinite(week):
                    ax.axvline(week, color=col[name], ls=":", lw=1)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(f"{label}: scenario - {pay['reference'].iloc[0]}", fontsize=9)
        ax.set_xlabel("week", fontsize=8)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(
        title or "Payback: does the policy pay, and when? (paired 95 % bands; dotted: break-even)", fontsize=10
    )
    return fig


def robust_winners(
    outcomes: pd.DataFrame, winners: pd.DataFrame, uncertain, policies, title: str | None = None
) -> Figure:
    """Which policy wins where: each sampled future on the first two uncertain axes, coloured by the
    policy with the highest value there (one axis: value against the uncertainty)."""
    col = colors(policies)
    fig = Figure(figsize=(6.5, 4.5), layout="constrained")
    ax = fig.subplots()
    x = uncertain[0]
    y = uncertain[1] if len(uncertain) > 1 else "value"
    for name in policies:
        w = winners[winners["policy_name"] == name]
        ax.scatter(w[x], w[y], color=col[name], s=40, label=f"{name} ({len(w)})", edgecolors="black", lw=0.4)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend(fontsize=8, title="best on value", title_fontsize=8)
    ax.grid(alpha=0.3)
    fig.suptitle(title or "Which policy wins where", fontsize=10)
    return fig


def pareto(trials: pd.DataFrame, objectives, best: pd.DataFrame, title: str | None = None) -> Figure:
    """Every trial of an optimization: two objectives against each other with the Pareto front marked,
    or one objective by trial with the best so far; infeasible (over-budget) trials hollow."""
    fig = Figure(figsize=(6.5, 4.2), layout="constrained")
    ax = fig.subplots()
    if trials.empty:
        ax.axis("off")
        return fig
    ok = trials["feasible"].astype(bool)
    keys = [k for k, _ in objectives]
    if len(keys) >= 2:
        x, y = keys[0], keys[1]
        ax.scatter(trials.loc[ok, x], trials.loc[ok, y], s=18, color="#4575b4", label="trials")
        ax.scatter(
            trials.loc[~ok, x], trials.loc[~ok, y], s=18, facecolors="none", edgecolors="#999", label="over budget"
        )
        front = trials[trials["best"]].sort_values(x)
        ax.plot(front[x], front[y], "o-", color="#d73027", label="Pareto front")
        ax.set_xlabel(x)
        ax.set_ylabel(y)
    else:
        k, direction = objectives[0]
        ax.scatter(trials.loc[ok, "trial"], trials.loc[ok, k], s=18, color="#4575b4", label="trials")
        ax.scatter(trials.loc[~ok, "trial"], trials.loc[~ok, k], s=18, facecolors="none", edgecolors="#999",
                   label="over budget")  # fmt: skip
        run = trials[k].where(ok).cummax() if direction == "maximize" else trials[k].where(ok).cummin()
        ax.plot(trials["trial"], run, color="#d73027", label="best so far")
        ax.set_xlabel("trial")
        ax.set_ylabel(k)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.suptitle(title or "Optimization trials", fontsize=10)
    return fig


VERDICT_COLORS = {"PASS": "#1a9850", "FAIL": "#d73027", "n.s.": "#999999", "not used": "#dddddd"}


def forest(table: pd.DataFrame, title: str | None = None) -> Figure:
    """The patterns as a forest plot: each expectation's effect with its paired 95 % interval, in units
    of the outcome's seed-to-seed standard deviation (so outcomes in different units share one axis),
    coloured by verdict; the expected direction is marked on the right."""
    t = table[table["verdict"] != "not used"].reset_index(drop=True)
    fig = Figure(figsize=(9.5, 0.24 * max(len(t), 4) + 1.4), layout="constrained")
    ax = fig.subplots()
    scale = t["sd_base"].where(t["sd_base"] > 0, np.nan)
    y = np.arange(len(t))
    for i, r in t.iterrows():
        sd = scale[i]
        if not np.isfinite(sd):  # an outcome that does not vary between seeds: show the raw effect
            sd = 1.0
        c = VERDICT_COLORS.get(r["verdict"], "#999999")
        ax.hlines(i, r["ci_low"] / sd, r["ci_high"] / sd, color=c, lw=3)
        ax.plot([r["effect"] / sd], [i], "o", color=c, mec="black", ms=4, zorder=3)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, [f"{r.change}: {r.outcome} ({r.expected})" for r in t.itertuples()], fontsize=7)
    ax.set_ylim(len(t) - 0.5, -0.5)
    ax.set_xlabel("effect of the change / seed-to-seed sd of the outcome (paired 95 % interval)", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, lw=3, label=v) for v, c in VERDICT_COLORS.items() if v != "not used"]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    fig.suptitle(title or "Does the model behave as theory expects? (expected sign in brackets)", fontsize=10)
    return fig


# --- saving --------------------------------------------------------------------------------------


def png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG (rendered by Agg)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def save_png(fig: Figure, path: Path, dpi: int = 100) -> bytes:
    """Write the figure as a PNG atomically; returns the bytes (to embed them in a report)."""
    from sim.io.outputs import atomic_write_bytes

    data = png_bytes(fig, dpi)
    atomic_write_bytes(Path(path), data)
    return data
