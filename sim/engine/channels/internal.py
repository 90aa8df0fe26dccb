"""Xie 3.1: knowledge transfer inside the CRM unit -- individual, team and organization, both ways."""

from __future__ import annotations

import numpy as np

from sim.engine.channels.channel import INTERNAL, Channel, chosen
from sim.engine.knowledge import code_learning, combination, internalization, socialization, superior_group
from sim.engine.levers import CODIFICATION, JOB_ROTATION, SOCIALIZATION, TRAINING


def working_together(model, rate, effort, rng):
    """Individual <-> individual, tacit: each employee learns from one colleague it has a tie to."""
    E = model.employees
    deg = np.diff(model.net_indptr)
    learners = np.flatnonzero(deg > 0)
    if learners.size == 0:
        return 0, 0
    pick = model.net_indptr[learners] + (rng.random(learners.size) * deg[learners]).astype(np.int64)
    teachers = model.net_indices[pick]
    B = E.beliefs[learners]
    p = rate * E.absorb[learners, None] * E.share[teachers, None]
    moved = socialization(B, E.beliefs[teachers], p, rng)
    E.beliefs[learners] = B
    return moved, learners.size


def mentoring(model, rate, effort, rng):
    """Individual <-> individual, guidance: front-line staff meet their manager (socialization)."""
    E = model.employees
    mentees = model.front_line[chosen(rng, model.front_line.size, effort)]
    if mentees.size == 0:
        return 0, 0
    mentors = model.manager_of_team[E.team[mentees]]
    B = E.beliefs[mentees]
    moved = socialization(B, E.beliefs[mentors], rate * E.absorb[mentees, None] * E.share[mentors, None], rng)
    E.beliefs[mentees] = B
    return moved, mentees.size


def team_guidance(model, rate, effort, rng):
    """Individual -> team: members' skills become team practice (externalization, majority rule)."""
    E, T = model.employees, model.teams
    p = rate * effort * (1.0 - model.space.tacitness)
    moved = code_learning(T.beliefs, E.beliefs, p, rng, group=E.team)
    return moved, T.beliefs.shape[0]


def team_practice(model, rate, effort, rng):
    """Team -> individual: working practices and guidelines (internalization)."""
    E, T = model.employees, model.teams
    moved = internalization(E.beliefs, T.beliefs[E.team], rate * E.absorb[:, None], model.space.tacitness, rng)
    return moved, E.beliefs.shape[0]


def codification(model, rate, effort, rng):
    """Individual -> organization: collating, summarizing, coding (externalization, majority rule)."""
    E = model.employees
    writers = chosen(rng, E.beliefs.shape[0], effort)
    if writers.size == 0:
        return 0, 0
    moved = code_learning(model.kb, E.beliefs[writers], rate * (1.0 - model.space.tacitness), rng)
    return moved, writers.size


def manuals(model, rate, effort, rng):
    """Organization -> individual: manuals and training (internalization)."""
    E = model.employees
    readers = chosen(rng, E.beliefs.shape[0], effort)
    if readers.size == 0:
        return 0, 0
    B = E.beliefs[readers]
    moved = internalization(B, model.kb, rate * E.absorb[readers, None], model.space.tacitness, rng)
    E.beliefs[readers] = B
    return moved, readers.size


def staff_exchange(model, rate, effort, rng):
    """Team <-> team: a team sends a member to another team; both sides learn (socialization)."""
    E = model.employees
    n_teams = model.teams.beliefs.shape[0]
    if n_teams < 2:
        return 0, 0
    moved = visits = 0
    for t in chosen(rng, n_teams, effort):
        home = np.flatnonzero(E.team == t)
        host = (t + 1 + rng.integers(n_teams - 1)) % n_teams
        hosts = np.flatnonzero(E.team == host)
        visitor = home[rng.integers(home.size)]
        H = E.beliefs[hosts]
        moved += socialization(H, E.beliefs[visitor], rate * E.absorb[hosts, None] * E.share[visitor], rng)
        E.beliefs[hosts] = H
        mentor = hosts[rng.integers(hosts.size)]
        moved += socialization(E.beliefs[visitor], E.beliefs[mentor], rate * E.absorb[visitor] * E.share[mentor], rng)
        visits += 1
    return moved, visits


def team_communication(model, rate, effort, rng):
    """Team <-> team, explicit: practices and service records exchanged between repositories."""
    R = model.teams.beliefs
    n = R.shape[0]
    if n < 2:
        return 0, 0
    partner = (np.arange(n) + 1 + rng.integers(n - 1, size=n)) % n
    moved = combination(R, R[partner].copy(), rate, rng)
    return moved, n


def briefings(model, rate, effort, rng):
    """Team -> organization: briefings by the better-performing teams (combination, March's rule)."""
    R = model.teams.beliefs
    better = R[superior_group(R, model.kb, model.reality)]
    return code_learning(model.kb, better, rate, rng), R.shape[0]


def task_summaries(model, rate, effort, rng):
    """Team -> organization: at the end of a task (one team a week), the summaries of its
    better-performing members go into the knowledge base (externalization, March's rule)."""
    E = model.employees
    team = rng.integers(model.teams.beliefs.shape[0])
    B = E.beliefs[E.team == team]
    better = B[superior_group(B, model.kb, model.reality)]
    p = rate * (1.0 - model.space.tacitness)
    return code_learning(model.kb, better, p, rng), 1


CHANNELS: tuple[Channel, ...] = (
    Channel(
        "working_together",
        INTERNAL,
        "individual <-> individual",
        "socialization",
        "colleagues with a tie learn from each other while working",
        working_together,
        0.02,
        0.0,
    ),
    Channel(
        "mentoring",
        INTERNAL,
        "individual <-> individual",
        "socialization",
        "guidance by the team manager; communities of practice",
        mentoring,
        0.05,
        5.0,
        SOCIALIZATION,
    ),
    Channel(
        "team_guidance",
        INTERNAL,
        "individual -> team",
        "externalization",
        "members' skills become the team's practice (majority rule)",
        team_guidance,
        0.03,
        1.0,
        CODIFICATION,
    ),
    Channel(
        "team_practice",
        INTERNAL,
        "team -> individual",
        "internalization",
        "working practices and guidelines of the team",
        team_practice,
        0.05,
        1.0,
    ),
    Channel(
        "codification",
        INTERNAL,
        "individual -> organization",
        "externalization",
        "collating, summarizing and coding into the knowledge base",
        codification,
        0.05,
        10.0,
        CODIFICATION,
    ),
    Channel(
        "task_summaries",
        INTERNAL,
        "team -> organization",
        "externalization",
        "end-of-task summaries of the better-performing members",
        task_summaries,
        0.10,
        10.0,
    ),
    Channel(
        "briefings",
        INTERNAL,
        "team -> organization",
        "combination",
        "briefings on work in progress by the better-performing teams",
        briefings,
        0.10,
        20.0,
    ),
    Channel(
        "manuals",
        INTERNAL,
        "organization -> individual",
        "internalization",
        "manuals, service-skill handbooks and training",
        manuals,
        0.04,
        2.0,
        TRAINING,
    ),
    Channel(
        "staff_exchange",
        INTERNAL,
        "team <-> team",
        "socialization",
        "sending staff to learn from another team",
        staff_exchange,
        0.10,
        50.0,
        JOB_ROTATION,
    ),
    Channel(
        "team_communication",
        INTERNAL,
        "team <-> team",
        "combination",
        "practices and service records exchanged between teams",
        team_communication,
        0.05,
        5.0,
    ),
)
