"""Scenario loading, inheritance, validation, overrides, TOML round trip and error messages."""

from __future__ import annotations

import math
import pickle
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim.analysis.kpis import KPIS
from sim.config.docs import schema_markdown
from sim.config.errors import ScenarioError
from sim.config.limits import memory_problem
from sim.config.loader import SCENARIO_DIR, from_toml, list_scenarios, load_scenario, parse_override, parse_overrides
from sim.config.scenario import Scenario, Section
from sim.config.schema import CONSTRAINTS, SCHEMA, SECTIONS, within_limits
from sim.engine import levers
from sim.engine.channels import CHANNEL_NAMES as CHANNELS
from sim.engine.channels import CHANNELS as CHANNEL_DECLARATIONS
from sim.engine.schedule import COMPONENTS

SHIPPED = ["baseline", "km", "crm", "ckm", "supplier_collaboration", "high_turnover", "turbulent_market", "march1991"]

BASE_CHURN = SCHEMA["market.base_churn"].default


@pytest.fixture(scope="module")
def base() -> Scenario:
    return load_scenario("baseline")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg
    return msg


# ---------------------------------------------------------------------------------- schema


def _leaves(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _leaves(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}"


def test_schema_is_assembled_from_the_declarations():
    """Every parameter a component, channel, lever or KPI declares is in the schema, and every key a
    component says it reads exists; the schema holds nothing else."""
    declared = [p for c in COMPONENTS for p in c.params] + list(levers.params())
    declared += [p for ch in CHANNEL_DECLARATIONS for p in ch.params]
    for p in declared:
        assert SCHEMA[p.key] == within_limits(p), p.key  # the declaration, within the machine's hard limits
    for c in [*COMPONENTS, *CHANNEL_DECLARATIONS]:
        for key in c.keys():
            assert key in SCHEMA, (c.name, key)
    for name in KPIS:
        assert {f"scorecard.kpi.{name}.{x}" for x in ("target", "weight", "direction")} <= set(SCHEMA)
    kpi_keys = {k for k in SCHEMA if k.startswith("scorecard.kpi.")}
    others = set(SCHEMA) - {p.key for p in declared} - kpi_keys
    assert others == {
        "scenario.name",
        "scenario.description",
        "scenario.steps",
        "scenario.extends",
        "channels.enabled",
        "market.annual_discount_rate",
        "scenario.warmup",
        "scorecard.mission",
    }
    assert tuple(dict.fromkeys(k.split(".")[0] for k in SCHEMA if not k.startswith("scenario."))) == SECTIONS


def test_baseline_is_the_declared_defaults():
    raw = tomllib.loads((SCENARIO_DIR / "baseline.toml").read_text())
    assert set(raw) == {"scenario"}
    base = load_scenario("baseline")
    for key, p in SCHEMA.items():
        if not key.startswith("scenario."):
            assert base.get(key) == p.default, key


def test_schema_entries_are_well_formed():
    for key, p in SCHEMA.items():
        assert p.key == key and p.type in (int, float, str, bool, list) and p.help and "\n" not in p.help
        if p.lo is not None and p.hi is not None:
            assert p.lo <= p.hi
        if not key.startswith("scenario."):
            assert p.check(p.default, "default") == p.default, key  # every default is valid
    assert SCHEMA["policy.crm_maturity"].choices == (1, 2, 3)
    assert SCHEMA["policy.customer_role"].choices == ("passive", "captive", "active")
    assert SCHEMA["organization.team_size"].lo == 2 and SCHEMA["knowledge.customer_items"].lo == 1
    assert SCHEMA["market.referral_midpoint"].lo == -1


def test_section_attribute_names_do_not_collide_with_mapping_methods():
    reserved = {"get", "keys", "items", "values", "to_dict"}
    for key in SCHEMA:
        assert not set(key.split(".")) & reserved, key


def test_schema_markdown_has_a_row_per_parameter():
    assert schema_markdown().count("\n") == len(SCHEMA) + 2


# ---------------------------------------------------------------------------------- loading


def test_every_shipped_scenario_loads(base):
    assert set(SHIPPED) <= set(list_scenarios())
    assert list_scenarios() == sorted(list_scenarios())
    for name in list_scenarios():
        sc = load_scenario(name)
        assert sc.name == name and sc.description and sc.steps >= 1
        assert set(sc.flat()) == set(base.flat())
        assert sc.path == SCENARIO_DIR / f"{name}.toml"
        if name != "baseline":
            assert sc.extends is not None and sc.description != base.description


def test_strategy_scenarios_set_what_they_stand_for(base):
    km, crm, ckm = (load_scenario(n) for n in ("km", "crm", "ckm"))
    assert (
        km["policy.customer_role"],
        km["policy.crm_maturity"],
        km["policy.codification"],
        km["policy.socialization"],
        km["policy.training"],
        km["policy.job_rotation"],
    ) == ("passive", 1, 0.6, 0.6, 0.4, 0.2)
    assert (crm["policy.customer_role"], crm["policy.loyalty_scheme"], crm["policy.crm_maturity"]) == (
        "captive",
        0.6,
        2,
    )
    assert (
        ckm["policy.customer_role"],
        ckm["policy.co_creation"],
        ckm["policy.crm_maturity"],
        ckm["policy.codification"],
    ) == ("active", 0.6, 3, 0.4)
    sup = load_scenario("supplier_collaboration")
    assert (sup["policy.supplier_collaboration"], sup["policy.co_creation"]) == (0.8, 0.2)
    assert load_scenario("high_turnover")["organization.employee_turnover"] == 0.5
    tm = load_scenario("turbulent_market").section("environment")
    assert (tm.turbulence, tm.competition, tm.competition_volatility) == (3.0, 0.5, 0.05)
    # the rest is inherited
    assert km["market.base_churn"] == base["market.base_churn"]
    assert set(km.diff(base)) == {
        "policy.codification",
        "policy.socialization",
        "policy.training",
        "policy.job_rotation",
        "scorecard.mission",
    }


def test_march1991_is_marchs_organization():
    m = load_scenario("march1991")
    assert (m["organization.teams"], m["organization.team_size"]) == (1, 50)
    assert (m["market.initial_customers"], m["market.market_potential"]) == (0, 0)
    assert m["environment.turbulence"] == 0 and m["knowledge.forgetting"] == 0
    assert m["organization.employee_turnover"] == 0
    assert m["channels.enabled"] == ("task_summaries", "manuals")  # the channels it runs, by name
    assert m["channels.manuals.rate"] == 0.1 and m["channels.task_summaries.rate"] == 0.5
    for d in ("customer", "product", "supply", "process"):
        assert m[f"knowledge.tacitness_{d}"] == 0.0
    assert "March" in m.description


def test_load_by_path_and_path_object(base):
    p = SCENARIO_DIR / "baseline.toml"
    assert load_scenario(str(p)) == base
    assert load_scenario(p) == base
    assert load_scenario(base) is base


def test_extends_inherits_and_overrides_multilevel(tmp_path, base):
    write(tmp_path, "a.toml", '[scenario]\nextends = "baseline"\nsteps = 52\n[market]\nbase_churn = 0.01\n')
    write(
        tmp_path,
        "b.toml",
        '[scenario]\nextends = "a"\ndescription = "B"\n[policy]\ncrm_maturity = 3\n'
        '[channels.mentoring]\nrate = 0.2\n[scorecard.kpi.profit]\ndirection = "lower"\n',
    )
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub, "c.toml", '[scenario]\nextends = "../b.toml"\n[market]\nprice = 20\n')
    c = load_scenario(str(sub / "c.toml"))
    assert c.name == "c" and c.steps == 52 and c.extends == "../b.toml"
    assert c["market.base_churn"] == 0.01  # from a
    assert c["policy.crm_maturity"] == 3  # from b
    assert c["market.price"] == 20.0 and isinstance(c["market.price"], float)  # int -> float
    assert c["channels.mentoring.rate"] == 0.2 and c["channels.mentoring.cost"] == base["channels.mentoring.cost"]
    assert c["scorecard.kpi.profit.direction"] == "lower"
    assert c["scorecard.kpi.revenue.direction"] == "higher"  # default
    assert c["market.segments"] == base["market.segments"]
    b = load_scenario(str(tmp_path / "b.toml"))
    assert b.description == "B" and b.name == "b" and b.steps == 52
    assert load_scenario(str(tmp_path / "a.toml")).description == "Extends 'baseline'."


