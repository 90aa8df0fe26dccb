"""The engine's building blocks: declarations, the schedule, the ledger, bulk agents and the network."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from sim.agents import Customer, Employee, Level
from sim.config.schema import SCHEMA, within_limits
from sim.engine import levers
from sim.engine.build import build_network, sbm_across, sbm_within
from sim.engine.channels import BY_NAME, CHANNELS
from sim.engine.ledger import Ledger
from sim.engine.measures import COLUMNS, GROUPS, STEP_COLUMNS
from sim.engine.process import Pars
from sim.engine.schedule import COMPONENTS, SCHEDULE, STREAMS, plan
from sim.model import CRMKnowledgeModel

SMALL = {
    "market.initial_customers": 200,
    "market.market_potential": 200,
    "organization.teams": 3,
    "organization.team_size": 5,
}


def test_streams_are_exactly_the_declared_ones():
    declared = [s for p in SCHEDULE for s in p.streams] + [s for c in CHANNELS for s in c.streams]
    assert sorted(STREAMS) == sorted(declared) and len(set(STREAMS)) == len(STREAMS)


def test_every_process_declares_what_its_code_reads():
    """A process reads parameters only through ``self.p`` (which refuses undeclared keys), and every
    key it declares appears in its own source (directly or through a lever it names)."""
    for proc in SCHEDULE:
        src = inspect.getsource(inspect.getmodule(proc))
        for key in proc.keys():
            lever = next((lv for lv in levers.LEVERS if key in {q.key for q in lv.params()}), None)
            assert f'"{key}"' in src or (
                lever is not None and any(n in src for n, v in vars(levers).items() if v is lever)
            ), (proc.name, key)


def test_pars_refuse_undeclared_keys():
    m = CRMKnowledgeModel(params=SMALL, rng=0)
    p = Pars("x", m.scenario, ["market.base_churn"])
    assert p["market.base_churn"] == m.scenario.get("market.base_churn")
    with pytest.raises(KeyError, match="x reads 'market.price' without declaring it"):
        p["market.price"]


def test_levers_are_read_by_who_says_so():
    names = {p.name: p for p in COMPONENTS} | {c.name: c for c in CHANNELS}
    for lever in levers.LEVERS:
        assert SCHEMA[lever.key] == within_limits(lever.param)
        for user in lever.used_by:
            assert user in names, (lever.key, user)
            assert lever.key in names[user].keys() or (BY_NAME.get(user) and BY_NAME[user].lever is lever), (
                lever.key,
                user,
            )
        if lever.cost is not None:
            assert SCHEMA[lever.cost.key] == within_limits(lever.cost) and lever.basis


def test_schedule_plan_lists_every_process_in_order():
    rows = plan()
    assert [r["process"] for r in rows] == [p.name for p in SCHEDULE]
    assert all(r["does"] for r in rows)


def test_measure_groups_return_exactly_their_columns():
    m = CRMKnowledgeModel(params=SMALL, rng=1)
    m.step()
    for g in GROUPS:
        assert set(g.compute(m)) == {c.name for c in g.columns}
    assert list(m.stats) == list(STEP_COLUMNS) and all(COLUMNS[c].title for c in STEP_COLUMNS)


def test_ledger_entry_points_refuse_unknown_names():
    ledger = Ledger(("a",), 2)
    ledger.start_week()
    ledger.charge("service_cost", 2.5)
    ledger.book("acquired", 3)
    ledger.flow("a", 4)
    ledger.team("revenue", np.array([1.0, 2.0]))
    assert ledger.cost == 2.5 and ledger.week["acquired"] == 3 and ledger.flows["a"] == 4
    assert ledger.recent("acquired", 13) == 3
    with pytest.raises(KeyError):
        ledger.charge("acquired", 1.0)
    with pytest.raises(KeyError):
        ledger.book("nothing", 1)


def test_bulk_agents_are_real_mesa_agents():
    m = CRMKnowledgeModel(params=SMALL, rng=2)
    customers = m.agents_by_type[Customer]
    assert len(customers) == m.n_customers and all(c in m.agents for c in m.customer_agents[:20])
    ids = [a.unique_id for a in m.agents]
    assert len(set(ids)) == len(ids)
    c = m.customer_agents[5]
    assert c.row == 5 and c.pos is None and c.model is m and c.satisfaction == m.customers.satisfaction[5]
    e = Employee(m, 0)  # an agent made the ordinary way gets the next free id
    assert e.unique_id == max(ids) + 1
    c.remove()
    assert c not in m.agents and len(m.agents_by_type[Customer]) == m.n_customers - 1


def test_network_blocks_have_their_densities():
    rng = np.random.default_rng(0)
    sizes, starts = np.array([20] * 50), np.arange(0, 1000, 20)
    within = sbm_within(sizes, starts, 0.3, rng)
    pairs = 50 * 190
    assert abs(len(within) - 0.3 * pairs) < 4 * np.sqrt(pairs * 0.3 * 0.7)  # Binomial within 4 s.e.
    assert np.all(within[:, 0] // 20 == within[:, 1] // 20)
    team = np.repeat(np.arange(50), 20)
    across = sbm_across(team, 0.01, rng)
    n_across = (1000 * 999 - 50 * 20 * 19) // 2
    assert abs(len(across) - 0.01 * n_across) < 4 * np.sqrt(n_across * 0.01 * 0.99)
    assert np.all(team[across[:, 0]] != team[across[:, 1]])
    code = across[:, 0] * 1000 + across[:, 1]
    assert np.unique(code).size == code.size  # no tie twice


def test_network_is_symmetric_and_links_everyone_to_the_manager():
    m = CRMKnowledgeModel(params=SMALL, rng=3)
    n = m.net_indptr.size - 1
    pairs = {(i, int(j)) for i in range(n) for j in m.net_indices[m.net_indptr[i] : m.net_indptr[i + 1]]}
    assert all((j, i) in pairs for i, j in pairs) and not any(i == j for i, j in pairs)
    for e in range(n):
        mgr = m.manager_of_team[m.employees.team[e]]
        if e != mgr:
            assert (e, int(mgr)) in pairs
    managers = m.manager_of_team.tolist()
    assert all((a, b) in pairs for a in managers for b in managers if a != b)
    assert m.network.number_of_edges() == len(pairs) // 2
    assert all(m.employees.level[x] == Level.MANAGER for x in managers)


def test_network_is_seeded_by_the_model():
    a, b = (CRMKnowledgeModel(params=SMALL, rng=4) for _ in range(2))
    assert np.array_equal(a.net_indices, b.net_indices)
    team = np.repeat(np.arange(3), 5)
    build_network(a, team, a.employees.level, 0.0, 0.0)  # only the manager links remain
    assert a.net_indices.size == 2 * (3 * 4 + 3)
