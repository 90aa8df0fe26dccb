"""CRMKnowledgeModel and run(): a plain Mesa model, its agents, reproducibility and its outputs."""

from __future__ import annotations

import gc
import math
import weakref

import mesa
import numpy as np
import pandas as pd
import pytest

from sim import run
from sim.agents import (
    Customer,
    CustomerStatus,
    Employee,
    KnowledgeHolder,
    KnowledgeSource,
    Level,
    OrgUnit,
    Supplier,
    Team,
)
from sim.analysis.scorecard import KPIS, PERSPECTIVES, TEAM_KPIS
from sim.config.loader import load_scenario
from sim.engine.channels import CHANNEL_NAMES
from sim.experiments.simulate import release, step_table
from sim.model import CRMKnowledgeModel

SMALL = {
    "scenario.warmup": 0,  # these tests look at the initial state; tests/test_warmup.py covers the warm-up
    "market.initial_customers": 400,
    "market.market_potential": 600,
    "organization.teams": 3,
    "organization.team_size": 5,
    "organization.rnd_staff": 3,
    "organization.production_staff": 4,
    "organization.suppliers": 2,
    "organization.universities": 2,
    "organization.consultancies": 1,
}

# DESIGN.md "Outputs": the step table has at least these columns, with these names
DESIGN_COLUMNS = [
    "step",
    "active_customers",
    "acquired_total",
    "churned_total",
    "retention_rate",
    "satisfaction_mean",
    "relational_capital",
    "revenue",
    "cost",
    "profit",
    "service_quality",
    "knowledge_gap",
    "knowledge_individual",
    "knowledge_team",
    "knowledge_org",
    "employees",
]


@pytest.fixture(scope="module")
def small():
    return load_scenario("baseline").with_params(SMALL)


@pytest.fixture(scope="module")
def result(small):
    return run(small, seed=11, steps=20)


def model(sc, seed=1, **params):
    return CRMKnowledgeModel(scenario=sc.with_params(params) if params else sc, rng=seed)


# ---------------------------------------------------------------------------------- a Mesa model


def test_plain_mesa_model(small):
    m = model(small)
    assert isinstance(m, mesa.Model)
    assert m.steps == 0
    for t in range(1, 4):
        m.step()
        assert m.steps == t
    assert len(m.datacollector.get_model_vars_dataframe()) == 4  # initial state + 3 steps


def test_constructor_forms(small):
    by_name = CRMKnowledgeModel(scenario="baseline", rng=1, params=SMALL)
    by_obj = CRMKnowledgeModel(scenario=small, rng=1)
    by_obj.step()
    by_name.step()
    assert by_name.stats == by_obj.stats
    seeded = CRMKnowledgeModel(scenario=small, seed=1)  # Mesa's older keyword still works
    assert seeded.K == by_obj.K


def test_agent_counts_by_type(small):
    m = model(small)
    org = small.section("organization")
    expected = {
        Employee: org.teams * org.team_size,
        Team: org.teams,
        OrgUnit: 2,
        Customer: small.get("market.initial_customers"),
        Supplier: org.suppliers,
        KnowledgeSource: org.universities + org.consultancies,
    }
    for cls, n in expected.items():
        assert len(m.agents_by_type[cls]) == n, cls.__name__
    assert len(m.agents) == sum(expected.values())
    assert sum(e.level == Level.MANAGER for e in m.agents_by_type[Employee]) == org.teams
    kinds = sorted(a.kind for a in m.agents_by_type[KnowledgeSource])
    assert kinds == ["consultancy", "university", "university"]
    assert sorted(u.kind for u in m.agents_by_type[OrgUnit]) == ["production", "rnd"]
    for _ in range(5):
        m.step()
    # customers stay agents after they churn: one Customer per customer ever won
    assert len(m.agents_by_type[Customer]) == m.n_customers == m.initial_customers + m.acquired_total


def test_agent_properties_read_and_write_rows(small):
    m = model(small)
    e = m.employee_agents[7]
    assert e.team == m.employees.team[7] and e.tenure == m.employees.tenure[7]
    e.tenure = 42
    e.absorptive_capacity = 0.25
    assert m.employees.tenure[7] == 42 and m.employees.absorb[7] == 0.25
    e.beliefs[:] = m.reality  # the beliefs property is a view on the row
    assert np.array_equal(m.employees.beliefs[7], m.reality)
    assert e.knowledge == 1.0

    c = m.customer_agents[3]
    assert c.status is CustomerStatus.ACTIVE
    c.satisfaction = -0.5
    c.relationship = 0.9
    assert m.customers.satisfaction[3] == -0.5 and m.customers.relationship[3] == 0.9
    assert c.account_team == m.customers.team[3] and c.segment == m.customers.segment[3]
    assert 0.0 <= c.product_competence <= 1.0

    s = m.supplier_agents[1]
    s.relationship = 0.77
    assert m.suppliers.relationship[1] == 0.77
    assert m.source_agents[0].beliefs.shape == (m.K,)

    t = m.team_agents[2]
    assert {x.row for x in t.members} == set(np.flatnonzero(m.employees.team == 2))
    assert t.manager is not None and t.manager.level == Level.MANAGER
    u = m.unit_agents[1]
    assert u.staff_beliefs.shape == ((m.unit_staff.unit == 1).sum(), m.K)


