"""One run of a scenario: ``run(scenario, seed, steps)`` -> ``RunResult``; runs as tidy tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.scorecard import (
    SCORE_COLUMNS,
    build_scorecard,
    firm_kpis,
    perspective_scores,
    realized_clv,
    team_scorecards,
    weighted_score,
)
from sim.model import CRMKnowledgeModel

CHURN_COLUMNS = ["step", "customer", "segment", "team", "tenure", "products"]
ACQUISITION_COLUMNS = ["step", "customer", "segment", "team"]
RUN_KEYS = ("scenario", "seed", "steps")  # summary keys that identify a run


@dataclass
class RunResult:
    """What a run gives: the step table, the scorecards, a summary and the event tables."""

    scenario: object
    seed: int | None
    steps: pd.DataFrame
    scorecard: pd.DataFrame
    team_scorecards: pd.DataFrame
    summary: dict
    events: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"RunResult(scenario={s['scenario']!r}, seed={self.seed}, steps={s['steps']}, "
            f"score={s['score']:.1f}, retention={s['retention_rate']:.3f})"
        )


def _events(model: CRMKnowledgeModel) -> dict[str, pd.DataFrame]:
    def table(chunks, columns):
        data = np.concatenate(chunks) if chunks else np.empty((0, len(columns)), dtype=np.int64)
        return pd.DataFrame(data.astype(np.int64), columns=columns)

    return {
        "churns": table(model.events["churns"], CHURN_COLUMNS),
        "acquisitions": table(model.events["acquisitions"], ACQUISITION_COLUMNS),
    }


def step_table(model: CRMKnowledgeModel) -> pd.DataFrame:
    """The DataCollector's model table with ``step`` as a column (row 0: the initial state)."""
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    return df.astype({c: "int64" for c in df.columns if c == "step" or c.startswith("transfers_")})


def summarize(model: CRMKnowledgeModel, steps: pd.DataFrame, seed) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Firm scorecard, team scorecards and a flat summary of a finished model."""
    sc = model.scenario
    discount = float(sc.get("market.annual_discount_rate"))
    values = firm_kpis(steps, discount)
    card = build_scorecard(values, sc)
    teams = team_scorecards(model, steps)
    summary = {
        "scenario": sc.name,
        "seed": seed,
        "steps": int(steps["step"].iloc[-1]),
        **values,
        "clv_realized": realized_clv(steps, discount),
        "score": weighted_score(card),
    }
    summary.update({SCORE_COLUMNS[p]: v for p, v in perspective_scores(card).items()})
    return card, teams, summary


def run(
    scenario="baseline",
    seed: int | None = 0,
    steps: int | None = None,
    params: dict | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run a scenario (a ``Scenario``, name or path) for ``steps`` weeks (default: the scenario's)."""
    from sim.config.loader import load_scenario
    from sim.config.scenario import Scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if params:
        sc = sc.with_params(params)
    n_steps = int(sc.steps if steps is None else steps)
    if n_steps < 0:
        raise ValueError(f"steps: expected an integer >= 0, got {n_steps}")
    model = CRMKnowledgeModel(scenario=sc, rng=seed)
    for _ in range(n_steps):
        model.step()
        if progress is not None:
            progress(1)
    table = step_table(model)
    card, teams, summary = summarize(model, table, seed)
    result = RunResult(
        scenario=sc,
        seed=seed,
        steps=table,
        scorecard=card,
        team_scorecards=teams,
        summary=summary,
        events=_events(model),
    )
    release(model)
    return result


def release(model: CRMKnowledgeModel) -> None:
    """Drop a finished model's agents and data collector (their memory goes even while the model is
    still referenced).

    Freeing the model itself needs no call: our agents count ids with weak keys (``sim.agents``), so
    Mesa's class-level ``Agent._ids`` (DESIGN.md traps) does not keep a dropped model alive.
    """
    for agent in list(model.agents):
        agent.remove()
    model.datacollector = None


def tidy(results, keys) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs table (one row per run) and stacked step tables of ``results``, keyed by (scenario, rep) and seed."""
    rows, frames = [], []
    for (name, rep), res in zip(keys, results):
        s = res.summary
        rows.append(
            {
                "scenario": name,
                "rep": rep,
                "seed": res.seed,
                "steps": s["steps"],
                **{k: v for k, v in s.items() if k not in RUN_KEYS},
            }
        )
        df = res.steps.copy()
        df.insert(0, "scenario", name)
        df.insert(1, "rep", rep)
        df.insert(2, "seed", res.seed)
        frames.append(df)
    runs = pd.DataFrame(rows).astype({"rep": "int64", "seed": "int64", "steps": "int64"})
    steps = pd.concat(frames, ignore_index=True).astype({"rep": "int64", "seed": "int64"})
    return runs, steps
