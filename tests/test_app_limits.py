"""The app cannot be abused and never shows a traceback for bad input (issues 13, 14): every value a
client sends is checked on the server against the schema (not only the slider's range), the model size is
capped, any seed text is a seed, and Play stops at the scenario's horizon."""

from __future__ import annotations

from sim.present.app import APP_MAX_CUSTOMERS, AppModel, parse_seed


def test_any_seed_text_is_a_seed_with_a_message():
    for text in ("-5", "2" * 40, "hello", "", "1e9", "\x00"):
        seed, message = parse_seed(text)
        assert 0 <= seed < 2**63 and message and "\n" not in message
    assert parse_seed("  7 ") == (7, None) and parse_seed("-5")[0] != parse_seed("5")[0]


def test_bad_values_from_a_client_are_refused_on_the_server():
    m = AppModel(seed="-1", initial_customers=200_000, crm_maturity=7, turbulence=-3.0, loyalty_scheme=0.4)
    assert m.initial_customers == APP_MAX_CUSTOMERS  # not the 200,000 a client asked for
    assert m.scenario.get("policy.crm_maturity") == 1 and m.scenario.get("environment.turbulence") == 1.0
    assert m.scenario.get("policy.loyalty_scheme") == 0.4  # a good value next to bad ones still counts
    assert len(m.input_errors) == 4 and all("\n" not in e for e in m.input_errors)  # seed, maturity, turbulence, size


def test_an_unknown_scenario_falls_back_with_a_message():
    m = AppModel(scenario="../../etc/passwd", seed="1", initial_customers=500)
    assert m.scenario.name == "baseline" and "not a shipped scenario" in m.input_errors[0]


def test_play_stops_at_the_horizon():
    m = AppModel(seed="1", initial_customers=500)
    m.horizon = 3
    for _ in range(6):
        m.step()
    assert m.steps == 3 and m.running is False
    assert len(m.datacollector.get_model_vars_dataframe()) == 4  # rows 0..3, nothing past the horizon


def test_serving_beyond_this_machine_needs_an_explicit_flag(capsys):
    from sim.cli.main import main

    assert main(["app", "--host", "0.0.0.0", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "--public" in err and err.count("\n") == 1


# --- sessions: the page gone, the work allowance, the number of sessions (sim/present/app_sessions.py) ---


def test_play_stops_when_the_page_has_gone():
    from sim.present.app_sessions import Session

    page_there = [True]
    m = AppModel(seed="1", initial_customers=500)
    m.session = Session(connected=lambda: page_there[0])
    m.step()
    m.step()
    page_there[0] = False
    m.step()
    assert m.steps == 2 and m.running is False and m.stopped == "the page has gone"
    assert len(m.datacollector.get_model_vars_dataframe()) == 3  # rows 0..2: the refused week left no row


def test_a_session_stops_at_its_work_allowance_with_a_message():
    from sim.present.app import summary_lines
    from sim.present.app_sessions import Session

    session = Session(work_limit=10_000)
    m = AppModel(seed="1", initial_customers=1000)
    m.session = session
    while m.running:
        m.step()
    assert 1 <= m.steps < 10 and session.work <= 10_000 and session.work + m.n_customers > 10_000
    assert "allowance" in m.stopped and "reload the page" in m.stopped
    assert any(line.startswith("<b style='color:#b00'>Stopped: this session") for line in summary_lines(m))
    again = AppModel(seed="2", initial_customers=1000)  # Reset makes a new model; the session's allowance stays used
    again.session = session
    again.step()
    assert again.steps == 0 and not again.running


def test_the_server_admits_a_limited_number_of_sessions():
    from sim.present.app_sessions import KERNELS_PER_SESSION, Sessions

    sessions = Sessions(limit=2)
    alive = {"a": True, "b": True, "c": True}
    assert sessions.admit("a", lambda: alive["a"]) is None and sessions.admit("b", lambda: alive["b"]) is None
    assert sessions.admit("a", lambda: True) is None  # the same tab again (a re-render) is not a new session
    refusal = sessions.admit("c", lambda: alive["c"])
    assert refusal and "limit of 2" in refusal and "\n" not in refusal
    alive["a"] = False  # a closed tab no longer counts toward the sessions at once ...
    assert sessions.admit("c", lambda: alive["c"]) is None
    alive["b"] = alive["c"] = False
    refused = [sessions.admit(str(i), lambda: False) for i in range(3 * KERNELS_PER_SESSION)]  # tabs that closed
    assert len(sessions) == 2 * KERNELS_PER_SESSION and refused.count(None) == 2 * KERNELS_PER_SESSION - 3
    sessions.release("a")
    assert len(sessions) == 2 * KERNELS_PER_SESSION - 1


def test_the_server_is_started_with_its_limits():
    from sim.present.app import server_env

    env = server_env("baseline", 5)
    assert env["CRM_APP_MAX_SESSIONS"] == "5" and env["SOLARA_KERNEL_CULL_TIMEOUT"] == "2m"
