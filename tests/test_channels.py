"""sim.engine.channels: the registry, and each channel changes only what it should and counts it right.

Every channel function runs on a small model whose stores have been filled by a few steps; the
belief matrices of every holder are compared before and after the call.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.loader import load_scenario
from sim.config.schema import SCHEMA
from sim.engine.channels import BY_NAME, CHANNEL_NAMES, CHANNELS, CROSS_LEVEL, EXTERNAL, INTERNAL, SECI_MODES, internal
from sim.engine.knowledge import DOMAINS
from sim.model import CRMKnowledgeModel

SMALL = {
    "scenario.warmup": 0,  # channel mechanics from a known start
    "market.initial_customers": 300,
    "market.market_potential": 300,
    "organization.teams": 3,
    "organization.team_size": 6,
    "organization.rnd_staff": 4,
    "organization.production_staff": 4,
    "organization.suppliers": 3,
    "organization.universities": 1,
    "organization.consultancies": 1,
    # every lever fully on, so every channel has participants
    "policy.codification": 1.0,
    "policy.socialization": 1.0,
    "policy.job_rotation": 1.0,
    "policy.training": 1.0,
    "policy.supplier_collaboration": 1.0,
    "policy.external_knowhow": 1.0,
}

# holder name -> how to reach its belief matrix
HOLDERS = {
    "employees": lambda m: m.employees.beliefs,
    "teams": lambda m: m.teams.beliefs,
    "kb": lambda m: m.kb,
    "crm_db": lambda m: m.crm_db,
    "units": lambda m: m.units.beliefs,
    "unit_staff": lambda m: m.unit_staff.beliefs,
    "suppliers": lambda m: m.suppliers.beliefs,
    "sources": lambda m: m.sources.beliefs,
    "customers": lambda m: m.customers.beliefs,
    "reality": lambda m: m.reality,
}

# channel -> the holders it may change, and (optionally) the item domains it may change there
ALLOWED: dict[str, dict[str, tuple[str, ...] | None]] = {
    "working_together": {"employees": None},
    "mentoring": {"employees": None},
    "team_guidance": {"teams": None},
    "team_practice": {"employees": None},
    "codification": {"kb": None},
    "manuals": {"employees": None},
    "staff_exchange": {"employees": None},
    "team_communication": {"teams": None},
    "briefings": {"kb": None, "teams": None},
    "task_summaries": {"kb": None},
    "customer_insight": {"units": ("customer",)},
    "product_briefing": {"kb": ("product", "supply"), "teams": ("product", "supply")},
    "supplier_seminars": {"units": ("supply",), "suppliers": ("customer",)},
    "supplier_dispatch": {"unit_staff": ("supply",), "suppliers": ("customer",)},
    "buy_knowhow": {"kb": None},
    "conferences": {"employees": None, "unit_staff": None, "sources": None},
    "giving_back": {"sources": None},
}
RUNNABLE = [c.name for c in CHANNELS if c.phase == "transfer"]
ENCOUNTER = [c.name for c in CHANNELS if c.phase == "encounter"]


def small_model(seed=3, steps=6, **params) -> CRMKnowledgeModel:
    m = CRMKnowledgeModel(scenario=load_scenario("baseline").with_params({**SMALL, **params}), rng=seed)
    for _ in range(steps):
        m.step()
    return m


def prime(m: CRMKnowledgeModel, name: str) -> None:
    """Leave room for the channel to move something (stores that learn by majority start empty)."""
    if name in ("briefings", "task_summaries", "codification", "product_briefing", "buy_knowhow"):
        m.kb[:] = 0
    if name == "team_guidance":
        m.teams.beliefs[:] = 0
    if name in ("customer_insight", "supplier_seminars"):
        m.units.beliefs[:] = 0
    if name == "briefings":  # teams that know something beat an empty knowledge base
        m.teams.beliefs[:] = m.reality


def snapshot(m):
    return {k: f(m).copy() for k, f in HOLDERS.items()}


def changed_cells(before, m) -> dict[str, np.ndarray]:
    return {k: before[k] != f(m) for k, f in HOLDERS.items()}


def n_changed(diff) -> int:
    return int(sum(d.sum() for d in diff.values()))


# ---------------------------------------------------------------------------------- registry


def test_registry_is_complete_and_valid():
    assert len(CHANNELS) == len(set(CHANNEL_NAMES))
    for c in CHANNEL_NAMES:  # every channel has its rate and cost in the schema
        assert {f"channels.{c}.rate", f"channels.{c}.cost"} <= set(SCHEMA), c
    assert set(ALLOWED) == set(RUNNABLE)
    assert set(ENCOUNTER) == {"customer_voice", "customer_education", "crm_records"}
    for c in CHANNELS:
        assert c.seci in SECI_MODES, c.name
        assert c.group in (INTERNAL, CROSS_LEVEL, EXTERNAL), c.name
        assert c.description and c.mechanism
        assert BY_NAME[c.name] is c
    # all of Xie's groups and all four SECI modes are covered
    assert {c.group for c in CHANNELS} == {INTERNAL, CROSS_LEVEL, EXTERNAL}
    assert {c.seci for c in CHANNELS} == set(SECI_MODES)


def test_levers_are_policy_parameters():
    sc = load_scenario("baseline")
    for c in CHANNELS:
        if c.lever is not None:
            assert c.lever.key.startswith("policy.") and c.lever.key in sc, c.name
            assert c.name in c.lever.used_by, c.name


# ---------------------------------------------------------------------------------- each channel

EXACT = [n for n in RUNNABLE if n not in ("staff_exchange", "conferences")]


@pytest.mark.parametrize("name", RUNNABLE)
def test_channel_changes_only_what_it_should(name):
    m = small_model()
    prime(m, name)
    before = snapshot(m)
    moved, activities = BY_NAME[name].run(m, 0.9, 1.0, m.streams[name])
    diff = changed_cells(before, m)
    allowed = ALLOWED[name]
    for holder, d in diff.items():
        if holder not in allowed:
            assert not d.any(), f"{name} changed {holder}"
            continue
        domains = allowed[holder]
        if domains is not None:
            outside = ~m.space.mask(*domains)
            assert not d[..., outside].any(), f"{name} changed {holder} outside {domains}"
    assert moved > 0, f"{name} moved nothing on a primed model"
    assert activities >= 0
    if name in EXACT:
        assert moved == n_changed(diff), name
    else:  # a holder can change twice in one call (see the exact tests below)
        assert moved >= n_changed(diff) > 0, name


def test_channel_row_scope():
    """Mentoring changes front-line rows only; supplier channels touch production, not R&D."""
    m = small_model()
    before = snapshot(m)
    BY_NAME["mentoring"].run(m, 0.9, 1.0, m.streams["mentoring"])
    rows = changed_cells(before, m)["employees"].any(axis=1)
    assert rows.any() and not rows[m.manager_of_team].any()

    for name, holder, table in (
        ("supplier_seminars", "units", lambda m: m.units.kind),
        ("supplier_dispatch", "unit_staff", lambda m: m.units.kind[m.unit_staff.unit]),
    ):
        m = small_model()
        m.units.beliefs[:] = 0  # room for the documentation to learn
        before = snapshot(m)
        BY_NAME[name].run(m, 0.9, 1.0, m.streams[name])
        rows = changed_cells(before, m)[holder].any(axis=1)
        assert rows.any() and np.all(table(m)[rows] == "production"), name


def test_staff_exchange_counts_exactly_for_one_visit(monkeypatch):
    """With one team sending one visitor, every belief changes at most once: count == changes."""
    m = small_model()
    monkeypatch.setattr(internal, "chosen", lambda rng, n, prob: np.array([0]))
    before = snapshot(m)
    moved, visits = BY_NAME["staff_exchange"].run(m, 0.9, 1.0, m.streams["staff_exchange"])
    diff = changed_cells(before, m)
    assert visits == 1 and moved == n_changed(diff) > 0
    rows = diff["employees"].any(axis=1)
    home = m.employees.team == 0
    assert rows[home].sum() <= 1  # only the visitor of team 0 learns at home's side


def test_conferences_count_exactly_with_one_holder_group():
    m = small_model(
        **{"organization.rnd_staff": 0, "organization.production_staff": 0, "organization.conference_attendees": 1}
    )
    before = snapshot(m)
    moved, _ = BY_NAME["conferences"].run(m, 0.9, 1.0, m.streams["conferences"])
    assert moved == n_changed(changed_cells(before, m)) > 0


def test_supplier_dispatch_counts_exactly_when_partners_repeat():
    """More suppliers than production staff: partners repeat, and no update may be lost."""
    for seed in range(5):
        m = small_model(seed=seed, **{"organization.suppliers": 6, "organization.production_staff": 2})
        before = snapshot(m)
        moved, _ = BY_NAME["supplier_dispatch"].run(m, 0.9, 1.0, m.streams["supplier_dispatch"])
        assert moved == n_changed(changed_cells(before, m)), seed


@pytest.mark.parametrize("name", RUNNABLE)
def test_rate_zero_moves_nothing(name):
    m = small_model()
    prime(m, name)
    before = snapshot(m)
    moved, _ = BY_NAME[name].run(m, 0.0, 1.0, m.streams[name])
    assert moved == 0
    assert n_changed(changed_cells(before, m)) == 0


def test_rate_zero_in_the_model_moves_nothing():
    """Through the model: a channel (encounter channels too) with rate 0 reports no transfers."""
    off = {f"channels.{c}.rate": 0.0 for c in CHANNEL_NAMES}
    off["organization.initial_codification"] = 0.0  # stores start empty
    m = small_model(steps=0, **off)
    start_customers = m.customers.beliefs.copy()  # initial customers' product competence
    for _ in range(5):
        m.step()
        assert all(m.stats[f"transfers_{c}"] == 0 for c in CHANNEL_NAMES)
    # nothing moved between holders: stores stay empty, customers learn nothing
    assert not m.kb.any() and not m.crm_db.any() and not m.teams.beliefs.any()
    assert np.array_equal(m.customers.beliefs, start_customers[: m.customers.beliefs.shape[0]])


@pytest.mark.parametrize("name", ENCOUNTER)
def test_encounter_channel_rate_zero(name):
    base = small_model(steps=0, seed=5)
    off = small_model(steps=0, seed=5, **{f"channels.{name}.rate": 0.0})
    for _ in range(4):
        base.step()
        off.step()
        assert off.stats[f"transfers_{name}"] == 0
    assert base.datacollector.get_model_vars_dataframe()[f"transfers_{name}"].sum() > 0


def test_fully_tacit_items_never_move_through_explicit_channels():
    """Tacitness 1 everywhere: nothing is ever written into or read from a store."""
    tacit = {f"knowledge.tacitness_{d}": 1.0 for d in DOMAINS}
    tacit["knowledge.tacitness_spread"] = 0.0
    tacit["organization.initial_codification"] = 0.0  # stores start empty (see the report on set-up)
    m = small_model(
        steps=0,
        seed=2,
        **tacit,
        **{"policy.crm_maturity": 3, "policy.customer_role": "active", "policy.co_creation": 1.0},
    )
    assert np.all(m.space.tacitness == 1.0)
    explicit = [c.name for c in CHANNELS if c.seci != "socialization"]
    totals = dict.fromkeys(CHANNEL_NAMES, 0)
    for _ in range(15):
        m.step()
        for c in CHANNEL_NAMES:
            totals[c] += m.stats[f"transfers_{c}"]
        for store in (m.kb, m.crm_db, m.teams.beliefs, m.units.beliefs):
            assert not store.any()
    assert all(totals[c] == 0 for c in explicit), {c: totals[c] for c in explicit if totals[c]}
    # tacit channels still work
    assert totals["working_together"] > 0 and totals["customer_voice"] > 0


@pytest.mark.parametrize("name", [n for n in RUNNABLE if BY_NAME[n].seci != "socialization"])
def test_fully_tacit_items_do_not_move_in_each_explicit_channel(name):
    tacit = {f"knowledge.tacitness_{d}": 1.0 for d in DOMAINS}
    m = small_model(**tacit, **{"knowledge.tacitness_spread": 0.0, "organization.initial_codification": 0.0})
    # stores hold nothing fully tacit, so neither writing nor reading nor copying moves anything
    before = snapshot(m)
    moved, _ = BY_NAME[name].run(m, 1.0, 1.0, m.streams[name])
    diff = changed_cells(before, m)
    for holder in ("employees", "kb", "crm_db", "units", "teams", "suppliers", "sources", "unit_staff"):
        assert not diff[holder].any(), f"{name} moved fully tacit items into {holder}"
    assert moved == 0


def test_every_channel_has_a_readable_title_and_label():
    """One home for a channel's name in words (the app's bars and arrows, the report's flow plot)."""
    from sim.engine.channels import CHANNELS

    titles = [c.title for c in CHANNELS]
    assert len(set(titles)) == len(CHANNELS) and all("_" not in t and t[0].isupper() for t in titles)
    assert {c.name: c.title for c in CHANNELS}["crm_records"] == "CRM records"
    assert all(c.label.startswith(f"{c.title}: ") and "->" not in c.label for c in CHANNELS)
