"""One self-contained ``report.html`` per run or comparison, and the terminal tables.

The page is plain HTML with a small CSS block; figures are embedded as base64 PNG, so the file
can be mailed or opened offline. Status colours are inline styles, so they survive mail clients
that drop ``<style>``: met green, near amber, missed red.
"""

from __future__ import annotations

import base64
import html
import math
import platform
import sys
from datetime import datetime

import numpy as np
import pandas as pd

from sim.analysis.kpis import outcome_label
from sim.analysis.payback import HORIZONS
from sim.analysis.scorecard import KPIS, perspective_scores, weighted_score

STATUS_COLORS = {"met": "#c8e6c9", "near": "#ffe0a3", "missed": "#f8c4c4"}


def headline_kpis(available) -> list[str]:
    """The scorecard's KPIs, then the overall ``score``, in scorecard order: those among ``available``."""
    have = set(available)
    return [k for k in [*KPIS, "score"] if k in have]


# --- numbers -------------------------------------------------------------------------------------


def fmt(x, digits: int = 3) -> str:
    """A number for people: thousands separators for large values, ``digits`` significant digits otherwise."""
    if x is None or isinstance(x, str):
        return "" if x is None else x
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(x):
        return "-" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return f"{x:.{min(decimals, 6)}f}"


def _decimals(hw: float) -> int:
    """Decimals that show a half-width with two significant digits."""
    return max(0, min(6, 1 - int(math.floor(math.log10(abs(hw))))))


def fmt_pm(mean, hw, sign: bool = False) -> str:
    """``mean ±hw`` with as many decimals as the interval supports."""
    if mean is None or not np.isfinite(mean):
        return "-"
    if hw is None or not np.isfinite(hw) or hw == 0:
        text = fmt(mean)
        return ("+" + text if sign and mean > 0 else text) + ("" if hw is None or not np.isfinite(hw) else " ±0")
    d = _decimals(hw)
    plus = "+" if sign else ""
    if abs(mean) >= 1000 or hw >= 100:
        return f"{mean:{plus},.0f} ±{hw:,.0f}"
    return f"{mean:{plus}.{d}f} ±{hw:.{d}f}"


def fmt_ci(low, high) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "-"
    hw = (high - low) / 2
    if hw == 0:
        return f"[{fmt(low)}, {fmt(high)}]"
    if max(abs(low), abs(high)) >= 1000 or hw >= 100:
        return f"[{low:+,.0f}, {high:+,.0f}]"
    d = _decimals(hw)
    return f"[{low:+.{d}f}, {high:+.{d}f}]"


def target_text(target: float, direction: str) -> str:
    return ("<= " if direction == "lower" else ">= ") + fmt(target)


# --- terminal ------------------------------------------------------------------------------------


def _table(rows: list[list[str]], header: list[str], right: set[int] = frozenset()) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r):
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def perspectives_text(card: pd.DataFrame) -> str:
    """``financial 71.2, customer 64.0, ...``: the weighted score of each perspective of a scorecard."""
    return ", ".join(f"{p} {v:.1f}" if v == v else f"{p} - (no weight)" for p, v in perspective_scores(card).items())


def scorecard_text(card: pd.DataFrame) -> str:
    """The firm's scorecard as a terminal table, with the weighted scores."""
    rows, last = [], None
    for r in card.itertuples(index=False):
        rows.append(
            [
                r.perspective if r.perspective != last else "",
                r.kpi,
                fmt(r.value),
                target_text(r.target, r.direction),
                r.status.upper() if r.status == "missed" else r.status,
            ]
        )
        last = r.perspective
    text = _table(rows, ["perspective", "KPI", "value", "target", "status"], right={2, 3})
    return f"{text}\nweighted score: {weighted_score(card):.1f} / 100  ({perspectives_text(card)})"


#: Headline outcomes whose seed-to-seed spread a comparison reports: how much two runs of the same
#: policy differ only because the firm's own stochastic processes (drift, turnover, customers) differ.
SPREAD_KPIS = ("value", "retention_rate", "satisfaction_mean", "acquired_per_year", "knowledge_gap", "score")