# ---------------------------------------------------------------------------------- turnover


def test_turnover_replaces_agents_and_newcomers_know_less(small):
    m = model(small, seed=4, **{"organization.employee_turnover": 0.99})  # about 1.3 leavers a week here
    n_emp = len(m.agents_by_type[Employee])
    gaps, total_left = [], 0
    for _ in range(10):
        ids = [a.unique_id for a in m.employee_agents]
        n_all, n_cust = len(m.agents), m.n_customers
        m.step()
        assert len(m.agents_by_type[Employee]) == n_emp == m.employees.beliefs.shape[0]
        assert len(m.agents) == n_all + m.n_customers - n_cust  # only customers were added
        replaced = np.array([a.unique_id != b for a, b in zip(m.employee_agents, ids)])
        assert np.array_equal(replaced, m.employees.tenure == 0)
        assert m.stats["employees_left"] == replaced.sum()
        agents = set(m.agents_by_type[Employee])
        assert all(a in agents for a in m.employee_agents)  # the new agents are in the model
        assert all(e.row == i for i, e in enumerate(m.employee_agents))
        if replaced.any():
            know = (m.employees.beliefs == m.reality).mean(axis=1)
            gaps.append(know[~replaced].mean() - know[replaced].mean())
            total_left += replaced.sum()
    assert 0 < total_left < 10 * n_emp
    # newcomers know 10 % of the items (80 % right); incumbents start at 40 % right (fewer as they are replaced)
    assert min(gaps) > 0 and np.mean(gaps) > 0.1, gaps


def test_no_turnover_keeps_agents(small):
    m = model(small, **{"organization.employee_turnover": 0.0})
    ids = [a.unique_id for a in m.employee_agents]
    for _ in range(3):
        m.step()
    assert [a.unique_id for a in m.employee_agents] == ids
    assert m.stats["employees_left"] == 0


# ---------------------------------------------------------------------------------- reproducibility


def _steps(sc, seed, n=12):
    m = model(sc, seed=seed)
    for _ in range(n):
        m.step()
    return step_table(m)


def test_same_seed_same_step_table(small):
    pd.testing.assert_frame_equal(_steps(small, 5), _steps(small, 5))
    a, b = run(small, seed=5, steps=8), run(small, seed=5, steps=8)
    pd.testing.assert_frame_equal(a.steps, b.steps)
    pd.testing.assert_frame_equal(a.scorecard, b.scorecard)
    pd.testing.assert_frame_equal(a.events["churns"], b.events["churns"])


def test_different_seeds_differ(small):
    a, b = _steps(small, 5), _steps(small, 6)
    assert not a.equals(b)
    assert (a["knowledge_individual"] != b["knowledge_individual"]).any()
    assert (a["churned_total"] != b["churned_total"]).any()


# ---------------------------------------------------------------------------------- outputs


def test_step_table_columns(result, small):
    steps = result.steps
    expected = DESIGN_COLUMNS + [f"transfers_{c}" for c in CHANNEL_NAMES]
    missing = [c for c in expected if c not in steps.columns]
    assert not missing
    assert list(steps["step"]) == list(range(21))
    n0 = small.get("market.initial_customers")
    assert (steps["active_customers"] == n0 + steps["acquired_total"] - steps["churned_total"]).all()
    assert (steps["employees"] == small.get("organization.teams") * small.get("organization.team_size")).all()
    for c in CHANNEL_NAMES:
        assert steps[f"transfers_{c}"].dtype == np.int64


def test_run_result_parts(result):
    assert isinstance(result.steps, pd.DataFrame)
    assert isinstance(result.scorecard, pd.DataFrame)
    assert isinstance(result.team_scorecards, pd.DataFrame)
    assert isinstance(result.summary, dict)
    assert set(result.events) >= {"churns", "acquisitions"}
    s = result.summary
    assert s["seed"] == 11 and s["steps"] == 20
    assert 0 <= s["score"] <= 100
    assert "RunResult(" in repr(result)


