"""report.html (self-contained, escaped, status colours), number formatting and the shared plots."""

from __future__ import annotations

import re

import pytest
from matplotlib.collections import PolyCollection

from sim.config.loader import load_scenario
from sim.experiments.simulate import run, tidy
from sim.present import plots
from sim.present.report import STATUS_COLORS, fmt, fmt_ci, fmt_pm, run_report, scorecard_text


@pytest.fixture(scope="module")
def result():
    sc = load_scenario("baseline").with_params({"scenario.description": '<b>R&D</b> "quoted"'})
    return run(sc, seed=5, steps=6)


@pytest.fixture(scope="module")
def figures(result):
    runs, steps = tidy([result], [("baseline", 0)])
    return {
        "timeseries": plots.png_bytes(plots.timeseries(steps)),
        "scorecard": plots.png_bytes(plots.scorecard_chart(runs)),
        "flows": plots.png_bytes(plots.flows(steps)),
    }


def test_numbers():
    assert fmt(9031414.5) == "9,031,414"
    assert fmt(0.77149) == "0.771" and fmt(0.0018845) == "0.00188" and fmt(0) == "0"
    assert fmt(float("nan")) == "-"
    assert fmt_pm(0.7716, 0.0123) == "0.772 ±0.012"
    assert fmt_pm(2159331.3, 101739.3) == "2,159,331 ±101,739"
    assert fmt_pm(0.05, 0.0, sign=True) == "+0.0500 ±0"
    assert fmt_pm(-0.0123, 0.0456, sign=True) == "-0.012 ±0.046"
    assert fmt_ci(-0.0123, 0.0456) == "[-0.012, +0.046]"


def test_report_is_self_contained_and_escaped(result, figures):
    html = run_report(result, figures, {"date": "2026-01-01T00:00:00", "command": "python run.py run baseline"})
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert html.count('src="data:image/png;base64,') == 3
    assert not re.search(r'(src|href)="(?!data:)', html)  # no external file or network reference
    assert "<script" not in html and "<link" not in html
    assert "&lt;b&gt;R&amp;D&lt;/b&gt; &quot;quoted&quot;" in html and "<b>R&D</b>" not in html
    for status in set(result.scorecard["status"]):
        assert f'background:{STATUS_COLORS[status]}">{status}<' in html
    for kpi in result.scorecard["kpi"]:
        assert f"<td>{kpi}</td>" in html
    assert "team 9" in html and "python run.py run baseline" in html


def test_terminal_scorecard(result):
    text = scorecard_text(result.scorecard)
    lines = text.splitlines()
    assert lines[0].split() == ["perspective", "KPI", "value", "target", "status"]
    assert len(lines) == 2 + len(result.scorecard) + 1
    assert lines[-1].startswith(f"weighted score: {result.summary['score']:.1f} / 100")
    for perspective in ("financial", "customer", "internal process", "learning & growth"):
        assert f"{perspective} {result.summary['score_' + perspective.split()[0].replace('&', '')]:.1f}" in lines[-1]
    assert ">= 0.800" in text and "<= 0.150" in text  # targets with their direction


def _bands(fig):
    return sum(isinstance(c, PolyCollection) for ax in fig.axes for c in ax.collections)


def test_single_run_is_the_n1_case_of_the_comparison_plots(result):
    runs, steps = tidy([result, result], [("baseline", 0), ("baseline", 1)])
    one = steps.loc[steps["rep"] == 0]
    assert _bands(plots.timeseries(one)) == 0  # one run: no band
    two = steps.copy()
    two.loc[two["rep"] == 1, "profit"] *= 1.1  # make the replications differ
    assert _bands(plots.timeseries(two, ["profit", "retention_rate"])) == 2


def test_flow_table_groups_every_channel(result):
    from sim.engine.channels import CHANNELS

    _, steps = tidy([result], [("baseline", 0)])
    table = plots.flow_table(steps)
    assert table["channel"].tolist() == [c.name for c in CHANNELS]
    assert set(table["seci"]) <= set(plots.SECI_MODES) and set(table["group"]) <= set(plots.XIE_GROUPS)
    total = steps.loc[steps["step"] > 0, [f"transfers_{c.name}" for c in CHANNELS]].to_numpy().sum()
    assert table["per_year"].sum() == pytest.approx(total * 52 / 6)