def spread_rows(cmp) -> list[list[str]]:
    """Per headline KPI and scenario: the standard deviation over replications and the coefficient of
    variation (sd / |mean|)."""
    s = cmp.summary.set_index(["kpi", "scenario"])
    rows = []
    for k in (k for k in SPREAD_KPIS if (k, cmp.names[0]) in s.index):
        cells = [k]
        for n in cmp.names:
            mean, sd = s.loc[(k, n), "mean"], s.loc[(k, n), "sd"]
            cv = f" ({abs(sd / mean):.0%})" if np.isfinite(sd) and mean else ""
            cells.append(fmt(sd) + cv)
        rows.append(cells)
    return rows


def _week_text(week) -> str:
    return "-" if week is None or not np.isfinite(week) else f"{int(week)}"


def breakeven_text(row) -> str:
    """``week 62 [48, 81]`` or ``not within the horizon`` (interval bounds beyond it shown as ``>H``)."""
    if not np.isfinite(row["breakeven_week"]):
        return f"not within the horizon ({row['horizon']} weeks)"
    late = _week_text(row["latest"]) if np.isfinite(row["latest"]) else f">{row['horizon']}"
    return f"week {int(row['breakeven_week'])} [{_week_text(row['earliest'])}, {late}]"


def payback_rows(cmp) -> list[list[str]]:
    """Per scenario: break-even week of cumulative cash, cumulative cash and NPV differences at the
    horizon, extra policy spend, extra value and the net value per unit of extra spend."""
    rows = []
    pay = cmp.payback
    be = cmp.breakeven.set_index("scenario") if len(cmp.breakeven) else None
    ret = cmp.returns.set_index("scenario") if len(cmp.returns) else None
    for name in cmp.names:
        if name == cmp.reference or be is None:
            continue
        last = pay[(pay["scenario"] == name)].sort_values("step").groupby("measure").last()
        cells = [name, breakeven_text(be.loc[name])]
        for m in ("cash", "npv"):
            r = last.loc[m]
            cells.append(fmt_pm(r["difference"], r["difference"] - r["ci_low"], sign=True))
        if ret is not None and name in ret.index:
            r = ret.loc[name]
            cells += [fmt(r["extra_spend"]), fmt(r["extra_value"])]
            cells.append(f"{r['return_per_unit']:+.2f}" if np.isfinite(r["return_per_unit"]) else "no extra spend")
        rows.append(cells)
    return rows


PAYBACK_HEADER = ["scenario", "break-even (cash)", "cash diff.", "NPV diff.", "extra spend", "extra value", "per unit"]


def ranking_rows(cmp) -> tuple[list[str], list[list[str]]]:
    """Value (NPV + customer equity) ±95 % and rank of each scenario at each horizon within the run."""
    h = cmp.horizons
    horizons = sorted(h["horizon"].unique()) if len(h) else []
    rows = []
    for name in cmp.names:
        cells = [name]
        for y in horizons:
            r = h[(h["horizon"] == y) & (h["scenario"] == name)].iloc[0]
            cells.append(f"{fmt_pm(r['value'], r['value'] - r['ci_low'])} (#{int(r['rank'])})")
        rows.append(cells)
    return [f"{y // 52} yr" if y % 52 == 0 else f"{y} wk" for y in horizons], rows


