"""Fuzzing (issue 14): generated scenario files and command-line options either work or are refused in one
line with exit code 2 and nothing written -- never a traceback, never a runaway run; generated page events
(controls, clicks, Play settings) never break the app's server.

`make test` runs a small number of cases; `make fuzz` runs many more (FUZZ_EXAMPLES, default 500).
The memory limit is lowered for these tests (CRM_SIM_MAX_MEMORY_GIB=0.25) so an accepted size stays small.
"""

from __future__ import annotations

import math
import os
import tomllib

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.cli.main import main
from sim.config import limits
from sim.config.errors import ScenarioError
from sim.config.loader import SCENARIO_DIR, from_toml
from sim.config.schema import SCHEMA
from sim.config.toml_io import toml_value
from sim.model import CRMKnowledgeModel

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or None
BASE = tomllib.loads((SCENARIO_DIR / "baseline.toml").read_text())
KEYS = [k for k in SCHEMA if not k.startswith("scenario.")]


@pytest.fixture(autouse=True)
def small_memory(monkeypatch):
    monkeypatch.setenv(limits.MEMORY_VARIABLE, "0.25")


huge = st.sampled_from([0, -1, 1, 2, 10**6, 10**12, 2**63, -(2**63), 1e308, -1e308, 1e-308, 0.5, 1.5])
values = st.one_of(
    huge,
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=300),
    st.lists(st.integers(-5, 5), max_size=4),
)


def _toml(overrides: dict) -> str:
    lines = ["[scenario]", 'name = "fuzzed"', 'extends = "baseline"']
    for key, value in overrides.items():
        section, leaf = key.rsplit(".", 1)
        if isinstance(value, float) and not math.isfinite(value):
            raw = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        else:
            try:
                raw = toml_value(value)
            except Exception:  # noqa: BLE001 -- a value the writer cannot write: write it as text
                raw = repr(str(value))
        lines += [f"[{section}]", f"{leaf} = {raw}"]
    return "\n".join(lines) + "\n"


def edges(key: str):
    """Values at and just past a parameter's bounds, and its default scaled: where valid inputs break."""
    p = SCHEMA[key]
    if p.choices:
        return st.sampled_from([*p.choices, "nonsense"])
    if p.type in (int, float):
        cands = [v for v in (p.lo, p.hi, p.default) if v is not None]
        cands += [p.default * f for f in (0, 0.5, 2, 10) if isinstance(p.default, (int, float))]
        cands += [p.hi + 1] if p.hi is not None else []
        return st.sampled_from([p.type(v) if p.type is int else float(v) for v in cands])
    return values


@st.composite
def scenario_overrides(draw):
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3, unique=True))
    return {k: draw(st.one_of(edges(k), edges(k), values)) for k in keys}


@settings(max_examples=EXAMPLES or 120, deadline=None, suppress_health_check=list(HealthCheck))
@given(scenario_overrides())
def test_generated_scenario_files_load_or_are_refused_in_one_line(overrides):
    text = _toml(overrides)
    try:
        sc = from_toml(text, source="fuzzed.toml")
    except ScenarioError as e:
        assert "\n" not in str(e) and str(e).startswith("fuzzed.toml"), str(e)
        event("refused")
        return
    event("accepted")
    # accepted: it must run (two weeks, no warm-up) and keep its books finite
    m = CRMKnowledgeModel(scenario=sc.with_params({"scenario.warmup": 0}), rng=0)
    for _ in range(2):
        m.step()
    for k in ("revenue", "cost", "profit", "active_customers"):
        assert math.isfinite(m.stats[k]), (k, m.stats[k])


option = st.sampled_from(["--steps", "--seed", "--reps", "--workers", "--samples"])
raw = st.one_of(
    st.integers(1, 3).map(str),
    st.integers(1, 3).map(str),
    st.sampled_from(["0", "-1", "1", "2", "99999999999999999999", "1e3", "nan", "", "x", "--", "3.5"]),
    st.text(max_size=20),
)


