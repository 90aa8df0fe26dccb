"""The browser app: watch knowledge move through the firm and customers answer (Solara and Mesa).

    python run.py app [--port 8765] [--host 127.0.0.1] [--scenario baseline]

serves this module with Solara (``solara run sim.present.app:Page``) and prints its address. The page
shows, live and every week:

* first, this week's knowledge flows: one bar per channel (readable names, one linear scale),
  coloured by its SECI mode; the summary (profit with its margin, the horizon) and an inspector of
  any agent's state -- what it knows, overall and by domain, and every declared column;
* the customer KPIs (retention, satisfaction, relational capital), knowledge per level and the
  knowledge gap over time;
* the organization: employees grouped by team (managers in the middle of their team), each team's
  repository, the knowledge base and the CRM database, R&D and production, suppliers, universities
  and consultancies, all coloured by knowledge; and a sample of customers by relationship and
  satisfaction. Hover any of them for a tip, click it to inspect it.

Everything is drawn by the browser (HTML and SVG, :mod:`sim.present.app_pictures`), so a week costs
the server the model's step and a few milliseconds: Play runs at ~8 weeks a second.

The sidebar holds Mesa's ModelController (Reset, Play, Step) and the controls: a scenario chooser,
the seed, every policy lever and the main environment parameters, each slider's value always shown,
each control explained by its declaration's text and marked *pending* once changed until Reset
applies it. Every value is checked on the server (:func:`check_inputs`): a refused one is a message
in the page, never a traceback. Reset starts a new ``AppModel`` -- the thin subclass of
``CRMKnowledgeModel`` that takes these flat keyword arguments and stops Play at the scenario's horizon.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import solara

# Mesa 3.3.1's ComponentsView trips Solara's hook checker, and Solara warns about cookies on plain
# http on every page load; neither matters for a local app.
warnings.filterwarnings("ignore", message=r"(?s).*use_state` found despite early return", category=UserWarning)
warnings.filterwarnings("ignore", message=r"Cookies with samesite=none require https", category=UserWarning)

from mesa.visualization import Slider  # noqa: E402
from mesa.visualization.solara_viz import ModelController, ShowSteps  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from sim.engine.channels import CHANNELS, SECI_MODES  # noqa: E402
from sim.engine.levers import LEVERS as DECLARED_LEVERS  # noqa: E402
from sim.engine.levers import UNCERTAINTIES  # noqa: E402
from sim.model import CRMKnowledgeModel  # noqa: E402
from sim.present.app_pictures import (  # noqa: E402
    SECI_COLORS,
    STORE_NAMES,
    customer_map,
    known_by_domain,
    line_chart,
    network_layout,
    organization_lines,
    organization_map,
)
from sim.present.app_sessions import (  # noqa: E402
    CULL_AFTER,
    DEFAULT_MAX_SESSIONS,
    MAX_SESSIONS_ENV,
    Session,
    open_session,
)

SCENARIO_ENV = "CRM_APP_SCENARIO"  # how `run.py app --scenario` reaches the served module
APP_CUSTOMERS = 2000  # default market size in the app: small, so each step is quick

# Control name -> dotted scenario key: every declared lever, then the environment (sim.engine.levers).
LEVERS: dict[str, str] = {key.rsplit(".", 1)[-1]: key for key in (*(lv.key for lv in DECLARED_LEVERS), *UNCERTAINTIES)}
SLIDER_MAX = {"environment.turbulence": (5.0, 0.1), "organization.employee_turnover": (0.6, 0.01)}  # (max, step)


def default_scenario() -> str:
    return os.environ.get(SCENARIO_ENV, "baseline")


APP_MAX_CUSTOMERS = 20_000  # the page builds no larger model, whatever a client sends (the slider's maximum)
SEED_LIMIT = 2**63  # numpy's seeds: a whole number in [0, 2**63)


def parse_seed(value) -> tuple[int, str | None]:
    """The seed box gives text: a whole number in [0, 2**63) is the seed. Anything else (negative, huge,
    words) is refused with a message and hashed to a seed, so the page still runs."""
    text = str(value).strip()[:1000]
    try:
        seed = int(text)
        if 0 <= seed < SEED_LIMIT:
            return seed, None
    except ValueError:
        pass
    seed = zlib.crc32(text.encode())
    return seed, f"seed {text[:40]!r}: expected a whole number in [0, 2**63); using {seed}"


def check_controls(sc, controls: dict) -> tuple[dict, list[str]]:
    """The scenario overrides the controls ask for, each checked on the server against the schema
    (a client can send any value, not only what its slider offers), and one line per refused value.

    ``controls`` maps names of :data:`LEVERS` (and ``initial_customers``) to values; ``None`` keeps
    the scenario's value. A market size also scales the market potential, so the market keeps its shape.
    """
    from sim.config.errors import ScenarioError

    params, errors = {}, []
    for name, value in controls.items():
        if value is None or name == "initial_customers":
            continue
        value = round(value, 6) if isinstance(value, float) else value  # drops slider noise (0.15000000000000002)
        try:
            sc.with_params({LEVERS[name]: value})
            params[LEVERS[name]] = value
        except ScenarioError as e:
            errors.append(str(e))
    wanted = controls.get("initial_customers")
    if wanted is not None:
        try:
            size = int(wanted)
        except (TypeError, ValueError, OverflowError):
            size = APP_CUSTOMERS
        size = min(max(size, 1), APP_MAX_CUSTOMERS)
        if size != wanted:
            errors.append(f"initial customers {str(wanted)[:40]!r}: expected 1..{APP_MAX_CUSTOMERS}, using {size}")
        n0, potential = int(sc.get("market.initial_customers")), int(sc.get("market.market_potential"))
        params["market.initial_customers"] = size
        params["market.market_potential"] = int(round(potential * size / n0)) if n0 else potential
    return params, errors


def check_inputs(values: dict) -> tuple:
    """What the page's values ask for, checked on the server: ``(scenario, overrides, seed, messages)``.

    An unknown scenario falls back to the default, the levers and market size go through
    :func:`check_controls`, the seed through :func:`parse_seed`; each refused value is one line.
    """
    from sim.config.loader import list_scenarios, load_scenario

    values = dict(values)
    name, seed = values.pop("scenario", None), values.pop("seed", 42)
    errors = []
    if name is not None and name not in list_scenarios():
        errors.append(f"scenario {str(name)[:60]!r}: not a shipped scenario, using the default")
        name = None
    sc = load_scenario(name or default_scenario())
    params, refused = check_controls(sc, values)
    seed, bad_seed = parse_seed(seed)
    return sc, params, seed, errors + refused + ([bad_seed] if bad_seed else [])


class AppModel(CRMKnowledgeModel):
    """``CRMKnowledgeModel`` with the app's controls as flat keyword arguments (names in :data:`LEVERS`).

    Every control left out (or ``None``) keeps the scenario's value; a value the schema refuses is
    dropped and its message kept in ``input_errors`` (shown in the page). ``initial_customers`` sets
    the market size.

    >>> m = AppModel(crm_maturity=3, customer_role="active", turbulence=2.0, seed=1)
    >>> m.scenario.get("policy.crm_maturity")
    3
    """

    def __init__(
        self, scenario: str | None = None, seed=42, rng=None, initial_customers: int | None = APP_CUSTOMERS, **kwargs
    ):  # named kwargs: Mesa's SolaraViz accepts only that name for free keywords
        unknown = sorted(set(kwargs) - set(LEVERS))
        if unknown:
            raise TypeError(f"AppModel: unknown control(s) {', '.join(unknown)}; expected {', '.join(LEVERS)}")
        values = {"scenario": scenario, "seed": seed, "initial_customers": initial_customers, **kwargs}
        sc, params, seed, errors = check_inputs(values)
        self.input_errors: list[str] = errors  # values the page refused, shown in the summary
        super().__init__(scenario=sc, params=params, rng=seed if rng is None else rng)
        self.controls = values  # what the page asked for: a control that differs is pending until Reset
        self.horizon = int(self.scenario.steps)
        self.layout = network_layout(self)
        self.layout_lines = organization_lines(self, self.layout)  # the ties do not move
        self.session = Session()  # the page's session replaces it (app_sessions): page gone, work allowance
        self.stopped: str | None = None  # why the model stopped before its horizon

    def step(self):
        """One week; Play stops at the scenario's horizon, when the page has gone and when the session has
        used its work allowance (Mesa's play loop stops when ``running`` is False)."""
        if self.steps > self.horizon:  # Mesa counted this step before calling: take it back
            self.steps = self.horizon
            self.running = False
            return
        self.stopped = self.session.stop_reason(self.n_customers)
        if self.stopped:
            self.steps -= 1
            self.running = False
            return
        super().step()
        if self.steps >= self.horizon:
            self.running = False


# --- the sidebar controls -----------------------------------------------------------------------


def control(key: str, value):
    """The control of one declared parameter, at ``value``: a choice, or a slider over its range."""
    from sim.config.schema import SCHEMA

    p = SCHEMA[key]
    label = p.label or p.leaf.replace("_", " ")
    if p.type is str:
        return {"type": "Select", "value": value, "values": list(p.choices), "label": label}
    if p.type is int:
        lo, hi = (min(p.choices), max(p.choices)) if p.choices else (p.lo, p.hi)
        return Slider(f"{label} ({lo}-{hi})", value=int(value), min=lo, max=hi, step=1, dtype=int)
    hi, step = SLIDER_MAX.get(key, (p.hi if p.hi is not None else 1.0, 0.05))
    return Slider(label, value=float(value), min=float(p.lo or 0.0), max=hi, step=step, dtype=float)


def model_params(scenario: str | None = None) -> dict:
    """The controls, with the scenario's values as defaults (in Mesa's ``model_params`` form)."""
    from sim.config.loader import list_scenarios, load_scenario

    name = scenario or default_scenario()
    sc = load_scenario(name)
    n0 = int(sc.get("market.initial_customers"))
    return {
        "scenario": {"type": "Select", "value": name, "values": list_scenarios(), "label": "Scenario"},
        "seed": {"type": "InputText", "value": "42", "label": "Random seed"},
        **{control_name: control(key, sc.get(key)) for control_name, key in LEVERS.items()},
        "initial_customers": Slider(
            "Initial customers", value=min(APP_CUSTOMERS, n0), min=min(500, n0), max=max(20000, n0), step=500, dtype=int
        ),
    }


def control_values(params: dict) -> dict:
    """The current value of every control (and the fixed entries) of ``model_params``: the keyword
    arguments ``AppModel`` is re-created with on Reset."""
    return {
        k: v.value if isinstance(v, Slider) else v["value"] if isinstance(v, dict) else v for k, v in params.items()
    }


def explanation(name: str) -> str:
    """What a control means, from its declaration (one home per fact): the parameter's help and, for
    a lever, what it does."""
    from sim.config.schema import SCHEMA

    key = LEVERS.get(name)
    if key is None:
        return ""
    effect = next((lv.effect for lv in DECLARED_LEVERS if lv.key == key), "")
    return SCHEMA[key].help + (f"; {effect}" if effect else "")


# --- the pictures (drawn by the browser: sim/present/app_pictures.py) ---------------------------


@solara.component_vue("agent_map.vue")
def AgentMap(picture: dict, event_pick: Callable[[list], None] = None):  # noqa: RUF013 -- solara's callback
    """A map of agents drawn as SVG in the browser: hover a point for its tip, click an agent to pick it."""


# The charts over the weeks: name -> (title, y label, series as (column, label, colour, dashed)). The y
# axis runs from 0 (lower if a series goes below) to 1.02: every series is a share or a score in [-1, 1].
CHARTS = {
    "customers": (
        "Customers: retention, satisfaction, relational capital",
        "",
        [
            ("retention_rate", "retention (annual)", "#1a9850", False),
            ("satisfaction_mean", "satisfaction", "#d73027", False),
            ("relational_capital", "relational capital", "#4575b4", False),
        ],
    ),
    "knowledge": (
        "Knowledge per level and the knowledge gap",
        "share of items",
        [
            ("knowledge_individual", "individuals", "#440154", False),
            ("knowledge_team", "team repositories", "#21918c", False),
            ("knowledge_org", "knowledge base", "#d4b000", False),
            ("knowledge_gap", "knowledge gap", "#d62728", True),
        ],
    ),
}


def series_chart(model, name: str) -> str:
    """One of :data:`CHARTS` for the weeks so far (SVG)."""
    title, ylabel, columns = CHARTS[name]
    data = model.datacollector.model_vars
    series = [(label, data[col], colour, dashed) for col, label, colour, dashed in columns]
    lowest = np.nanmin([np.nanmin(np.asarray(data[col], dtype=float)) for col, *_ in columns])
    low = 0.0 if not lowest < 0 else float(lowest) - 0.05
    return line_chart(title, data["step"], series, (low, 1.02), ylabel)


# --- the page -----------------------------------------------------------------------------------

MAX_PLAY_INTERVAL_MS = 500  # the sliders' ranges, enforced on the server (Mesa sleeps and loops on them)
MAX_WEEKS_PER_REDRAW = 26
PLAY_INTERVAL_MS = 50  # pause between weeks on Play (the model steps in ~5 ms, the page draws the rest)


def flow_rows(model) -> list[tuple[str, str, str, int]]:
    """(Xie's group, readable channel name, SECI mode, beliefs changed this week) per channel, in registry order."""
    return [(c.group, c.label, c.seci, int(model.stats[f"transfers_{c.name}"])) for c in CHANNELS]


def flows_html(model) -> str:
    """This week's transfers per channel as HTML bars on a linear scale, coloured by SECI mode, in Xie's
    groups: the browser draws them, so they cost the server almost nothing each week."""
    from html import escape

    rows = flow_rows(model)
    top = max(max(v for *_, v in rows), 1)
    cell = "padding: 0 6px; white-space: nowrap"
    out, group = [], None
    for g, label, seci, value in rows:
        if g != group:
            group = g
            out.append(
                f"<tr><td colspan=2 style='{cell}; border-top: 1px solid #ccc; color: #666'>{escape(g)}</td></tr>"
            )
        bar = f"<div style='width: {100 * value / top:.1f}%; background: {SECI_COLORS[seci]}; height: 0.9em'></div>"
        out.append(
            f"<tr title='{escape(seci)}'><td style='{cell}; text-align: right'>{escape(label)}</td>"
            f"<td style='width: 55%'><div style='display: flex; align-items: center; gap: 4px'>{bar}"
            f"<span>{value:,}</span></div></td></tr>"
        )
    legend = " ".join(
        f"<span style='white-space: nowrap'><span style='background: {SECI_COLORS[m]}'>&emsp;</span> {m}</span>"
        for m in SECI_MODES
    )
    return (
        f"<div style='font-weight: bold'>Knowledge flows at week {model.steps}: beliefs changed this week by "
        f"channel (bars on one linear scale, 0 to {top:,})</div><div>{legend}</div>"
        f"<table style='width: 100%; font-size: 0.85em; border-collapse: collapse'>{''.join(out)}</table>"
    )


@solara.component
def Flows(model):
    update_counter.get()
    solara.HTML(tag="div", unsafe_innerHTML=flows_html(model), style="padding: 8px")


def summary_lines(model) -> list[str]:
    """Headline numbers of the current week, and the settings of the running model (HTML lines).

    Plain HTML rather than ``solara.Markdown``: Markdown loads KaTeX from a CDN, which an offline
    machine cannot reach.
    """
    from html import escape

    s = model.stats
    sc = model.scenario
    levers = ", ".join(
        f"{name.replace('_', ' ')} {sc.get(key):g}"
        for name, key in LEVERS.items()
        if key.startswith("policy.") and name not in ("crm_maturity", "customer_role")
    )
    horizon = getattr(model, "horizon", sc.steps)
    return [
        f"<b>Scenario {escape(sc.name)}</b>, week {model.steps} of {horizon}"
        + (f" — <b>horizon reached: week {horizon}</b> (Reset to start again)" if model.steps >= horizon else ""),
        *(f"<span style='color:#b00'>{escape(e)}</span>" for e in getattr(model, "input_errors", [])),
        *([f"<b style='color:#b00'>Stopped: {escape(model.stopped)}</b>"] if getattr(model, "stopped", None) else []),
        f"CRM maturity {model.maturity}, customers {escape(str(model.customer_role))}",
        f"Active customers <b>{s['active_customers']}</b> (won {s['acquired_total']}, lost {s['churned_total']})",
        f"Retention {s['retention_rate']:.1%} a year, satisfaction {s['satisfaction_mean']:+.2f}",
        f"Knowledge gap {s['knowledge_gap']:.2f}, relational capital {s['relational_capital']:.2f}",
        f"Profit this week <b>{s['profit']:,.0f}</b> = revenue {s['revenue']:,.0f} − cost {s['cost']:,.0f}"
        + (f" (margin {s['profit'] / s['revenue']:.1%})" if s["revenue"] else ""),
        f"Employees who left this week: {s['employees_left']}",
        f"<small>Levers: {escape(levers)}</small>",
        f"<small>Environment: turbulence {sc.get('environment.turbulence'):g}, employee turnover "
        f"{sc.get('organization.employee_turnover'):g} a year, competition now {model.competition:.2f}, "
        f"{model.initial_customers} initial customers</small>",
    ]


@solara.component
def Summary(model):
    update_counter.get()
    solara.HTML(tag="div", unsafe_innerHTML="<br>".join(summary_lines(model)), style="padding: 8px; line-height: 1.5")


# What can be inspected: label -> the model's list of agent views (row order); the knowledge base and
# the CRM database are stores, not agents, and are read from the model's arrays (STORE_NAMES).
INSPECTABLE = {
    "employee": "employee_agents",
    "team": "team_agents",
    "knowledge store": None,
    "customer": "customer_agents",
    "R&D / production": "unit_agents",
    "supplier": "supplier_agents",
    "university / consultancy": "source_agents",
}


def inspectable_count(model, kind: str) -> int:
    return len(STORE_NAMES) if INSPECTABLE[kind] is None else len(getattr(model, INSPECTABLE[kind]))


def picked_agent(value) -> tuple[str, int] | None:
    """``[kind, row]`` as a page sent it (a click on a map), checked: None unless ``kind`` is inspectable
    and ``row`` a whole number (the row is clipped to the model's rows when shown)."""
    try:
        kind, row = value
        if kind in INSPECTABLE and not isinstance(row, bool) and float(row) == int(row):
            return str(kind), int(row)
    except (TypeError, ValueError, OverflowError):
        pass
    return None


def pick(picked: solara.Reactive, value) -> None:
    """Inspect what the page picked (a click on a map, the kind or row boxes), if it is an agent."""
    agent = picked_agent(value)
    if agent is not None:
        picked.set(agent)


def bounded_int(value, lo: int, hi: int, default: int) -> int:
    """A whole number a page sent, within ``[lo, hi]`` (``default`` if it is not a number at all)."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return default
    if number != number:  # NaN
        return default
    return int(min(max(number, lo), hi))


def agent_state(model, kind: str, row: int) -> list[tuple[str, str, str]]:
    """(name, value, meaning) of one agent's state: what it knows (overall and by domain) and every
    declared column (:func:`sim.agents.state_columns`, whose docs say what each means). ``row`` is
    clipped to the agents there are."""
    from sim.agents import state_columns
    from sim.engine.knowledge import proportion_correct

    row = min(max(int(row), 0), inspectable_count(model, kind) - 1)
    if INSPECTABLE[kind] is None:
        beliefs = (model.kb, model.crm_db)[row]
        return [
            ("store", STORE_NAMES[row], "explicit knowledge the whole firm can look up"),
            ("knowledge", f"{proportion_correct(beliefs, model.reality):.2f}", "share of items this store gets right"),
            ("knows", known_by_domain(model, beliefs), "share right per knowledge domain"),
            ("recorded", f"{np.mean(beliefs != 0):.2f}", "share of items it holds any record of"),
        ]
    agent = getattr(model, INSPECTABLE[kind])[row]
    out = [("id", str(agent.unique_id), f"row {agent.row} of the model's {agent.table}")]
    out.append(("knowledge", f"{agent.knowledge:.2f}", "share of items this holder gets right"))
    out.append(("knows", known_by_domain(model, agent.beliefs), "share right per knowledge domain"))
    for col in state_columns(type(agent)):
        value = getattr(agent, col.name)
        shown = (
            value.name.lower().replace("_", " ")
            if hasattr(value, "name")
            else f"{value:.2f}"
            if isinstance(value, float)
            else value
        )
        out.append((col.name.replace("_", " "), str(shown), col.doc))
    return out


@solara.component
def Inspect(model, picked: solara.Reactive[tuple[str, int]]):
    """One agent's state in a small table: the one clicked on a map, or chosen by kind and row."""
    from html import escape

    update_counter.get()
    kind, row = picked.value
    n = inspectable_count(model, kind)
    with solara.Card("Inspect an agent (or click one on a map)"):
        with solara.Row():
            solara.Select("Kind", values=list(INSPECTABLE), value=kind, on_value=lambda k: pick(picked, [k, 0]))
            solara.InputInt(f"Row (0-{n - 1})", value=row, on_value=lambda r: pick(picked, [kind, r]))
        if n:
            cells = "".join(
                f"<tr><td><b>{escape(k)}</b></td><td>{escape(v)}</td><td><small>{escape(d)}</small></td></tr>"
                for k, v, d in agent_state(model, kind, row)
            )
            solara.HTML(tag="table", unsafe_innerHTML=cells, style="font-size: 0.85em", classes=["crm-inspector"])


@solara.component
def Dashboard(model):
    """This week's flows and the summary first; then the organization with this week's flows on it beside
    the inspector (click an agent on a map) and the customer KPIs; then the customers beside knowledge
    per level. All drawn by the browser, so all are new every week. Side by side on a wide screen,
    stacked below ~1260 px."""
    update_counter.get()
    picked = solara.use_reactive(("employee", 0))
    with solara.ColumnsResponsive(12, large=[7, 5]):
        Flows(model)
        Summary(model)
    with solara.ColumnsResponsive(12, large=[7, 5]):
        org = organization_map(model, model.layout, picked.value, CHANNELS)
        AgentMap(picture={**org, "lines": model.layout_lines}, event_pick=lambda value: pick(picked, value))
        with solara.Column():
            Inspect(model, picked)
            solara.HTML(tag="div", unsafe_innerHTML=series_chart(model, "customers"), classes=["crm-chart"])
    with solara.ColumnsResponsive(12, large=[7, 5]):
        AgentMap(picture=customer_map(model, picked.value), event_pick=lambda value: pick(picked, value))
        solara.HTML(tag="div", unsafe_innerHTML=series_chart(model, "knowledge"), classes=["crm-chart"])


def pending_changes(values: dict, running: dict) -> dict:
    """Controls whose value differs from the one the running model was made with (name -> that
    value): Reset applies them. Slider noise (0.30000000000000004) is not a change."""

    def same(a, b):
        if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
            return round(float(a), 6) == round(float(b), 6)
        return str(a).strip() == str(b).strip()

    return {name: running.get(name) for name, value in values.items() if not same(value, running.get(name))}


@solara.component
def ParameterInputs(values: solara.Reactive[dict], running: dict):
    """Every control with its value always shown and its meaning beside it (from the declarations);
    a control changed since the last Reset is marked pending. Choosing a scenario loads its values
    (Reset starts it); refused values are listed, never raised."""
    pending = pending_changes(values.value, running)
    if pending:
        solara.Warning(
            f"{len(pending)} change{'s' * (len(pending) > 1)} pending: Reset starts a model with them",
            dense=True,
            classes=["crm-pending"],
        )
    scenario = values.value.get("scenario")
    spec = solara.use_memo(lambda: model_params(scenario), [scenario])

    def setter(name):
        return lambda value: values.set({**values.value, name: value})

    def choose(name):
        from sim.config.loader import list_scenarios

        if name in list_scenarios():
            values.set({**control_values(model_params(name)), "seed": values.value.get("seed")})

    for name, p in spec.items():
        value = values.value.get(name)
        if isinstance(p, Slider):
            slider = solara.SliderFloat if p.is_float_slider else solara.SliderInt
            solara.Div(style={"height": "18px"})  # room for the value shown above the thumb
            slider(p.label, value=value, on_value=setter(name), min=p.min, max=p.max, step=p.step, thumb_label="always")
        elif p["type"] == "Select":
            solara.Select(
                p["label"], values=p["values"], value=value, on_value=choose if name == "scenario" else setter(name)
            )
        else:
            solara.InputText(p["label"], value=str(value), on_value=setter(name), continuous_update=False)
        if name in pending:
            solara.Text(
                f"pending until Reset (the running model has {pending[name]})",
                style={"font-size": "0.8em", "color": "#e65100", "font-weight": "bold"},
                classes=["crm-pending-control"],
            )
        text = explanation(name)
        if text:
            solara.Text(text, style={"font-size": "0.75em", "color": "#666", "line-height": "1.2"})
    for error in check_inputs(values.value)[-1]:
        solara.Error(error, dense=True)


@solara.component
def Page():
    """One model per browser session, if the server has room for another (app_sessions)."""
    session, refusal = solara.use_memo(open_session, [])
    if refusal:
        solara.Title("CRM knowledge transfer - busy")
        solara.Error(refusal, classes=["crm-busy"])
        return
    Simulation(session)


@solara.component
def Simulation(session: Session):
    """The page of one session; the controls re-create the model on Reset (Mesa's ModelController)."""
    initial = solara.use_memo(lambda: control_values(model_params()), [])
    values = solara.use_reactive(initial)
    model = solara.use_reactive(solara.use_memo(lambda: AppModel(**initial), []))
    model.value.session = session  # every model of this session (Reset makes a new one) shares its allowance
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    title = f"CRM knowledge transfer - {model.value.scenario.name}"
    solara.Title(title)
    with solara.AppBar():
        solara.AppBarTitle(title)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            solara.Div(style={"height": "18px"})  # room for the value shown above the thumb
            solara.SliderInt(
                "Play interval (ms)",
                value=play_interval.value,
                on_value=lambda v: play_interval.set(bounded_int(v, 0, MAX_PLAY_INTERVAL_MS, PLAY_INTERVAL_MS)),
                min=0,
                max=MAX_PLAY_INTERVAL_MS,
                step=10,
                thumb_label="always",
            )
            solara.Div(style={"height": "18px"})
            solara.SliderInt(
                "Weeks per redraw",
                value=render_interval.value,
                on_value=lambda v: render_interval.set(bounded_int(v, 1, MAX_WEEKS_PER_REDRAW, 1)),
                min=1,
                max=MAX_WEEKS_PER_REDRAW,
                thumb_label="always",
            )
            ModelController(
                model,
                model_parameters=values,
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=solara.use_reactive(False),
            )
        with solara.Card("Information"):
            ShowSteps(model.value)
        with solara.Card("Model Parameters"):
            ParameterInputs(values, model.value.controls)
    Dashboard(model.value)


# --- serving ------------------------------------------------------------------------------------


def server_command(host: str, port: int) -> list[str]:
    """The Solara command that serves this module (production mode, no browser, no version check)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "sim.present.app:Page",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--log-level",
        "warning",
    ]


def server_env(scenario: str, max_sessions: int = DEFAULT_MAX_SESSIONS) -> dict[str, str]:
    env = dict(os.environ)
    env[SCENARIO_ENV] = scenario
    env[MAX_SESSIONS_ENV] = str(int(max_sessions))
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CULL_AFTER)  # a closed tab's kernel goes after minutes, not 24 h
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no calls home
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _bind_error(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port`` (None: it can)."""
    import errno

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"--host {host}: unknown host ({exc.strerror})"
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"--port {port}: {host}:{port} is in use; pick another with --port N (0: any free port)"
            return f"--host {host} --port {port}: cannot listen there ({exc.strerror})"
    return None


def _free_port(host: str) -> int:
    family = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0][0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def missing_assets() -> list[str]:
    """Browser assets the page loads through Solara's CDN proxy that are not cached locally.

    Offline, the page stays blank without them; ``pip install solara-assets`` provides them (for
    the Vue 2 front end, i.e. ``ipyvue<2``). Best effort: an empty list when it cannot tell.
    """
    import re

    try:
        import solara.server.server as server
        from solara.server import settings

        template = (Path(server.__file__).parent / "templates" / "solara.html.j2").read_text()
        app = "solara-vuetify3-app" if server.vue3 else "solara-vuetify-app"
        wanted = sorted(set(re.findall(rf"@widgetti/{app}@[0-9.]+", template)))
        wanted += ["requirejs@2.3.6"]
        cache = Path(settings.assets.proxy_cache_dir)
        return [w for w in wanted if not (cache / w).is_dir()]
    except Exception:  # noqa: BLE001 -- a check, never a reason not to start
        return []


def check_address(host: str, port: int) -> int:
    """The port to serve on: ``port``, or a free one for 0; an InputError if ``host:port`` cannot be used."""
    from sim.io.errors import InputError

    problem = _bind_error(host, port)
    if problem:
        raise InputError(problem)
    return port or _free_port(host)


def serve(scenario: str, host: str, port: int, max_sessions: int = DEFAULT_MAX_SESSIONS) -> int:
    """Run the Solara server of ``scenario`` until it exits; on Ctrl+C or SIGTERM stop it and raise
    KeyboardInterrupt. Returns the server's exit code."""
    proc = subprocess.Popen(server_command(host, port), env=server_env(scenario, max_sessions))

    def stop(signum, frame):  # a SIGTERM to `run.py app` stops the server too
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
