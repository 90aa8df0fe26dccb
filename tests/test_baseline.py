"""The frozen numeric baseline (tests/baseline.py): refactors leave every number identical.

Counts and labels must match exactly; floats to 1e-12 relative, so a numpy release that sums in
another order (last-bit differences) does not fail the baseline while any behavioural change does.
"""

from __future__ import annotations

import json

import baseline as frozen
import pandas as pd
import pytest

RTOL = 1e-12


@pytest.fixture(scope="module")
def current():
    return dict(frozen.runs())


@pytest.mark.parametrize("name", [f"{label}-seed{seed}" for label, _, _ in frozen.CASES for seed in frozen.SEEDS])
def test_identical_to_frozen_baseline(current, name):
    res = current[name]
    for kind, df in frozen.tables(res).items():
        stored = pd.read_csv(frozen.HERE / f"{name}.{kind}.csv")
        now = pd.read_csv(pd.io.common.StringIO(df.to_csv(index=False, float_format="%.17g")))
        pd.testing.assert_frame_equal(
            now, stored, check_exact=False, rtol=RTOL, atol=0.0, check_like=True, obj=f"{name} {kind}"
        )
    stored = json.loads((frozen.HERE / f"{name}.summary.json").read_text())
    now = json.loads(json.dumps(frozen.clean_summary(res.summary), default=str))
    assert now.keys() == stored.keys()
    for key, value in stored.items():
        if isinstance(value, float):
            assert now[key] == pytest.approx(value, rel=RTOL, abs=0.0), key
        else:
            assert now[key] == value, key