def test_accessors(base):
    m = base.section("market")
    assert m.base_churn == base.get("market.base_churn") == base["market.base_churn"] == BASE_CHURN
    assert m["base_churn"] == BASE_CHURN and "base_churn" in m and len(m) > 10
    with pytest.raises(AttributeError, match="base_churn"):
        m.base_chrun  # noqa: B018 -- the attribute access is the test
    with pytest.raises(AttributeError):
        m.base_churn = 1.0
    ch = base.section("channels")
    assert set(ch) == {*CHANNELS, "enabled"} and isinstance(ch.mentoring, Section) and ch.mentoring.rate == 0.05
    assert base.section("channels.mentoring").cost == 5.0
    assert base.section("scorecard").kpi.retention_rate.weight == 2.0
    assert base.get("market").base_churn == BASE_CHURN
    flat = base.flat()
    assert flat["channels.mentoring.rate"] == 0.05 and flat["scorecard.kpi.knowledge_gap.direction"] == "lower"
    assert flat["scorecard.mission"].startswith("Keep")
    assert [k for k in flat if k.startswith("scenario.")] == ["scenario.warmup"]  # the only inherited metadata
    assert base["scenario.steps"] == 104
    with pytest.raises(KeyError, match="market.base_churn"):
        base["market.base_chrun"]
    with pytest.raises(KeyError):
        base.section("markt")
    # params is a copy
    p = base.params
    p["market"]["base_churn"] = 0.5
    assert base["market.base_churn"] == BASE_CHURN
    with pytest.raises(AttributeError):
        base.name = "x"
    assert "market.base_churn" in base and "nope" not in base
    assert "baseline" in repr(base)


