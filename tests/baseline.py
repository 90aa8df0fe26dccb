"""The frozen numeric baseline: step tables, scorecards and summaries of a few runs, stored in
``tests/baseline/``. A refactor must leave them identical; a change of behaviour regenerates them
in the same commit (``python tests/baseline.py``) and says why the numbers moved.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent / "baseline"
STEPS = 52
SEEDS = (0, 1)
# (label, scenario, overrides): together they run every channel and every lever at least once
CASES = (
    ("baseline", "baseline", {}),
    ("km", "km", {}),
    ("ckm", "ckm", {}),
    (
        "levers",
        "crm",
        {
            "policy.external_knowhow": 0.5,
            "policy.retention_programme": 0.5,
            "policy.job_rotation": 0.3,
            "policy.co_creation": 0.3,
        },
    ),
)


def runs():
    """(name, RunResult) for every case and seed."""
    from sim import load_scenario, run

    for label, scenario, overrides in CASES:
        sc = load_scenario(scenario).with_params(overrides) if overrides else load_scenario(scenario)
        for seed in SEEDS:
            yield f"{label}-seed{seed}", run(sc, seed=seed, steps=STEPS)


def tables(result) -> dict[str, pd.DataFrame]:
    return {"steps": result.steps, "scorecard": result.scorecard, "team_scorecards": result.team_scorecards}


def clean_summary(summary: dict) -> dict:
    """JSON-safe: NaN and infinities as strings."""
    out = {}
    for k, v in summary.items():
        if isinstance(v, float) and not math.isfinite(v):
            v = repr(v)
        out[k] = v
    return out


def write() -> None:
    HERE.mkdir(exist_ok=True)
    for old in HERE.glob("*"):
        old.unlink()
    for name, res in runs():
        for kind, df in tables(res).items():
            df.to_csv(HERE / f"{name}.{kind}.csv", index=False, float_format="%.17g")
        (HERE / f"{name}.summary.json").write_text(json.dumps(clean_summary(res.summary), indent=1, default=str) + "\n")
        print(f"wrote {name}")


if __name__ == "__main__":
    write()