def comparison_text(cmp, kpis=None) -> str:
    """KPI means with 95 % intervals per scenario (all scored on one yardstick), the seed-to-seed
    spread, paired differences to the reference, payback and the ranking by horizon."""
    kpis = list(kpis or headline_kpis(cmp.summary["kpi"]))
    s = cmp.summary.set_index(["kpi", "scenario"])
    head = [f"{n} (ref)" if n == cmp.reference else n for n in cmp.names]
    rows = [
        [k, outcome_label(k)[1], *(fmt_pm(s.loc[(k, n), "mean"], s.loc[(k, n), "mean"] - s.loc[(k, n), "ci_low"])
                                   for n in cmp.names)]
        for k in kpis
    ]  # fmt: skip
    n = int(cmp.summary["n"].max())
    yardstick = getattr(cmp, "yardstick", "") or cmp.reference
    out = [
        f"KPI means ±95 % t half-width ({n} replications x {cmp.weeks} weeks); every scenario scored on "
        f"the scorecard of {yardstick!r}",
        _table(rows, ["KPI", "unit", *head], right=set(range(2, len(head) + 2))),
        "",
        "Seed-to-seed spread: standard deviation over replications (coefficient of variation)",
        _table(spread_rows(cmp), ["KPI", *head], right=set(range(1, len(head) + 1))),
    ]
    others = [n for n in cmp.names if n != cmp.reference]
    if others:
        d = cmp.differences.set_index(["kpi", "scenario"])
        rows = []
        for k in kpis:
            row = [k]
            for o in others:
                r = d.loc[(k, o)]
                cell = fmt_pm(r["difference"], r["difference"] - r["paired_ci_low"], sign=True)
                row.append(cell + (" *" if r["excludes_zero"] else "  "))
            rows.append(row)
        out += [
            "",
            f"Differences to {cmp.reference} (paired by replication, ±95 % half-width; * = interval excludes 0)",
            _table(rows, ["KPI", *[f"{o} - {cmp.reference}" for o in others]], right=set(range(1, len(others) + 1))),
        ]
        if len(getattr(cmp, "payback", ())):
            out += [
                "",
                f"Payback against {cmp.reference} over {cmp.weeks} weeks (paired ±95 %; money of week 0; per unit = "
                "extra value per unit of extra policy spend)",
                _table(payback_rows(cmp), PAYBACK_HEADER, right={2, 3, 4, 5, 6}),
            ]
    if len(getattr(cmp, "horizons", ())):
        heads, rows = ranking_rows(cmp)
        out += [
            "",
            "Value (NPV + customer equity) and rank at each horizon within the run",
            _table(rows, ["scenario", *heads], right=set(range(1, len(heads) + 1))),
        ]
        if cmp.weeks < max(HORIZONS):
            out.append(f"(run with --steps {max(HORIZONS)} for the {max(HORIZONS) / 52:g}-year ranking)")
    return "\n".join(out)


def robust_rows(res, kpis=None) -> list[list[str]]:
    """Per headline KPI and policy: mean, worst case, max regret and satisficing share."""
    s = res.summary
    rows = []
    for kpi in kpis or res.kpis:
        for r in s[s["kpi"] == kpi].itertuples(index=False):
            rows.append([kpi, r.policy_name, fmt(r.mean), fmt(r.worst), fmt(r.max_regret), fmt(r.mean_regret),
                         f"{r.satisficing:.0%}"])  # fmt: skip
    return rows


ROBUST_HEADER = ["KPI", "policy", "mean", "worst", "max regret", "mean regret", "meets target"]


def robust_text(res) -> str:
    """The robustness tables for the terminal."""
    wins = res.winners["policy_name"].value_counts()
    n = res.outcomes["future"].nunique()
    out = [
        f"Robustness: {len(res.policies)} policies x {n} futures (uncertain: {', '.join(res.uncertain)})",
        _table(robust_rows(res), ROBUST_HEADER, right={2, 3, 4, 5, 6}),
        "",
        "Best policy on value, by number of futures: " + ", ".join(f"{k} {v}" for k, v in wins.items()),
    ]
    prim = res.prim
    if len(prim):
        out += ["", "Where each policy misses its value target (PRIM, EMA workbench):"]
        for r in prim.itertuples(index=False):
            where = f"{r.box} (coverage {r.coverage:.0%}, density {r.density:.0%})" if r.box else "-"
            out.append(f"  {r.policy}: {r.futures_failing} of {r.futures} futures; {where}")
    return "\n".join(out)


def robust_report(res, figures: dict[str, bytes]) -> str:
    """report.html of ``robust``: the robustness tables, who wins where, PRIM boxes, feature scores."""
    features = res.features
    frows = [[k, *(f'<td class="num">{features.loc[k, c]:.2f}</td>' for c in features.columns)] for k in features.index]
    sections = [
        '<p class="muted">Every policy is run in the same sampled futures (a Latin hypercube over the uncertain '
        "parameters) with common random numbers. Regret: how much worse a policy is than the best policy in the "
        "same future; meets target: the share of futures in which it reaches the scorecard's target (satisficing); "
        "worst: its worst value over the futures.</p>",
        kv_table(
            [
                ("policies", ", ".join(res.policies)),
                ("uncertain", ", ".join(res.uncertain)),
                ("futures", str(res.outcomes["future"].nunique())),
                ("folder", str(res.folder)),
            ]
        ),  # fmt: skip
        html_table(
            ROBUST_HEADER, [[*r[:2], *(f'<td class="num">{esc(c)}</td>' for c in r[2:])] for r in robust_rows(res)]
        ),
        "<h2>Which policy wins where</h2>",
        img(figures["winners"], "best policy per future", "The best policy on value in each sampled future."),
        "<h2>Scenario discovery (PRIM)</h2>",
        html_table(
            ["policy", "futures failing", "futures", "box", "coverage", "density"],
            [
                [r.policy, str(r.futures_failing), str(r.futures), r.box or "-", fmt(r.coverage), fmt(r.density)]
                for r in res.prim.itertuples(index=False)
            ],
        ),  # fmt: skip
        "<h2>Feature scores (extra trees)</h2>",
        html_table(["uncertainty", *features.columns], frows),
    ]
    return page(f"Robustness: {', '.join(res.policies)}", sections)