def test_scorecard(result, small):
    card = result.scorecard
    assert set(card["perspective"]) == set(PERSPECTIVES)
    assert list(card["kpi"]) == list(KPIS)
    assert set(card["status"]) <= {"met", "near", "missed"}
    for _, row in card.iterrows():
        assert row["target"] == small.get(f"scorecard.kpi.{row.kpi}.target")
        assert row["weight"] == small.get(f"scorecard.kpi.{row.kpi}.weight")
        assert row["direction"] == small.get(f"scorecard.kpi.{row.kpi}.direction")
    # status follows attainment: met >= 1, near >= 0.9
    att = card["attainment"]
    assert (card.loc[att >= 1.0, "status"] == "met").all()
    assert (card.loc[(att >= 0.9) & (att < 1.0), "status"] == "near").all()
    assert (card.loc[att < 0.9, "status"] == "missed").all()


def test_scorecard_targets_and_weights_come_from_the_scenario(small):
    sc = small.with_params({"scorecard.kpi.retention_rate.target": 0.123, "scorecard.kpi.knowledge_gap.weight": 7.0})
    card = run(sc, seed=1, steps=3).scorecard.set_index("kpi")
    assert card.loc["retention_rate", "target"] == 0.123
    assert card.loc["knowledge_gap", "weight"] == 7.0


def test_one_scorecard_per_team(result, small):
    teams = result.team_scorecards
    n_teams = small.get("organization.teams")
    assert sorted(teams["team"].unique()) == list(range(n_teams))
    assert (teams.groupby("team").size() == len(TEAM_KPIS)).all()
    for _, card in teams.groupby("team"):
        assert list(card["kpi"]) == list(TEAM_KPIS)
        assert set(card["status"]) <= {"met", "near", "missed"}


def test_events_consistent_with_step_table(result):
    steps, ev = result.steps, result.events
    last = steps.iloc[-1]
    assert len(ev["churns"]) == last["churned_total"] > 0
    assert len(ev["acquisitions"]) == last["acquired_total"] > 0
    per_step = ev["churns"].groupby("step").size().reindex(steps["step"], fill_value=0).to_numpy()
    assert np.array_equal(per_step, steps["churned"].to_numpy())
    per_step = ev["acquisitions"].groupby("step").size().reindex(steps["step"], fill_value=0).to_numpy()
    assert np.array_equal(per_step, steps["acquired"].to_numpy())
    # every customer churns at most once; acquired customers are new rows
    assert ev["churns"]["customer"].is_unique and ev["acquisitions"]["customer"].is_unique
    assert (ev["churns"]["tenure"] >= 0).all()


def test_no_initial_customers(small):
    res = run(small.with_params({"market.initial_customers": 0, "market.p_innovation": 0.01}), seed=2, steps=15)
    s = res.steps
    assert s["active_customers"].iloc[0] == 0 and math.isnan(s["satisfaction_mean"].iloc[0])
    assert (s["active_customers"] == s["acquired_total"] - s["churned_total"]).all()
    assert s["acquired_total"].iloc[-1] > 0
    assert math.isnan(res.summary["clv_realized"])
    assert len(res.scorecard) == len(KPIS)


def test_no_customers_at_all():
    res = run(load_scenario("march1991"), seed=0, steps=5)
    assert (res.steps["active_customers"] == 0).all()
    assert (res.steps["encounters"] == 0).all()
    assert res.steps["service_quality"].iloc[1:].isna().all()


def test_release_frees_the_model(small):
    m = model(small)
    for _ in range(3):
        m.step()
    release(m)
    assert len(m.agents) == 0
    assert all(len(s) == 0 for s in m.agents_by_type.values())
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None, "a released model must not stay reachable"


def test_run_does_not_leak_models(small):
    """Every model keeps an id counter (weak key) while it lives: after run() none is left over."""
    gc.collect()
    before, mesa_before = len(KnowledgeHolder._ids), len(mesa.Agent._ids)
    for seed in range(3):
        run(small, seed=seed, steps=2)
    gc.collect()
    assert len(KnowledgeHolder._ids) == before
    assert len(mesa.Agent._ids) == mesa_before  # Mesa's class-level counter (keeps models) is unused


def test_a_dropped_model_is_freed_without_release():
    """Mesa 3.3 keeps every model in Agent._ids; our agents count ids per model with weak keys, so
    an app that resets its model (or a notebook that makes many) does not grow without bound."""
    m = CRMKnowledgeModel(params={"market.initial_customers": 100, "market.market_potential": 100}, rng=3)
    m.step()
    ids = [a.unique_id for a in m.agents]
    assert len(ids) == len(set(ids))  # ids stay unique across agent types within the model
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None