def test_with_params_returns_a_new_validated_scenario(base):
    sc = base.with_params({"market.base_churn": 0.01, "policy.crm_maturity": 2})
    assert sc is not base and sc != base
    assert sc["market.base_churn"] == 0.01 and sc["policy.crm_maturity"] == 2
    assert base["market.base_churn"] == BASE_CHURN and base.overrides == {}
    assert sc.name == base.name and sc.path == base.path
    assert sc.overrides == {"market.base_churn": 0.01, "policy.crm_maturity": 2}
    sc2 = sc.with_params([("market.base_churn", 0.02)], **{"scenario.steps": 10})
    assert sc2.overrides["market.base_churn"] == 0.02 and sc2.steps == 10 and sc.steps == 104
    assert sc2.overrides["policy.crm_maturity"] == 2
    tab = base.with_params({"channels.mentoring": {"rate": 0.3}})
    assert tab["channels.mentoring.rate"] == 0.3 and tab["channels.mentoring.cost"] == 5.0
    assert base.with_params({}) == base
    assert base.with_params({"market.base_churn": BASE_CHURN}) == base
    for bad in ({"scenario.name": "x"}, {"scenario": {"name": "x"}}, {"scenario.extends": "km"}):
        with pytest.raises(ScenarioError, match="cannot be overridden"):
            base.with_params(bad)
    with pytest.raises(ScenarioError, match="a parameter name must be a string"):
        base.with_params({1: 0.1})


def test_numpy_values_are_accepted_as_their_python_types(base):
    np = pytest.importorskip("numpy")
    sc = base.with_params(
        {"organization.teams": np.int64(3), "market.base_churn": np.float64(0.01), "market.price": np.int32(9)}
    )
    assert type(sc["organization.teams"]) is int and type(sc["market.base_churn"]) is float
    assert type(sc["market.price"]) is float
    with pytest.raises(ScenarioError, match="wrong type"):
        base.with_params({"organization.teams": np.float64(3.0)})
    with pytest.raises(ScenarioError, match="wrong type"):
        base.with_params({"market.base_churn": np.bool_(True)})