def optimize_rows(res) -> tuple[list[str], list[list[str]]]:
    """The best trials: levers, objectives (searched and confirmed with more replications), spend, file."""
    b = res.best
    levers = [
        c
        for c in res.trials.columns
        if c not in ("trial", "spend", "feasible", "best", *(k for k, _ in res.objectives))
    ]
    head = ["trial", *levers, *[f"{k} ({'max' if d == 'maximize' else 'min'})" for k, d in res.objectives],
            *[f"{k} confirmed" for k, _ in res.objectives], "spend / yr", "scenario file"]  # fmt: skip
    rows = []
    for r in b.to_dict("records"):
        rows.append([str(r["trial"]), *(_setting(r[k]) for k in levers),
                     *(fmt(r[k]) for k, _ in res.objectives), *(fmt(r[f"{k}_confirmed"]) for k, _ in res.objectives),
                     fmt(r["spend_confirmed"]), r["scenario_file"]])  # fmt: skip
    return head, rows


def _setting(v) -> str:
    """A lever's value as set: a choice as is, a whole number without decimals."""
    if isinstance(v, str):
        return v
    return str(int(v)) if float(v).is_integer() else fmt(v)


def optimize_text(res) -> str:
    """The best trials (or the Pareto front) for the terminal."""
    n, feasible = len(res.trials), int(res.trials["feasible"].sum()) if len(res.trials) else 0
    what = "Pareto front" if len(res.objectives) > 1 else "best trial"
    budget = "" if res.budget is None else f"; budget {fmt(res.budget)} a year ({feasible} of {n} trials within it)"
    head, rows = optimize_rows(res)
    return "\n".join(
        [
            f"Optimization: {n} trials{budget}; {what} re-evaluated with more replications",
            _table(rows, head) if rows else _no_feasible(res),
        ]
    )


def _no_feasible(res) -> str:
    """Why there is no best trial, and what would make one."""
    if res.budget is None or res.trials.empty:
        return "(no complete trial)"
    cheapest = res.trials["spend"].min()
    return (
        f"(no trial within the budget: the cheapest spent {fmt(cheapest)} a year; raise --budget or narrow the levers)"
    )


def optimize_report(res, figures: dict[str, bytes]) -> str:
    head, rows = optimize_rows(res)
    sections = [
        '<p class="muted">Optuna (TPE) searched the levers; every trial ran the same replication seeds '
        "(common random numbers). With a budget, trials whose yearly knowledge and policy spend exceeds it are "
        "infeasible and never among the best. The best trials were re-evaluated with four times the "
        "replications and written as scenario files in this folder.</p>",
        kv_table(
            [
                ("objectives", ", ".join(f"{k} ({d})" for k, d in res.objectives)),
                ("trials", str(len(res.trials))),
                ("budget", "none" if res.budget is None else fmt(res.budget)),
                ("folder", str(res.folder)),
            ]
        ),  # fmt: skip
        html_table(head, rows) if rows else f"<p>{html.escape(_no_feasible(res))}</p>",
        img(figures["pareto"], "trials", "Every trial; the best (or the Pareto front) marked."),
    ]
    return page("Optimization", sections)


def patterns_text(res) -> str:
    """The patterns table for the terminal: change, outcome, expected sign, effect ±95 %, verdict."""
    rows = []
    for r in res.table.itertuples(index=False):
        effect = "-" if r.verdict == "not used" else fmt_pm(r.effect, r.effect - r.ci_low, sign=True)
        rows.append([r.change, r.scenario, r.outcome, r.expected, effect, r.verdict])
    c = res.counts
    out = [
        f"Patterns: {len(res.table)} expectations, {res.reps} paired replications each "
        f"(effect of the change: high - low, or off - on; ±95 % paired half-width)",
        _table(rows, ["change", "scenario", "outcome", "expected", "effect", "verdict"], right={4}),
        f"{c['PASS']} PASS, {c['FAIL']} FAIL, {c['n.s.']} not significant, {c['not used']} not used",
    ]
    if len(res.loop):
        out += ["", "Relational-capital loop (Xie 2.(4)): CRM maturity 1 -> 3 with and without the loop"]
        loop_rows = [
            [
                r.outcome,
                fmt_pm(r.effect_without_loop, r.effect_without_loop - r.without_ci_low, sign=True),
                fmt_pm(r.effect_with_loop, r.effect_with_loop - r.with_ci_low, sign=True),
                f"{r.loop_gain:+.0%}" if np.isfinite(r.loop_gain) else "-",
            ]
            for r in res.loop.itertuples(index=False)
        ]
        out.append(_table(loop_rows, ["outcome", "without loop", "with loop", "loop gain"], right={1, 2, 3}))
    return "\n".join(out)


