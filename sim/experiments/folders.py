"""The output folders of ``run`` and ``compare``: tables, scenarios, metadata, figures, and report.html last."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sim.experiments.simulate import tidy
from sim.io.outputs import atomic_write_text, command_line, prepare, safe_name, write_json, write_table


def write_run(result, out_dir: str | Path | None = None, command: str | None = None) -> Path:
    """Write a run's tables, scenario, summary, figures and report.html (last); returns the report's path."""
    from sim.present import plots
    from sim.present.report import run_report, versions

    sc = result.scenario
    out = prepare(out_dir, "run", [sc.name])
    runs, steps = tidy([result], [(sc.name, 0)])
    write_table(result.steps, out / "steps")
    write_table(result.scorecard, out / "scorecard", formats=("csv",))
    write_table(result.team_scorecards, out / "team_scorecards", formats=("csv",))
    for name, table in result.events.items():
        write_table(table, out / name)
    atomic_write_text(out / "scenario.toml", sc.to_toml())
    meta = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "version": versions(),
        "command": command or command_line(),
    }
    write_json(out / "summary.json", {**result.summary, **meta})
    figures = {
        "timeseries": plots.save_png(plots.timeseries(steps), out / "timeseries.png"),
        "scorecard": plots.save_png(plots.scorecard_chart(runs), out / "scorecard.png"),
        "flows": plots.save_png(plots.flows(steps), out / "flows.png"),
    }
    report = out / "report.html"
    atomic_write_text(report, run_report(result, figures, meta))
    return report


def write_comparison(cmp, out_dir: str | Path | None = None, command: str | None = None) -> Path:
    """Write a :class:`~sim.experiments.compare.Comparison`: tables (Parquet + CSV), each scenario as
    TOML, meta.json, PNGs and report.html (last). Returns the report's path."""
    from sim.present import plots
    from sim.present.report import compare_report

    out = prepare(out_dir, "compare", cmp.names)
    for name in (
        "runs",
        "steps",
        "summary",
        "differences",
        "scorecards",
        "payback",
        "breakeven",
        "horizons",
        "returns",
    ):
        write_table(getattr(cmp, name), out / name)
    for sc in cmp.scenarios:
        atomic_write_text(out / f"scenario-{safe_name(sc.name) or 'scenario'}.toml", sc.to_toml())
    meta = {**cmp.meta(), "command": command or command_line()}
    write_json(out / "meta.json", meta)
    figures = {}
    for key, make in (
        ("timeseries", cmp.plot_timeseries),
        ("scorecard", cmp.plot_scorecard),
        ("flows", cmp.plot_flows),
        ("differences", cmp.plot_differences),
        ("payback", cmp.plot_payback),
    ):
        figures[key] = plots.save_png(make(), out / f"{key}.png")
    report = out / "report.html"
    atomic_write_text(report, compare_report(cmp, figures, meta))
    return report


def write_patterns(res, out_dir: str | Path | None = None, command: str | None = None) -> Path:
    """Write the verdicts and the loop (Parquet + CSV), meta.json, the forest plot and report.html (last)."""
    from sim.present import plots
    from sim.present.report import patterns_report, versions

    out = prepare(out_dir, "patterns", [])
    write_table(res.table, out / "patterns")
    write_table(res.loop, out / "loop")
    meta = {
        "reps": res.reps,
        "weeks": res.weeks,
        "params": res.params,
        "date": datetime.now().isoformat(timespec="seconds"),
        "version": versions(),
        "command": command or command_line(),
    }
    write_json(out / "meta.json", meta)
    figures = {"forest": plots.save_png(res.plot(), out / "forest.png")}
    report = out / "report.html"
    atomic_write_text(report, patterns_report(res, figures, meta))
    return report


def write_robust(res) -> Path:
    """Robustness tables (CSV) and report.html into the analysis' folder; returns the report's path."""
    from sim.present import plots
    from sim.present.report import robust_report

    out = Path(res.folder)
    for name in ("outcomes", "summary", "winners", "prim"):
        write_table(getattr(res, name), out / name, formats=("csv",))
    write_table(res.features.reset_index(names="uncertainty"), out / "features", formats=("csv",))
    figures = {"winners": plots.save_png(res.plot_winners(), out / "winners.png")}
    report = out / "report.html"
    atomic_write_text(report, robust_report(res, figures))
    return report


def write_optimize(res) -> Path:
    """Trials and best trials (CSV), the trials' plot and report.html into the study's folder."""
    from sim.present import plots
    from sim.present.report import optimize_report

    out = Path(res.folder)
    write_table(res.trials, out / "trials", formats=("csv",))
    write_table(res.best, out / "best", formats=("csv",))
    figures = {"pareto": plots.save_png(res.plot(), out / "pareto.png")}
    report = out / "report.html"
    atomic_write_text(report, optimize_report(res, figures))
    return report
