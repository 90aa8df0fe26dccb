"""The browser app (sim/present/app.py): the model behind the controls, the pictures, and the real thing
in headless Chromium -- the page renders, is not blank, the Step button moves the charts, and what a
teacher needs works (issue 13).

Set ``UPDATE_APP_SCREENSHOT=1`` to also refresh ``docs/app.png`` (after a few steps) from the
browser test.
"""

from __future__ import annotations

import inspect
import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 120  # s, first start compiles and imports a lot
PAGE_TIMEOUT_MS = 60_000
STEP_TIMEOUT_MS = 30_000

app = pytest.importorskip("sim.present.app")


# --- the model behind the sliders ------------------------------------------------------------


def test_app_model_maps_flat_sliders_to_scenario_keys():
    m = app.AppModel(
        crm_maturity=3,
        customer_role="active",
        codification=0.55,
        turbulence=2,
        employee_turnover=0.3,
        competition=0.6,
        initial_customers=500,
        seed="7",
    )
    sc = m.scenario
    assert sc.get("policy.crm_maturity") == 3 and m.maturity == 3
    assert sc.get("policy.customer_role") == "active"
    assert sc.get("policy.codification") == pytest.approx(0.55)
    assert sc.get("environment.turbulence") == pytest.approx(2.0)
    assert sc.get("organization.employee_turnover") == pytest.approx(0.3)
    assert sc.get("environment.competition") == pytest.approx(0.6)
    assert sc.get("market.initial_customers") == 500
    from sim.config.loader import load_scenario

    base = load_scenario("baseline")
    ratio = base.get("market.market_potential") / base.get("market.initial_customers")
    assert sc.get("market.market_potential") == round(500 * ratio)


def test_app_model_defaults_keep_the_scenario_and_seed_is_reproducible():
    from sim.config.loader import load_scenario

    a, b = app.AppModel(scenario="ckm", seed="3"), app.AppModel(scenario="ckm", seed=3)
    ckm = load_scenario("ckm")
    for key in app.LEVERS.values():
        assert a.scenario.get(key) == ckm.get(key)
    for _ in range(3):
        a.step()
        b.step()
    assert a.stats == b.stats
    assert app.AppModel(seed="not a number").stats["step"] == 0  # any text is a seed


def test_model_params_fit_the_model_signature():
    """SolaraViz re-creates the model with every control's value as a keyword argument."""
    from mesa.visualization.solara_viz import _check_model_params, split_model_params

    from sim.config.loader import load_scenario

    params = app.model_params("baseline")
    _check_model_params(app.AppModel.__init__, params)
    adjustable, _ = split_model_params(params)
    for lever in app.LEVERS:
        assert lever in adjustable, lever
    m = app.AppModel(**app.control_values(params))
    assert m.scenario.get("market.initial_customers") == app.APP_CUSTOMERS
    base = load_scenario("baseline")
    for key in app.LEVERS.values():  # the controls start at the scenario's values
        assert m.scenario.get(key) == base.get(key), key
    named = set(inspect.signature(app.AppModel.__init__).parameters)
    assert named | set(app.LEVERS) >= set(params)  # every control is a named argument or a declared lever
    with pytest.raises(TypeError, match="unknown control"):
        app.AppModel(no_such_lever=1)