# --- HTML ----------------------------------------------------------------------------------------

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; max-width: 1200px;
       margin: 1.5em auto; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.6em;
  border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
.muted { color: #666; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; vertical-align: top; }
th { background: #f2f2f2; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.85em; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border: 1px solid #ccc; }
"""


def esc(x) -> str:
    return html.escape(str(x), quote=True)


def img(png: bytes, alt: str, caption: str = "") -> str:
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{data}">{cap}</figure>'


def status_cell(text: str, status: str, title: str = "") -> str:
    style = f"background:{STATUS_COLORS.get(status, '#fff')}"
    tip = f' title="{esc(title)}"' if title else ""
    return f'<td class="num" style="{style}"{tip}>{esc(text)}</td>'


def legend() -> str:
    return (
        '<p class="legend muted">'
        + "".join(f'<span style="background:{c}">{s}</span>' for s, c in STATUS_COLORS.items())
        + " met: target reached; near: within 10 % of it; missed: further away.</p>"
    )


def html_table(header: list[str], rows: list[list[str]]) -> str:
    """Rows of already-rendered ``<td>`` cells (strings starting with ``<td``) or plain text."""

    def cell(c):
        return c if isinstance(c, str) and c.startswith("<td") else f"<td>{esc(c)}</td>"

    body = "".join("<tr>" + "".join(cell(c) for c in r) + "</tr>" for r in rows)
    return "<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + f"</tr>{body}</table>"


def kv_table(items: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in items) + "</table>"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    def v(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return "?"

    return (
        f"crm-knowledge-sim {v('crm-knowledge-sim')}, Mesa {v('mesa')}, numpy {v('numpy')}, "
        f"pandas {v('pandas')}, Python {platform.python_version()}"
    )


def page(title: str, sections: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n" + "\n".join(sections) + "\n</body></html>\n"
    )


def _overrides(sc) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sc.overrides.items()) or "none"


def _run_info(meta: dict) -> list[tuple[str, str]]:
    return [
        ("date", meta.get("date") or datetime.now().isoformat(timespec="seconds")),
        ("command", meta.get("command") or " ".join(sys.argv)),
        ("software", meta.get("version") or versions()),
    ]


INTERVALS_NOTE = (
    '<p class="muted">Each mean comes with a 95 % t interval over the replications: the range that would '
    "contain the true mean of this model in 95 of 100 such experiments; it narrows with the square root "
    "of the replications. A difference to the reference is computed run by run (replication r of each "
    "scenario shares its random numbers with replication r of the reference: common random numbers), so "
    "its paired interval is usually much narrower than the two scenarios' own intervals suggest; a "
    "difference whose paired interval excludes 0 is real for this model, not noise. The intervals say "
    "nothing about parameter uncertainty: for that, use sweep, sensitivity or robust.</p>"
)

NOTES = (
    '<p class="muted">KPI definitions: flows (revenue, profit, costs, acquisitions, transfers) are per '
    "year over the run; states (knowledge, gap, codification, product fit, satisfaction, products) are the "
    "mean of the last 13 weeks, service quality the mean over the run, the referrers' share the last "
    "week's; retention is annualised. Status compares the value with its target in the scenario's scorecard. "
    "Scores are weight-averaged attainments, each KPI capped at its target (0-100).</p>"
)


def run_report(result, figures: dict[str, bytes], meta: dict) -> str:
    """The report of one run: what was run, scorecard, perspectives, time series, flows, team scorecards."""
    sc, s = result.scenario, result.summary
    card = result.scorecard
    rows = [
        [
            r.perspective,
            r.kpi,
            r.description,
            f'<td class="num">{esc(fmt(r.value))}</td>',
            f'<td class="num">{esc(target_text(r.target, r.direction))}</td>',
            f'<td class="num">{r.weight:g}</td>',
            status_cell(r.status, r.status, f"attainment {r.attainment:.2f}"),
        ]
        for r in card.itertuples(index=False)
    ]
    teams = result.team_scorecards
    team_ids = sorted(teams["team"].unique())
    trows = []
    for kpi, g in teams.groupby("kpi", sort=False):
        g = g.set_index("team")
        trows.append(
            [
                kpi,
                target_text(g["target"].iloc[0], g["direction"].iloc[0]),
                *(status_cell(fmt(g.loc[t, "value"]), g.loc[t, "status"]) for t in team_ids),
            ]
        )
    ev = result.events
    sections = [
        f"<h1>Run: {esc(sc.name)}</h1>",
        f'<p class="muted">{esc(sc.description)}</p>',
        "<h2>What was run</h2>",
        kv_table(
            [
                ("scenario", sc.name),
                ("description", sc.description),
                ("mission", sc["scorecard.mission"]),
                ("source", str(sc.path) if sc.path else "(built in Python)"),
                ("overrides", _overrides(sc)),
                ("seed", str(result.seed)),
                ("weeks", str(s["steps"])),
                *_run_info(meta),
            ]
        ),
        "<h2>Balanced scorecard (firm)</h2>",
        f"<p><b>Weighted score: {s['score']:.1f} / 100</b> ({esc(perspectives_text(card))})</p>",
        legend(),
        html_table(["perspective", "KPI", "what it measures", "value", "target", "weight", "status"], rows),
        img(figures["scorecard"], "four-perspective chart", "Weighted score per perspective (0-100)."),
        "<h2>KPI time series</h2>",
        img(figures["timeseries"], "KPI time series", "One run: no bands (use compare for 95 % intervals)."),
        "<h2>Knowledge flows</h2>",
        img(
            figures["flows"],
            "knowledge flows by channel",
            "Beliefs moved per year through each channel, by SECI mode and by Xie's group of transfer.",
        ),
        "<h2>Team scorecards</h2>",
        '<p class="muted">One scorecard per team (department); team revenue targets are the firm\'s target '
        "divided by the number of teams.</p>",
        html_table(["KPI", "target", *[f"team {t}" for t in team_ids]], trows),
        "<h2>Events</h2>",
        kv_table(
            [
                ("customers lost (churns)", f"{len(ev.get('churns', [])):,}"),
                ("customers acquired", f"{len(ev.get('acquisitions', [])):,}"),
            ]
        ),
        NOTES,
    ]
    return page(f"Run {sc.name}", sections)


def patterns_report(res, figures: dict[str, bytes], meta: dict) -> str:
    """report.html of ``patterns``: what was checked, the verdicts with sources, the forest plot, the loop."""
    rows = []
    for r in res.table.itertuples(index=False):
        color = {"PASS": "#d9f0d3", "FAIL": "#f4a582", "n.s.": "#eeeeee"}.get(r.verdict, "#ffffff")
        effect = "-" if r.verdict == "not used" else fmt_pm(r.effect, r.effect - r.ci_low, sign=True)
        rows.append(
            [r.kind, r.change, r.scenario, r.outcome, r.expected, f'<td class="num">{esc(effect)}</td>',
             f'<td style="background:{color}">{esc(r.verdict)}</td>', r.source]
        )  # fmt: skip
    c = res.counts
    loop_rows = [
        [r.outcome, f"{r.effect_without_loop:+.4g}", f"{r.effect_with_loop:+.4g}", f"{r.loop_gain:+.0%}"]
        for r in res.loop.itertuples(index=False)
    ]
    loop = [
        "<h2>The relational-capital loop (Xie 2.(4))</h2>",
        '<p class="muted">Effect of CRM maturity 1 -> 3 when relationships feed what customers share and when '
        "that loop is cut (market.voice_relationship = 0); loop gain = with / without - 1.</p>",
        html_table(["outcome", "without loop", "with loop", "loop gain"], loop_rows),
    ]
    sections = [
        '<p class="muted">Pattern-oriented modelling (Grimm et al. 2005): each lever, environment parameter '
        "and transfer channel declares beside its definition the direction theory expects on the outcomes it "
        "should move. Each contrast runs its low and high arm on common random numbers (replication r of both "
        "shares its seed); the effect is high minus low (a channel: switched off minus as it runs) with its "
        "paired 95 % t interval. PASS: the interval "
        "excludes 0 on the expected side (for an expected 0: it lies within the declared margin); FAIL: it "
        "excludes 0 on the other side; n.s.: the replications cannot tell.</p>",
        kv_table(
            [
                ("expectations", str(len(res.table))),
                ("verdicts", f"{c['PASS']} PASS, {c['FAIL']} FAIL, {c['n.s.']} n.s., {c['not used']} not used"),
                ("replications per arm", str(res.reps)),
                ("parameters set for every arm", ", ".join(f"{k} = {v}" for k, v in res.params.items()) or "none"),
                *_run_info(meta),
            ]
        ),
        html_table(["kind", "change", "scenario", "outcome", "expected", "effect", "verdict", "source"], rows),
        img(figures["forest"], "forest plot", "Effects in units of each outcome's seed-to-seed sd."),
        *(loop if len(res.loop) else []),
    ]
    return page("Patterns: the model against theory", sections)


def compare_report(cmp, figures: dict[str, bytes], meta: dict) -> str:
    """The report of a comparison: what was run, scorecards side by side, differences, figures."""
    names, ref = cmp.names, cmp.reference
    s = cmp.summary.set_index(["kpi", "scenario"])
    scen_rows = [
        [sc.name + (" (reference)" if sc.name == ref else ""), sc.description, sc["scorecard.mission"], _overrides(sc)]
        for sc in cmp.scenarios
    ]
    card = cmp.scorecards
    rows = []
    for r in card.to_dict("records"):
        k = r["kpi"]
        description, unit = outcome_label(k)
        cells = [
            r["perspective"],
            f'<td title="{esc(k)}">{esc(description)}{f" ({esc(unit)})" if unit else ""}</td>',
            f'<td class="num">{esc(target_text(r["target"], r["direction"]))}</td>',
            f'<td class="num">{r["weight"]:g}</td>',
        ]
        for n in names:
            hw = s.loc[(k, n), "mean"] - s.loc[(k, n), "ci_low"]
            cells.append(
                status_cell(
                    fmt_pm(r[f"{n}_mean"], hw),
                    r[f"{n}_status"],
                    f"{n}: {r[f'{n}_status']}, 95 % interval "
                    f"{fmt(s.loc[(k, n), 'ci_low'])} .. {fmt(s.loc[(k, n), 'ci_high'])}",
                )
            )
        rows.append(cells)
    scores = [
        fmt_pm(s.loc[("score", n), "mean"], s.loc[("score", n), "mean"] - s.loc[("score", n), "ci_low"]) for n in names
    ]
    rows.append(["", "weighted score (0-100)", "", ""] + [f'<td class="num"><b>{esc(t)}</b></td>' for t in scores])
    own = [n for n in names if f"{n}_own_weight" in card]
    yardstick = getattr(cmp, "yardstick", "") or ref
    own_rows = [
        [r["kpi"], *(f'<td class="num">{r[f"{n}_own_weight"]:g}</td>' for n in own)] for r in card.to_dict("records")
    ]
    sections = [
        f"<h1>Comparison: {esc(', '.join(names))}</h1>",
        f'<p class="muted">{cmp.reps} replications per scenario, {cmp.weeks} weeks each, common random '
        f"numbers (replication r of every scenario uses the same seed). Reference: {esc(ref)}.</p>",
        "<h2>What was run</h2>",
        html_table(["scenario", "description", "mission", "overrides"], scen_rows),
        kv_table(
            [
                ("replications", str(cmp.reps)),
                ("weeks", str(cmp.weeks)),
                ("seeds (replication 0, 1, ...)", ", ".join(map(str, cmp.seeds))),
                ("seed rule", f"numpy SeedSequence({cmp.base_seed}, spawn_key=(replication,)), 63 bits"),
                ("parameters set for every scenario", ", ".join(f"{k} = {v}" for k, v in cmp.params.items()) or "none"),
                ("executor", f"{cmp.executor}; {cmp.elapsed:.1f} s"),
                *_run_info(meta),
            ]
        ),
        "<h2>Seed-to-seed spread</h2>",
        '<p class="muted">Standard deviation of each headline KPI over the replications (coefficient of '
        "variation in brackets): how much two runs of the same policy differ only because the firm's own "
        "stochastic processes differ (reality's drift, staff turnover, which customers call, leave or "
        "refer).</p>",
        html_table(
            ["KPI", *names], [[r[0], *(f'<td class="num">{esc(c)}</td>' for c in r[1:])] for r in spread_rows(cmp)]
        ),
        "<h2>How to read the intervals</h2>",
        INTERVALS_NOTE,
        "<h2>Balanced scorecard, side by side</h2>",
        f'<p class="muted">Every scenario is scored on one yardstick: the targets and weights of '
        f"{esc(yardstick)!s}'s scorecard (choose another with --weights), so the ranking does not depend on "
        "which scenario is listed first. Mean over replications ±95 % t half-width; the colour is the status "
        "of the mean against the target.</p>",
        legend(),
        html_table(["perspective", "KPI (unit)", "target", "weight", *names], rows),
        *(
            [
                '<p class="muted">Where a scenario\'s own scorecard weighs KPIs differently, its own weights:</p>',
                html_table(["KPI", *[f"{n}: own weight" for n in own]], own_rows),
            ]
            if own
            else []
        ),
        img(
            figures["scorecard"],
            "four-perspective chart",
            "Weighted score per perspective (0-100), mean over replications with 95 % intervals.",
        ),
    ]
    others = [n for n in names if n != ref]
    if others:
        d = cmp.differences.set_index(["kpi", "scenario"])
        drows = []
        for k in dict.fromkeys(cmp.differences["kpi"]):
            cells = [k]
            for o in others:
                r = d.loc[(k, o)]
                text = fmt_pm(r["difference"], r["difference"] - r["paired_ci_low"], sign=True)
                welch = fmt_ci(r["welch_ci_low"], r["welch_ci_high"])
                style = "font-weight:bold" if r["excludes_zero"] else "color:#555"
                cells.append(f'<td class="num" style="{style}">{esc(text)}</td>')
                cells.append(f'<td class="num" style="color:#777">{esc(welch)}</td>')
            drows.append(cells)
        header = ["KPI"] + [h for o in others for h in (f"{o} - {ref} (paired)", "Welch interval")]
        sections += [
            f"<h2>Differences to {esc(ref)}</h2>",
            '<p class="muted">Mean difference ±95 % half-width of the paired t interval (replication r of '
            "each scenario against replication r of the reference); bold: the interval excludes 0. The unpaired "
            "Welch interval is shown for contrast: where it is wider, common random numbers paid off.</p>",
            html_table(header, drows),
            img(
                figures["differences"],
                "differences to the reference",
                "Paired (thick) and unpaired (thin) 95 % intervals of the difference to the reference.",
            ),
        ]
    if others and len(getattr(cmp, "payback", ())):
        heads, rrows = ranking_rows(cmp)
        sections += [
            "<h2>Does it pay, when, and for how long?</h2>",
            '<p class="muted">Cumulative cash and NPV of each scenario minus the reference, paired by '
            "replication (95 % t intervals); break-even: the first week from which the mean cumulative cash "
            "difference stays at or above 0 (its interval read off the band's bounds); extra spend: the "
            "discounted policy spend (knowledge work, CRM system, loyalty, incentives, co-creation, "
            "retention programme) above the reference's; extra value: NPV + customer equity above the "
            "reference's at the horizon; per unit: extra value per unit of extra spend.</p>",
            html_table(
                PAYBACK_HEADER, [[r[0], *(f'<td class="num">{esc(c)}</td>' for c in r[1:])] for r in payback_rows(cmp)]
            ),
            img(figures["payback"], "payback", "Cumulative cash and NPV differences with paired 95 % bands."),
            "<h3>Ranking by horizon</h3>",
            '<p class="muted">Value (NPV of the cash + customer equity, money of week 0) ±95 % and rank at 1, 2 '
            "and 5 years where the run is that long (and at its own horizon).</p>",
            html_table(
                ["scenario", *heads], [[r[0], *(f'<td class="num">{esc(c)}</td>' for c in r[1:])] for r in rrows]
            ),
        ]
    sections += [
        "<h2>KPI time series</h2>",
        img(figures["timeseries"], "KPI time series", "Mean over replications with 95 % t bands."),
        "<h2>Knowledge flows</h2>",
        img(
            figures["flows"],
            "knowledge flows by channel",
            "Beliefs moved per year through each channel, by SECI mode and by Xie's group of transfer.",
        ),
        NOTES,
    ]
    return page(f"Comparison {', '.join(names)}", sections)