def test_to_toml_round_trips(tmp_path, base):
    for name in SHIPPED:
        sc = load_scenario(name)
        text = sc.to_toml()
        tomllib.loads(text)
        assert "extends" not in tomllib.loads(text)["scenario"]
        assert from_toml(text) == sc
        path = write(tmp_path, f"{name}_resolved.toml", text)
        back = load_scenario(str(path))
        assert back == sc and back.flat() == sc.flat() and back.name == sc.name
    odd = base.with_params(
        {"scorecard.mission": 'quote " back \\ tab \t nl \n ctl \x01 del \x7f é', "scenario.description": "x\ny"}
    )
    assert from_toml(odd.to_toml()) == odd
    assert "overrides" in odd.to_toml()


def test_pickling_round_trips(base):
    sc = load_scenario("ckm").with_params({"market.base_churn": 0.01})
    back = pickle.loads(pickle.dumps(sc))
    assert back == sc and back.overrides == sc.overrides and back.path == sc.path
    assert hash(back) == hash(sc)
    sec = pickle.loads(pickle.dumps(sc.section("channels")))
    assert sec.mentoring.rate == sc["channels.mentoring.rate"]
    err = ScenarioError("x: y", source="x", key="y", expected="z")
    back_err = pickle.loads(pickle.dumps(err))
    assert str(back_err) == "x: y" and back_err.key == "y"


def test_equality_and_hash(base):
    again = load_scenario("baseline")
    assert again == base and hash(again) == hash(base) and again is not base
    assert len({base, again, load_scenario("km")}) == 2
    assert base != "baseline"


def test_scenario_constructor_validates(base):
    sc = Scenario("mine", base.params, description="d", steps=10)
    assert sc.flat() == base.flat() and sc.path is None
    params = base.params
    params["market"]["base_churn"] = 2.0
    with pytest.raises(ScenarioError, match="market.base_churn"):
        Scenario("mine", params)
    params = base.params
    del params["market"]["price"]
    assert Scenario("mine", params).get("market.price") == SCHEMA["market.price"].default  # the declared default


# ---------------------------------------------------------------------------------- overrides


@pytest.mark.parametrize(
    "text, expected",
    [
        ("market.base_churn=0.01", ("market.base_churn", 0.01)),
        (" organization.teams = 2 ", ("organization.teams", 2)),
        ("x.y=true", ("x.y", True)),
        ('policy.customer_role="active"', ("policy.customer_role", "active")),
        ("policy.customer_role=active", ("policy.customer_role", "active")),
        ("scorecard.mission=a=b", ("scorecard.mission", "a=b")),
        ("market.price=1e3", ("market.price", 1000.0)),
    ],
)
def test_parse_override(text, expected):
    key, value = parse_override(text)
    assert (key, value) == expected and type(value) is type(expected[1])


def test_parse_override_errors(base):
    with pytest.raises(ScenarioError, match="override.*name=value"):
        parse_override("market.base_churn")
    with pytest.raises(ScenarioError, match="override: market.base_churn: missing value.*float in"):
        parse_override("market.base_churn=")
    overrides = parse_overrides(["market.base_churn=0.01", "policy.customer_role=captive"])
    sc = base.with_params(overrides)
    assert sc["policy.customer_role"] == "captive"
    with pytest.raises(ScenarioError, match=r"override: policy.crm_maturity = \"two\": wrong type"):
        base.with_params(parse_overrides(["policy.crm_maturity=two"]))


# ---------------------------------------------------------------------------------- errors