def test_pictures_draw_every_holder_and_channel():
    """The maps hold one clickable point per knowledge holder (and per sampled customer), each with its
    kind and row for the inspector and a tip; the charts one line per series; the flows every channel."""
    from html import escape

    m = app.AppModel(initial_customers=500, seed=1)
    for _ in range(5):
        m.step()
    org = app.organization_map(m, m.layout, ("team", 2))
    agents = [p for p in org["points"] if p["kind"]]
    expected = {
        "employee": m.employees.beliefs.shape[0],
        "team": m.teams.beliefs.shape[0],
        "knowledge store": 2,
        "R&D / production": m.units.beliefs.shape[0],
        "supplier": m.suppliers.beliefs.shape[0],
        "university / consultancy": m.sources.beliefs.shape[0],
    }
    assert {k: sum(p["kind"] == k for p in agents) for k in expected} == expected
    assert set(expected) <= set(app.INSPECTABLE)
    for kind, n in expected.items():  # every row of every kind, once
        assert sorted(p["row"] for p in agents if p["kind"] == kind) == list(range(n))
    assert all(p["tip"] and "knows" in p["tip"] for p in agents)
    assert [(p["kind"], p["row"]) for p in org["points"] if p.get("selected")] == [("team", 2)]
    assert "week 5" in " ".join(t["text"] for t in org["labels"])
    assert len(m.layout_lines) == 2 and m.layout_lines[0]["d"].count("M") == m.network.number_of_edges()

    from sim.present.app_pictures import customer_sample

    customers = app.customer_map(m, ("customer", 3))
    clickable = [p for p in customers["points"] if p["kind"] == "customer"]
    assert len(clickable) == customer_sample(m).size + (3 not in customer_sample(m))
    assert customers["points"][-4]["selected"] and customers["points"][-4]["row"] == 3  # on top of the others
    churned = [p for p in clickable if "churned" in p["tip"]]
    assert all(p["fill"] == "none" for p in churned)

    for name, (_, _, columns) in app.CHARTS.items():
        chart = app.series_chart(m, name)
        assert chart.startswith("<svg") and chart.count("stroke-width='2'") == len(columns)
        assert all(label in chart for _, label, _, _ in columns)
    assert "retention (annual)" in app.series_chart(m, "customers")  # week 0's retention is undefined: a gap

    rows = app.flow_rows(m)
    assert [v for *_, v in rows] == [m.stats[f"transfers_{c.name}"] for c in app.CHANNELS]
    html = app.flows_html(m)
    for (_, label, seci, _), c in zip(rows, app.CHANNELS):
        assert "_" not in label and escape(label) in html, label
        assert seci == c.seci and app.SECI_COLORS[seci] in html


def test_this_weeks_flows_are_drawn_on_the_organization():
    """Every channel has a route on the map; a channel that moved beliefs this week is an arrow whose width
    grows linearly with its count, coloured by its SECI mode, two-headed when it runs both ways; a quiet
    channel draws nothing."""
    from sim.present.app_pictures import FLOW_ROUTES, flow_arrows

    assert set(FLOW_ROUTES) == {c.name for c in app.CHANNELS}
    m = app.AppModel(scenario="ckm", initial_customers=500, seed=1)
    for _ in range(3):
        m.step()
    arrows, labels = flow_arrows(m, m.layout, app.CHANNELS)
    counts = {c.name: m.stats[f"transfers_{c.name}"] for c in app.CHANNELS}
    assert [a["channel"] for a in arrows] == [c.name for c in app.CHANNELS if counts[c.name] > 0]
    assert len(arrows) >= 5 and len(labels) == len(arrows)
    top = max(counts.values())
    seci = {c.name: c.seci for c in app.CHANNELS}
    for a in arrows:
        assert a["width"] == round(1.5 + 7.5 * counts[a["channel"]] / top, 1)
        assert a["stroke"] == app.SECI_COLORS[seci[a["channel"]]] and a["both"] == FLOW_ROUTES[a["channel"]][2]
        assert f"{counts[a['channel']]:,} beliefs changed this week" in a["tip"]
    org = app.organization_map(m, m.layout, None, app.CHANNELS)
    assert org["arrows"] == arrows and len(org["arrow_colors"]) == 4
    for name in counts:  # a quiet week draws no arrows
        m.stats[f"transfers_{name}"] = 0
    assert flow_arrows(m, m.layout, app.CHANNELS) == ([], [])


def test_a_click_from_the_page_is_checked_and_every_kind_inspectable():
    """What a page sends when an agent is clicked is checked on the server; every kind shows what it
    knows, overall and by domain."""
    assert app.picked_agent(["customer", 3]) == ("customer", 3)
    assert app.picked_agent(["team", 2.0]) == ("team", 2)
    for bad in (None, "employee", ["nobody", 1], ["team", True], ["team", 1.5], ["team", "x"], ["team", 1e400], [1]):
        assert app.picked_agent(bad) is None, bad
    m = app.AppModel(initial_customers=500, seed=1)
    m.step()
    for kind in app.INSPECTABLE:
        state = {k: v for k, v, _ in app.agent_state(m, kind, 10**9)}  # a row past the end: the last one
        assert "knowledge" in state and state["knows"].startswith("customer "), kind
    assert "satisfaction" in {k for k, _, _ in app.agent_state(m, "customer", 0)}
    assert {k: v for k, v, _ in app.agent_state(m, "knowledge store", 1)}["store"] == "CRM database"


