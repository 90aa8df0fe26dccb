"""Sensitivity analysis: SALib Sobol' and Morris over the sweep machinery, stored with its problem."""

import json
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sim.cli.main import main  # noqa: E402
from sim.experiments import store as storage  # noqa: E402
from sim.experiments.sensitivity import analyze, sensitivity  # noqa: E402
from sim.io.errors import InputError  # noqa: E402

SMALL = {
    "scenario.warmup": 0,
    "market.initial_customers": 300,
    "market.market_potential": 2550,
    "organization.teams": 3,
    "organization.team_size": 6,
}
SMALL_ARGS = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
# base_churn drives retention; a scorecard weight cannot change anything the model does
PARAMS = {"market.base_churn": (0.002, 0.02), "scorecard.kpi.revenue.weight": (0.0, 2.0)}


def test_sobol_indices_problem_and_files(tmp_path):
    with pytest.warns(UserWarning) as caught:
        sa = sensitivity(
            "baseline",
            PARAMS,
            kpi="retention_rate",
            method="sobol",
            samples=8,
            steps=10,
            executor="none",
            out=tmp_path / "sa",
            progress=False,
            set=SMALL,
        )
    messages = [str(w.message) for w in caught]
    assert any("N=8 base samples are unstable" in m for m in messages)  # before running
    assert any("confidence intervals of the Sobol' indices of retention_rate are wider" in m for m in messages)
    idx = sa.indices.set_index("parameter")
    assert list(sa.indices.columns) == ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert sa.problem == {"num_vars": 2, "names": list(PARAMS), "bounds": [[0.002, 0.02], [0.0, 2.0]]}
    # common random numbers: the inert parameter changes no run at all, so its indices are exactly 0
    assert idx.loc["scorecard.kpi.revenue.weight", "ST"] == 0
    assert idx.loc["scorecard.kpi.revenue.weight", "S1"] == 0
    assert idx.loc["market.base_churn", "ST"] > 0.5
    folder = sa.folder
    stored = json.loads((folder / "problem.json").read_text())
    assert stored["problem"] == sa.problem and stored["method"] == "sobol" and stored["N"] == 8
    assert stored["calc_second_order"] is False
    sample = pd.read_csv(folder / "sample.csv")
    assert len(sample) == 8 * (2 + 2) and list(sample.columns) == list(PARAMS)
    assert sa.sweep.n_runs == 32 and sa.sweep.runs["point"].max() == 31
    pd.testing.assert_frame_equal(pd.read_csv(folder / "indices-retention_rate.csv"), sa.indices)
    assert (folder / "indices-retention_rate.png").stat().st_size > 1000
    # the analysis is reproducible from the folder alone, for any KPI
    with pytest.warns(UserWarning, match="wider than the indices"):
        again = analyze(folder, "retention_rate", write=False)
    pd.testing.assert_frame_equal(again.indices, sa.indices)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # N=8: wide intervals are expected
        other = analyze(folder, "profit", write=False)
    assert other.indices.set_index("parameter").loc["scorecard.kpi.revenue.weight", "ST"] == 0
    ax = sa.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == list(PARAMS)


def test_morris_with_an_integer_parameter(tmp_path):
    params = {"market.base_churn": (0.002, 0.02), "organization.teams": (2, 4)}
    with pytest.warns(UserWarning, match="Morris screening from 4 trajectories"):
        sa = sensitivity(
            "baseline",
            params,
            kpi="retention_rate",
            method="morris",
            samples=4,
            steps=8,
            executor="none",
            out=tmp_path / "m",
            progress=False,
            set=SMALL,
        )
    assert list(sa.indices.columns) == ["parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
    assert np.isfinite(sa.indices[["mu", "mu_star", "sigma"]].to_numpy()).all()
    runs = sa.sweep.runs
    assert len(runs) == 4 * 3 and runs["organization.teams"].isin([2, 3, 4]).all()
    drawn = pd.read_csv(sa.folder / "sample.csv")  # as SALib drew it: on its grid, not rounded
    assert len(drawn) == 12 and not drawn["organization.teams"].isin([2, 3, 4]).all()
    assert sa.indices.set_index("parameter").loc["market.base_churn", "mu"] < 0  # more churn, less retention


def test_unknown_kpi_is_refused_before_any_run(tmp_path, capsys):
    with pytest.raises(InputError, match="unknown KPI; did you mean 'retention_rate'.*valid KPIs: .*profit"):
        sensitivity("baseline", PARAMS, kpi="retention", samples=4, executor="none", out=tmp_path / "x")
    code = main(
        [
            "sensitivity",
            "baseline",
            "--param",
            "market.base_churn=0.002:0.02",
            "--kpi",
            "nope",
            "--out",
            str(tmp_path / "x"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: --kpi nope: unknown KPI") and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_cli_prints_indices_warns_and_resumes(tmp_path, capsys):
    out = tmp_path / "sa"
    args = [
        "sensitivity",
        "baseline",
        "--param",
        "market.base_churn=0.002:0.02",
        "--param",
        "organization.teams=2:4",
        "--samples",
        "4",
        "--steps",
        "8",
        "--executor",
        "none",
        "--no-progress",
        "--out",
        str(out),
        *SMALL_ARGS,
    ]
    assert main(args) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == "Sobol indices of retention_rate (N=4, reps=1, 16 runs):"
    assert lines[1].split() == ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert lines[-1] == str(out.resolve())
    assert "warning: Sobol' indices from N=4 base samples are unstable" in captured.err
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*/part-*.parquet")}
    assert main([*args, "--kpi", "service_quality"]) == 0  # same sample: nothing runs again
    assert "Sobol indices of service_quality" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert (out / "indices-service_quality.csv").exists() and storage.is_store(out)


def test_runs_that_all_fail_end_in_one_line_not_a_traceback(tmp_path, capsys, monkeypatch):
    """Issue 14: a sensitivity analysis whose runs all failed ended in a KeyError traceback."""
    import sim.experiments.simulate as simulate

    def broken(*args, **kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(simulate, "run", broken)
    args = ["sensitivity", "baseline", "--param", "market.base_churn=0.002:0.02", "--samples", "4", "--steps", "2",
            "--executor", "none", "--no-progress", "--out", str(tmp_path / "sa"), *SMALL_ARGS]  # fmt: skip
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("error: ")]
    assert len(errors) == 1 and "no successful run" in errors[0] and "Traceback" not in "\n".join(err), err
    assert all(line.startswith(("warning: ", "error: ")) for line in err), err