def test_unknown_key_in_file_suggests(tmp_path):
    p = write(tmp_path, "foo.toml", '[scenario]\nextends = "baseline"\n[market]\nbase_chrun = 0.01\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(str(p))
    msg = one_line(e)
    assert "foo.toml: market.base_chrun: unknown parameter; did you mean 'market.base_churn'?" in msg
    assert e.value.key == "market.base_chrun" and e.value.hint == "market.base_churn"


@pytest.mark.parametrize(
    "toml, key, hint",
    [
        ("[channels.mentorship]\nrate = 0.1\n", "channels.mentorship", "channels.mentoring"),
        ("[markt]\nbase_churn = 0.1\n", "markt", "market"),
        ("[scenario]\nstep = 5\n", "scenario.step", "scenario.steps"),
        ("[scorecard.kpi.retention]\ntarget = 0.8\n", "scorecard.kpi.retention", "scorecard.kpi.retention_rate"),
        (
            '[scorecard.kpi.profit]\ntarget = 1.0\ndirektion = "lower"\n',
            "scorecard.kpi.profit.direktion",
            "scorecard.kpi.profit.direction",
        ),
    ],
)
def test_unknown_keys_everywhere(tmp_path, toml, key, hint):
    if toml.startswith("[scenario]"):
        text = toml.replace("[scenario]\n", '[scenario]\nextends = "baseline"\n')
    else:
        text = '[scenario]\nextends = "baseline"\n' + toml
    p = write(tmp_path, "typo.toml", text)
    with pytest.raises(ScenarioError) as e:
        load_scenario(str(p))
    msg = one_line(e)
    assert "typo.toml" in msg and f"{key}: unknown parameter" in msg and f"did you mean '{hint}'?" in msg


def test_unknown_key_in_override(base):
    with pytest.raises(ScenarioError) as e:
        base.with_params({"market.base_chrun": 0.01})
    assert one_line(e) == "override: market.base_chrun: unknown parameter; did you mean 'market.base_churn'?"
    with pytest.raises(ScenarioError, match="override: zzzzzz: unknown parameter; valid sections"):
        base.with_params({"zzzzzz": 1})


def test_out_of_range_in_override(base):
    with pytest.raises(ScenarioError) as e:
        base.with_params({"market.base_churn": 1.5})
    assert one_line(e) == "override: market.base_churn = 1.5: out of range, expected a float in [0, 1]"
    with pytest.raises(
        ScenarioError, match=r"override: organization.team_size = 1: out of range, expected an int in \[2, 1000\]"
    ):
        base.with_params({"organization.team_size": 1})
    with pytest.raises(
        ScenarioError, match=r"knowledge.customer_items = 0: out of range, expected an int in \[1, 1000\]"
    ):
        base.with_params({"knowledge.customer_items": 0})
    with pytest.raises(
        ScenarioError, match=r"policy.crm_maturity = 4: not an allowed value, expected an int, one of 1, 2, 3"
    ):
        base.with_params({"policy.crm_maturity": 4})
    with pytest.raises(
        ScenarioError, match=r"policy.customer_role = \"activ\": not an allowed value.*did you mean 'active'"
    ):
        base.with_params({"policy.customer_role": "activ"})
    with pytest.raises(
        ScenarioError, match=r"market.referral_midpoint = -1.5: out of range, expected a float in \[-1, 1\]"
    ):
        base.with_params({"market.referral_midpoint": -1.5})
    with pytest.raises(ScenarioError, match=r"market.price = nan: not a finite number"):
        base.with_params({"market.price": math.nan})
    with pytest.raises(ScenarioError, match=r"scorecard.kpi.profit.direction = \"up\": not an allowed value"):
        base.with_params({"scorecard.kpi.profit.direction": "up"})


def test_out_of_range_in_file(tmp_path):
    p = write(tmp_path, "bad.toml", '[scenario]\nextends = "baseline"\n[environment]\nturbulence = -1\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(str(p))
    msg = one_line(e)
    assert "bad.toml: environment.turbulence = -1: out of range, expected a float in [0, 1000000]" in msg


def test_types(base):
    assert base.with_params({"market.base_churn": 0})["market.base_churn"] == 0.0  # int for float
    assert type(base.with_params({"market.price": 3})["market.price"]) is float
    with pytest.raises(ScenarioError) as e:  # float for int
        base.with_params({"organization.teams": 2.0})
    assert one_line(e) == "override: organization.teams = 2.0: wrong type, expected an int in [1, 1000], given a float"
    with pytest.raises(
        ScenarioError, match=r"organization.teams = true: wrong type, expected an int in \[1, 1000\], given a bool"
    ):
        base.with_params({"organization.teams": True})
    with pytest.raises(
        ScenarioError, match="market.base_churn = false: wrong type, expected a float in \\[0, 1\\], given a bool"
    ):
        base.with_params({"market.base_churn": False})
    with pytest.raises(ScenarioError, match='market.base_churn = "0.1": wrong type.*given a string'):
        base.with_params({"market.base_churn": "0.1"})
    with pytest.raises(ScenarioError, match="policy.customer_role = 1: wrong type, expected a string"):
        base.with_params({"policy.customer_role": 1})
    with pytest.raises(ScenarioError) as e:
        base.with_params({"market": 1})
    assert one_line(e) == "override: market = 1: wrong type, expected a table [market], given an int"


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            '[scenario]\nextends = "baseline"\n[organization]\nteams = 2.5\n',
            "t.toml: organization.teams = 2.5: wrong type, expected an int in [1, 1000], given a float",
        ),
        (
            'market = 3\n[scenario]\nextends = "baseline"\n',
            "t.toml: market = 3: wrong type, expected a table [market], given an int",
        ),
        (
            '[scenario]\nextends = "baseline"\n[market.base_churn]\nx = 1\n',
            "t.toml: market.base_churn = {...}: wrong type, expected a float in [0, 1], given a table",
        ),
    ],
)
def test_wrong_type_in_file(tmp_path, text, expected):
    p = write(tmp_path, "t.toml", text)
    with pytest.raises(ScenarioError) as e:
        load_scenario(str(p))
    assert one_line(e).endswith(expected)