def test_controls_changed_since_reset_are_pending():
    running = app.control_values(app.model_params("baseline"))
    assert app.pending_changes(running, running) == {}
    changed = {**running, "codification": round(running["codification"] + 0.1, 2), "seed": " 42 "}
    assert app.pending_changes(changed, running) == {"codification": running["codification"]}
    noisy = {**running, "codification": running["codification"] + 1e-12}
    assert app.pending_changes(noisy, running) == {}
    m = app.AppModel(**running)
    assert app.pending_changes(running, m.controls) == {}


def test_check_inputs_refuses_bad_values_with_one_line_messages():
    """Whatever a client sends, the server checks it against the schema: a message, never an exception."""
    bad = {
        "scenario": "no_such",
        "seed": "-5",
        "codification": 7.0,
        "crm_maturity": 9,
        "customer_role": "nobody",
        "turbulence": "lots",
        "initial_customers": 10**9,
    }
    sc, params, seed, errors = app.check_inputs(bad)
    assert sc.name == "baseline" and len(errors) == 7, errors
    assert all(e and "\n" not in e for e in errors)
    assert "expected a whole number" in errors[-1] and seed == app.parse_seed("-5")[0]
    assert not {"policy.codification", "policy.crm_maturity", "policy.customer_role"} & set(params)
    assert params["market.initial_customers"] == app.APP_MAX_CUSTOMERS
    good = app.check_inputs({"scenario": "ckm", "seed": "7", "codification": 0.30000000000000004})
    assert good[0].name == "ckm" and good[1] == {"policy.codification": 0.3} and good[2:] == (7, [])
    for text in ("-1", "2" + "0" * 30, "seven", ""):
        assert app.parse_seed(text)[1], text
    m = app.AppModel(seed=-5, codification=-1.0)  # the model still builds, and says what it refused
    assert len(m.input_errors) == 2 and any("seed" in line for line in app.summary_lines(m))


def test_play_stops_at_the_horizon():
    """Mesa's play loop steps while ``model.running``: the model stops itself at the scenario's horizon."""
    m = app.AppModel(initial_customers=500, seed=1)
    assert m.horizon == m.scenario.steps
    m.horizon = 4  # the same rule, quicker than the scenario's 104 weeks
    while m.running:
        m.step()
    assert m.steps == 4 and m.stats["step"] == 4
    m.step()  # a client that steps anyway changes nothing
    assert m.steps == 4 and m.stats["step"] == 4
    assert "horizon reached: week 4" in app.summary_lines(m)[0]
    assert "margin" in " ".join(app.summary_lines(m))


def test_controls_explained_from_declarations():
    from sim.config.loader import list_scenarios
    from sim.config.schema import SCHEMA

    assert app.model_params("baseline")["scenario"]["values"] == list_scenarios()
    for name, key in app.LEVERS.items():
        assert app.explanation(name).startswith(SCHEMA[key].help), name


def test_cli_refuses_bad_scenario_and_busy_port(capsys):
    from sim.cli.main import main

    assert main(["app", "--scenario", "baseline_typo", "--port", "0"]) == 2
    assert "baseline" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        busy = s.getsockname()[1]
        assert main(["app", "--port", str(busy), "--host", "127.0.0.1"]) == 2
    assert "in use" in capsys.readouterr().err


# --- the real thing in a browser -------------------------------------------------------------


SERVER: dict[str, int] = {}  # the app command's pid, for the tests that watch the server's CPU


