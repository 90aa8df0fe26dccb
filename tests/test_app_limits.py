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