def test_malformed_toml_gives_line_and_column(tmp_path):
    p = write(tmp_path, "bad.toml", '[scenario]\nextends = "baseline"\nsteps = = 3\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(str(p))
    msg = one_line(e)
    assert "bad.toml: malformed TOML at line 3, column 9: Invalid value" in msg
    p = write(tmp_path, "bad2.toml", 'a = "unterminated\n')
    with pytest.raises(ScenarioError, match="bad2.toml: malformed TOML at line 1, column"):
        load_scenario(str(p))


def test_unknown_extends(tmp_path):
    p = write(tmp_path, "x.toml", '[scenario]\nextends = "basline"\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(str(p))
    msg = one_line(e)
    assert "x.toml: scenario.extends = \"basline\": unknown scenario 'basline'; available: " in msg
    assert "baseline, ckm, crm" in msg and "did you mean 'baseline'?" in msg
    p = write(tmp_path, "y.toml", '[scenario]\nextends = "nothere/missing.toml"\n')
    with pytest.raises(ScenarioError, match=r"y.toml: scenario.extends = \"nothere/missing.toml\": file not found"):
        load_scenario(str(p))


def test_cyclic_extends(tmp_path):
    write(tmp_path, "a.toml", '[scenario]\nextends = "b"\n')
    write(tmp_path, "b.toml", '[scenario]\nextends = "c.toml"\n')
    write(tmp_path, "c.toml", '[scenario]\nextends = "a"\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(str(tmp_path / "a.toml"))
    msg = one_line(e)
    assert "cyclic extends" in msg and "scenario.extends" == e.value.key
    assert "a.toml -> " in msg and "b.toml -> " in msg and "c.toml -> " in msg and msg.endswith("a.toml")
    write(tmp_path, "self.toml", '[scenario]\nextends = "self"\n')
    with pytest.raises(ScenarioError, match=r"cyclic extends: .*self.toml -> .*self.toml"):
        load_scenario(str(tmp_path / "self.toml"))


def test_unknown_scenario_name_lists_available():
    with pytest.raises(ScenarioError) as e:
        load_scenario("basline")
    msg = one_line(e)
    assert msg.startswith("unknown scenario 'basline'; available: baseline, ckm, crm, ")
    assert "did you mean 'baseline'?" in msg


def test_file_not_found(tmp_path):
    with pytest.raises(ScenarioError) as e:
        load_scenario(str(tmp_path / "nope.toml"))
    assert one_line(e).endswith("nope.toml: file not found")


def test_a_root_file_starts_from_the_declared_defaults(tmp_path, base):
    p = write(tmp_path, "root.toml", "[market]\nbase_churn = 0.004\n")
    root = load_scenario(str(p))
    assert root.name == "root" and root["market.base_churn"] == 0.004
    assert root.with_params({"market.base_churn": BASE_CHURN}).flat() == base.flat()


def test_extends_by_name_prefers_a_sibling(tmp_path):
    write(tmp_path, "baseline.toml", "[market]\nbase_churn = 0.004\n")
    p = write(tmp_path, "child.toml", '[scenario]\nextends = "baseline"\n')
    assert load_scenario(str(p))["market.base_churn"] == 0.004


# ---------------------------------------------------------------------------------- hypothesis

_BIG = 1e6


def valid_value(param):
    if param.type is list:
        return st.lists(st.sampled_from(param.choices), unique=True).map(tuple)
    if param.choices is not None:
        return st.sampled_from(param.choices)
    if param.type is bool:
        return st.booleans()
    if param.type is str:
        return st.text(min_size=1 if param.nonempty else 0, max_size=40).filter(
            lambda s: not param.nonempty or s.strip()
        )
    if param.type is int:
        lo = int(param.lo) if param.lo is not None else -1000
        hi = int(param.hi) if param.hi is not None else lo + 100_000
        return st.integers(lo, hi)
    lo = param.lo if param.lo is not None else -_BIG * 1e6
    hi = param.hi if param.hi is not None else (lo + _BIG if param.lo is not None else _BIG * 1e6)
    floats = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if param.lo is not None and param.hi is not None:
        return st.one_of(
            floats, st.sampled_from([param.lo, param.hi]), st.integers(math.ceil(param.lo), math.floor(param.hi))
        )
    return st.one_of(floats, st.just(param.lo) if param.lo is not None else st.just(0.0))


def invalid_value(param):
    options = []
    if param.type is list:
        return st.sampled_from([["nope"], "manuals", [1], ["manuals", "manuals"]])
    if param.choices is not None:
        options.append(st.sampled_from(["nope", 0, 99]).filter(lambda v: v not in param.choices))
    if param.lo is not None:
        below = st.floats(
            max_value=param.lo, exclude_max=True, allow_nan=False, allow_infinity=False, min_value=param.lo - _BIG
        )
        options.append(below if param.type is float else st.integers(int(param.lo) - 1000, int(param.lo) - 1))
    if param.hi is not None:
        above = st.floats(
            min_value=param.hi, exclude_min=True, allow_nan=False, allow_infinity=False, max_value=param.hi + _BIG
        )
        options.append(above if param.type is float else st.integers(int(param.hi) + 1, int(param.hi) + 1000))
    if param.type is int:
        options.append(st.floats(allow_nan=False, allow_infinity=False))  # float for int
        options.append(st.booleans())
    if param.type is float:
        options.append(st.sampled_from([math.nan, math.inf, -math.inf, True, "0.5"]))
    if param.type is str:
        options.append(st.sampled_from([1, 0.5, True]))
    if param.nonempty:
        options.append(st.just(" "))
    return st.one_of(options)


_OVERRIDABLE = [k for k in SCHEMA if k not in ("scenario.name", "scenario.extends")]


@st.composite
def valid_overrides(draw):
    keys = draw(st.lists(st.sampled_from(_OVERRIDABLE), min_size=1, max_size=6, unique=True))
    out = {k: draw(valid_value(SCHEMA[k])) for k in keys}
    flat = {**load_scenario("baseline").flat(), **out}
    if "market.initial_customers" in out or "market.market_potential" in out:  # the whole market holds the customers
        out["market.market_potential"] = max(flat["market.market_potential"], flat["market.initial_customers"])
    flat.update(out)
    assume(all(holds(*(flat[k] for k in keys)) for keys, holds, _ in CONSTRAINTS))  # rules between parameters
    assume(memory_problem(flat) is None)  # and a model this machine can hold
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overrides=valid_overrides())
def test_random_valid_overrides_validate_and_round_trip(base, overrides):
    before = base.flat()
    sc = base.with_params(overrides)
    assert base.flat() == before
    for k, v in overrides.items():
        got = sc[k]
        assert got == v
        assert type(got) is (tuple if SCHEMA[k].type is list else SCHEMA[k].type)  # lists are stored immutable
    back = from_toml(sc.to_toml())
    assert back == sc
    assert pickle.loads(pickle.dumps(sc)) == sc


@st.composite
def invalid_override(draw):
    key = draw(st.sampled_from(_OVERRIDABLE))
    return key, draw(invalid_value(SCHEMA[key]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=invalid_override())
def test_random_invalid_overrides_raise(base, bad):
    key, value = bad
    with pytest.raises(ScenarioError) as e:
        base.with_params({key: value})
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"override: {key}") and "expected" in msg