def _cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process (all its threads, ended ones too) and its children (Linux
    /proc; the app command serves from a child)."""
    tick = os.sysconf("SC_CLK_TCK")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += _cpu_seconds(int(child))
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (install Debian's chromium package to test the app in a browser)")
    pytest.importorskip("playwright.sync_api")
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "run.py", "app", "--host", "127.0.0.1", "--port", str(port), "--max-sessions", "3"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the app server exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the app server did not answer within {SERVER_START_TIMEOUT} s:\n{log.read_text()}")
            time.sleep(0.5)
        assert url in log.read_text()  # the command prints where it serves
        SERVER["pid"] = proc.pid
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextmanager
def open_browser():
    """Headless Chromium (Debian's package), closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=PAGE_TIMEOUT_MS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_page(url: str, width: int, height: int):
    """A page of the app at ``url`` in a ``width`` x ``height`` window, loaded (its model at week 0)."""
    with open_browser() as browser:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(url, timeout=PAGE_TIMEOUT_MS)
        page.get_by_text("Step: 0", exact=True).wait_for(timeout=PAGE_TIMEOUT_MS)
        yield page


def _not_blank(png: bytes) -> tuple[int, float]:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    colours = np.unique(img.reshape(-1, 3), axis=0).shape[0]
    non_white = float((img.min(axis=2) < 235).mean())
    return colours, non_white


def test_app_in_headless_chromium(server, tmp_path):
    with open_page(server, 1600, 1400) as page:
        page.wait_for_selector("path.agent", timeout=PAGE_TIMEOUT_MS)  # the maps, drawn by the browser
        charts = page.locator(".crm-chart svg, .crm-agent-map svg")
        assert charts.count() == 4, charts.count()
        for label in ("Model Parameters", "Codification", "Turbulence (x drift)", "Loyalty scheme"):
            assert page.get_by_text(label, exact=False).count() >= 1, label

        shot = page.screenshot(full_page=True)
        (tmp_path / "app.png").write_bytes(shot)
        colours, non_white = _not_blank(shot)
        assert colours > 200 and non_white > 0.05, (colours, non_white)

        before = [charts.nth(i).inner_html() for i in range(4)]
        page.get_by_role("button", name="Step").click()
        page.get_by_text("Step: 1", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
        page.get_by_text("Organization at week 1", exact=False).wait_for(timeout=STEP_TIMEOUT_MS)
        page.get_by_text("Customers at week 1", exact=False).wait_for(timeout=STEP_TIMEOUT_MS)
        after = [charts.nth(i).inner_html() for i in range(4)]
        assert all(a != b for a, b in zip(before, after)), "every picture is redrawn every week"
        flows = page.locator("path.flow")  # this week's flows on the organization
        assert flows.count() >= 3, flows.count()
        flows.first.dispatch_event("mouseenter")
        tip = page.locator(".crm-agent-tip")
        tip.wait_for(timeout=STEP_TIMEOUT_MS)
        assert "beliefs changed this week" in tip.inner_text()
        page.get_by_text("Knowledge flows at week 1", exact=False).wait_for(timeout=STEP_TIMEOUT_MS)
        assert "error in step" not in page.inner_text("body")

        # Reset re-creates the model from every control's value (AppModel's keyword arguments)
        page.get_by_role("button", name="Reset").click()
        page.get_by_text("Step: 0", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
        page.get_by_role("button", name="Step").click()
        page.get_by_text("Step: 1", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
        text = page.inner_text("body")
        assert "Traceback" not in text and "Error" not in text, text[-2000:]

        if os.environ.get("UPDATE_APP_SCREENSHOT"):
            for _ in range(25):
                n = int(page.get_by_text("Step:", exact=False).first.inner_text().split(":")[1])
                page.get_by_role("button", name="Step").click()
                page.get_by_text(f"Step: {n + 1}", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
            page.evaluate("document.querySelectorAll('*').forEach(e => e.scrollTop = 0)")  # the flows first
            page.wait_for_timeout(2000)
            page.screenshot(path=str(ROOT / "docs" / "app.png"), full_page=True)
            page.locator("path.agent[data-kind='customer']").last.click()
            maps = page.locator(".crm-agent-map").last  # the customers, below the organization
            maps.scroll_into_view_if_needed()
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ROOT / "docs" / "app_maps.png"), full_page=True)


def test_app_for_class_in_headless_chromium(server):
    """What a teacher needs (issue 13): a tab title, a scenario chooser, every slider's value on show,
    a bad seed answered with a message (never a traceback), and Play that stops at the horizon."""
    with open_page(server, 1600, 1400) as page:
        assert page.title() == "CRM knowledge transfer - baseline"
        assert page.get_by_text("Scenario", exact=True).count() >= 1
        sliders = page.get_by_role("slider")
        labels = page.locator(".v-slider__thumb-label")
        assert sliders.count() >= len(app.LEVERS) and labels.count() == sliders.count()
        assert all(labels.nth(i).is_visible() for i in range(labels.count()))
        assert page.get_by_text("Effort on writing knowledge down", exact=False).count() >= 1  # explained

        # a changed slider is marked pending until Reset
        assert page.locator(".crm-pending").count() == 0
        sliders.nth(2).focus()  # CRM maturity
        sliders.nth(2).press("ArrowRight")
        page.locator(".crm-pending").first.wait_for(timeout=STEP_TIMEOUT_MS)
        assert "1 change pending" in page.locator(".crm-pending").first.inner_text()
        assert "the running model has 1" in page.locator(".crm-pending-control").first.inner_text()
        page.get_by_role("button", name="Reset").click()
        page.get_by_text("CRM maturity 2", exact=False).wait_for(timeout=STEP_TIMEOUT_MS)
        page.locator(".crm-pending").wait_for(state="detached", timeout=STEP_TIMEOUT_MS)

        seed = page.get_by_label("Random seed")
        seed.fill("-5")
        seed.press("Enter")
        page.get_by_text("expected a whole number", exact=False).first.wait_for(timeout=STEP_TIMEOUT_MS)
        page.get_by_role("button", name="Reset").click()
        page.get_by_text("Step: 0", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)

        sliders.nth(1).focus()  # weeks per redraw: 26, so Play reaches the horizon in a few redraws
        sliders.nth(1).press("End")
        page.get_by_role("button", name="▶").click()
        page.get_by_text("horizon reached: week 104", exact=False).wait_for(timeout=STEP_TIMEOUT_MS)
        page.get_by_text("Step: 104", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
        flows = page.get_by_text("Knowledge flows at week 104", exact=False)
        assert flows.count() == 1 and "Socialization" in page.inner_text("body")  # readable channel names
        assert page.get_by_role("button", name="Step").is_disabled()  # and Play: running is False
        text = page.inner_text("body")
        assert "Traceback" not in text and "error in step" not in text, text[-2000:]

        page.locator(".v-select").first.click()  # the scenario chooser: its values, then Reset starts it
        page.get_by_role("option", name="ckm").click()
        page.get_by_role("button", name="Reset").click()
        page.get_by_text("Scenario ckm", exact=False).wait_for(timeout=STEP_TIMEOUT_MS)
        assert "CRM maturity 3, customers active" in page.inner_text("body")
        assert page.title() == "CRM knowledge transfer - ckm"


def test_app_inspect_by_clicking_at_1024_px(server):
    """At 1024 px wide (a classroom projector) nothing scrolls sideways and every picture is on the
    page; hovering an agent shows its tip, clicking it (an employee, a store, a customer) opens it in
    the inspector with what it knows."""
    with open_page(server, 1024, 768) as page:
        page.wait_for_selector("path.agent")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1024
        maps = page.locator(".crm-agent-map svg")
        assert maps.count() == 2 and page.locator(".crm-chart svg").count() == 2
        for i in range(maps.count()):  # each picture fits the width and is legible (not squeezed)
            box = maps.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1024 and box["width"] >= 500, box

        employee = page.locator("path.agent[data-kind='employee'][data-row='7']")
        employee.scroll_into_view_if_needed()
        employee.hover()
        tip = page.locator(".crm-agent-tip")
        tip.wait_for(timeout=STEP_TIMEOUT_MS)
        assert tip.inner_text().startswith("employee 7,") and "knows" in tip.inner_text()
        employee.click()
        inspector = page.locator(".crm-inspector")
        page.wait_for_function(
            "document.querySelector('.crm-inspector').innerText.includes(\"row 7 of the model's employees\")",
            timeout=STEP_TIMEOUT_MS,
        )
        text = inspector.inner_text()
        assert "knows" in text and "absorptive capacity" in text
        selected = page.locator("path.agent[stroke='#e41a1c']")
        assert selected.count() == 1 and selected.get_attribute("data-row") == "7"

        store = page.locator("path.agent[data-kind='knowledge store'][data-row='1']")
        store.click()
        page.wait_for_function(
            "document.querySelector('.crm-inspector').innerText.includes('CRM database')", timeout=STEP_TIMEOUT_MS
        )
        customer = page.locator("path.agent[data-kind='customer']").last  # drawn on top: nothing covers it
        row = customer.get_attribute("data-row")
        customer.scroll_into_view_if_needed()
        customer.click()
        page.wait_for_function(
            f"document.querySelector('.crm-inspector').innerText.includes(\"row {row} of the model's customers\")",
            timeout=STEP_TIMEOUT_MS,
        )
        assert "satisfaction" in inspector.inner_text()
        # the inspected agent follows the weeks
        page.get_by_role("button", name="Step").click()
        page.get_by_text("Step: 1", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
        assert f"row {row} of the model's customers" in inspector.inner_text()
        assert "Traceback" not in page.inner_text("body")


def test_play_stops_when_the_page_goes_away(server):
    """A closed tab stops its model (issue 14): the server's CPU goes quiet at once, not at the horizon.
    Played at the largest market (20,000 customers) with the default pause, the model would go on for
    another ~10 s (to its horizon, week 104) if nothing stopped it."""
    with open_page(server, 1600, 1000) as page:
        sliders = page.get_by_role("slider")
        sliders.nth(sliders.count() - 1).focus()  # the largest market
        sliders.nth(sliders.count() - 1).press("End")
        page.get_by_role("button", name="Reset").click()
        page.get_by_text("20000 initial customers", exact=False).wait_for(timeout=STEP_TIMEOUT_MS)
        page.get_by_role("button", name="▶").click()
        page.wait_for_function("parseInt(document.body.innerText.split('Step: ')[1]) >= 26", timeout=STEP_TIMEOUT_MS)
        before = _cpu_seconds(SERVER["pid"])
        page.wait_for_timeout(1000)
        playing = _cpu_seconds(SERVER["pid"]) - before  # 1 s of Play, weeks far from the horizon (104)
        step = int(page.inner_text("body").split("Step: ")[1].split()[0])
        assert step < 60, step
        page.close()
        time.sleep(0.5)
        before = _cpu_seconds(SERVER["pid"])
        time.sleep(3.0)
        after_close = _cpu_seconds(SERVER["pid"]) - before
    print(f"server CPU: {playing:.2f} s in 1 s of Play (week {step}), {after_close:.2f} s in 3 s after the tab closed")
    assert after_close < 0.2, (playing, after_close)  # were Play going on: ~0.6 s (measured)


def test_the_server_serves_a_limited_number_of_sessions(server):
    """Beyond --max-sessions (3 here) a new tab gets a one-line message and no model; a tab that closes
    makes room."""
    with open_browser() as browser:
        pages = []
        for _ in range(3):
            page = browser.new_context().new_page()
            page.goto(server, timeout=PAGE_TIMEOUT_MS)
            page.get_by_text("Step: 0", exact=True).wait_for(timeout=PAGE_TIMEOUT_MS)
            pages.append(page)
        extra = browser.new_context().new_page()
        extra.goto(server, timeout=PAGE_TIMEOUT_MS)
        busy = extra.locator(".crm-busy")
        busy.wait_for(timeout=PAGE_TIMEOUT_MS)
        assert "its limit of 3" in busy.inner_text() and extra.get_by_text("Step: 0").count() == 0
        assert extra.title() == "CRM knowledge transfer - busy"
        pages[0].close()
        time.sleep(1.0)
        extra.reload()
        extra.get_by_text("Step: 0", exact=True).wait_for(timeout=PAGE_TIMEOUT_MS)