@settings(max_examples=EXAMPLES or 25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(["run", "compare"]),
    st.lists(st.tuples(option, raw), max_size=3),
    st.lists(st.tuples(st.sampled_from(KEYS), raw), max_size=2),
)
def test_generated_options_work_or_are_refused_in_one_line(tmp_path_factory, capsys, command, options, sets):
    capsys.readouterr()
    out = tmp_path_factory.mktemp("fz") / "out"
    argv = [command, "baseline"] + (["km"] if command == "compare" else [])
    argv += [x for o, v in options for x in (o, v)]
    argv += [x for k, v in sets for x in ("--set", f"{k}={v}")]
    small = ["--set", "market.initial_customers=100", "--set", "market.market_potential=850", "--set",
             "scenario.warmup=0", "--steps", "2", "--reps", "2"]  # fmt: skip
    # the small settings come first, so a fuzzed option given later overrides them
    argv = argv[: 2 + (command == "compare")] + small + argv[2 + (command == "compare") :]
    argv += ["--out", str(out), "--no-progress", "--executor", "none"] if command == "compare" else [
        "--out", str(out), "--no-progress"]  # fmt: skip
    code = main(argv)
    event(f"exit {code}")
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("warning: ")]
    assert code in (0, 2), (argv, code, err)
    if code == 2:
        assert len(err) == 1 and err[0].startswith("error: "), (argv, err)
    if code == 0:
        assert (out / "report.html").exists()
    else:
        assert not out.exists() or not any(out.iterdir()), argv


# --- page events: whatever a browser sends the app's server (issue 14) ----------------------------------

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        huge,
        st.integers(-(10**30), 10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=200),
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def page_controls(draw):
    """The controls a page sends on Reset: any of them, each with any JSON value (a client is not bound by
    its sliders), or a value near the declared range."""
    from sim.present import app

    names = draw(st.lists(st.sampled_from([*app.LEVERS, "initial_customers", "scenario", "seed"]), max_size=4))
    out = {}
    for name in names:
        near = edges(app.LEVERS[name]) if name in app.LEVERS else st.sampled_from(["ckm", "km", 500, "7"])
        out[name] = draw(st.one_of(near, json_values))
    return out


@settings(max_examples=EXAMPLES or 40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    page_controls(),
    st.sampled_from(["employee", "knowledge store", "customer", "supplier"]),
    json_values,
    json_values,
    json_values,
)
def test_generated_page_events_never_break_the_server(controls, kind, clicked, interval, redraw):
    """A Reset with generated controls builds a model (refusals are one-line messages in the page), it
    steps, the summary and the pending marks render; a generated click inspects an agent or nothing; the
    Play interval and weeks per redraw stay within their sliders."""
    from sim.present import app

    m = app.AppModel(**{**controls, "initial_customers": controls.get("initial_customers", 300)})
    event(f"{len(m.input_errors)} refused")
    assert m.initial_customers <= app.APP_MAX_CUSTOMERS
    assert all(isinstance(e, str) and e and "\n" not in e and len(e) < 400 for e in m.input_errors)
    m.step()
    lines = app.summary_lines(m)
    assert lines[0].startswith("<b>Scenario ") and all("\n" not in line for line in lines)
    app.pending_changes({**app.control_values(app.model_params()), **controls}, m.controls)
    for value in (clicked, [clicked, clicked], [kind, clicked], [clicked, 0], [kind, -1], [kind, 10**30]):
        agent = app.picked_agent(value)
        if agent is not None:
            event("a click inspects an agent")
            assert app.agent_state(m, *agent)
    assert 0 <= app.bounded_int(interval, 0, app.MAX_PLAY_INTERVAL_MS, 50) <= app.MAX_PLAY_INTERVAL_MS
    assert 1 <= app.bounded_int(redraw, 1, app.MAX_WEEKS_PER_REDRAW, 1) <= app.MAX_WEEKS_PER_REDRAW
