"""Xie 3.1: knowledge transfer inside the CRM unit -- individual, team and organization, both ways.

People learn from those who do better (Miller, Zhao & Calantone 2006): a colleague is copied only if
their observed performance -- the score of what they know against reality -- beats the learner's,
and a store (team repository, knowledge base) learns from the majority of the people who beat it,
March's (1991) rule. Truth-blind copying would spread stale beliefs as readily as fresh ones.
"""

from __future__ import annotations

import numpy as np

from sim.config.params import Expect, par
from sim.engine.channels.channel import INTERNAL, Channel, chosen
from sim.engine.knowledge import code_learning, combination, internalization, raw_score, socialization, superior_group
from sim.engine.levers import CODIFICATION, JOB_ROTATION, SOCIALIZATION, TRAINING

TIES_CONSULTED = par(
    "organization.ties_consulted",
    3,
    "Colleagues (ties in the network) an employee looks at each "
    "week when working together; it learns from the best of them if that one does better",
    1,
    50,
    source="assumption; learning from better performers nearby, Miller, Zhao & Calantone 2006",
)


def scores(model) -> np.ndarray:
    """Each employee's observed performance: ``sum(belief * reality)``."""
    return raw_score(model.employees.beliefs, model.reality)


def learn_from_better(model, learners, teachers, rate, rng, score=None) -> int:
    """Socialization of each learner from its teacher, only where the teacher's score beats the learner's."""
    E = model.employees
    s = scores(model) if score is None else score
    better = s[teachers] > s[learners]
    learners, teachers = learners[better], teachers[better]
    if learners.size == 0:
        return 0
    B = E.beliefs[learners]
    moved = socialization(B, E.beliefs[teachers], rate * E.absorb[learners, None] * E.share[teachers, None], rng)
    E.beliefs[learners] = B
    return moved


def best_of_team(model, score: np.ndarray) -> np.ndarray:
    """Per team: the member with the highest score (ties to the first)."""
    team = model.employees.team
    order = np.lexsort((np.arange(team.size), -score, team))
    first = np.flatnonzero(np.r_[True, team[order][1:] != team[order][:-1]])
    return order[first]


def working_together(model, rate, effort, rng):
    """Individual <-> individual, tacit: each employee looks at a few colleagues it has ties to and learns
    from the best of them, if that one does better."""
    deg = np.diff(model.net_indptr)
    learners = np.flatnonzero(deg > 0)
    if learners.size == 0:
        return 0, 0
    k = int(model.scenario.get(TIES_CONSULTED.key))
    pick = model.net_indptr[learners, None] + (rng.random((learners.size, k)) * deg[learners, None]).astype(np.int64)
    s = scores(model)
    looked = model.net_indices[pick]
    teachers = looked[np.arange(learners.size), np.argmax(s[looked], axis=1)]
    return learn_from_better(model, learners, teachers, rate, rng, s), learners.size


def mentoring(model, rate, effort, rng):
    """Individual <-> individual, guidance: front-line staff selected by the socialization effort are
    mentored by their team's most knowledgeable member (a communities-of-practice expert)."""
    mentees = model.front_line[chosen(rng, model.front_line.size, effort)]
    if mentees.size == 0:
        return 0, 0
    s = scores(model)
    mentors = best_of_team(model, s)[model.employees.team[mentees]]
    return learn_from_better(model, mentees, mentors, rate, rng, s), mentees.size


def team_guidance(model, rate, effort, rng):
    """Individual -> team: the skills of the members who do better than the team's practice on the front
    line's work (customer and process items) become team practice (externalization, March's rule per
    team)."""
    E, T = model.employees, model.teams
    work = work_domain(model)
    better = raw_score(E.beliefs * work, model.reality) > raw_score(T.beliefs * work, model.reality)[E.team]
    p = rate * effort * (1.0 - model.space.tacitness)
    moved = code_learning(T.beliefs, E.beliefs[better] * work, p, rng, group=E.team[better])
    return moved, T.beliefs.shape[0]


def team_practice(model, rate, effort, rng):
    """Team -> individual: working practices and guidelines (internalization)."""
    E, T = model.employees, model.teams
    moved = internalization(E.beliefs, T.beliefs[E.team], rate * E.absorb[:, None], model.space.tacitness, rng)
    return moved, E.beliefs.shape[0]


def codification(model, rate, effort, rng):
    """Individual -> organization: collating, summarizing, coding the service know-how (process items)
    into the knowledge base -- the customer-service skills manual of Xie 3.1 (externalization) -- from
    the writers who know it better than the knowledge base does (March's rule)."""
    E = model.employees
    writers = chosen(rng, E.beliefs.shape[0], effort)
    if writers.size == 0:
        return 0, 0
    work = model.space.mask("process")
    better = writers[superior_group(E.beliefs[writers] * work, model.kb * work, model.reality)]
    moved = code_learning(model.kb, E.beliefs[better] * work, rate * (1.0 - model.space.tacitness), rng)
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
    """Team <-> team: a team sends a member to another team; each side learns from the other where the
    other does better (socialization)."""
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
        moved += learn_from_better(model, hosts, np.full(hosts.size, visitor), rate, rng)
        mentor = hosts[rng.integers(hosts.size)]
        moved += learn_from_better(model, np.array([visitor]), np.array([mentor]), rate, rng)
        visits += 1
    return moved, visits


def team_communication(model, rate, effort, rng):
    """Team <-> team, explicit: each repository exchanges records with another team's (combination): it
    takes the records it lacks, and where the two disagree it takes the other's if that repository
    does better on the front line's work."""
    R = model.teams.beliefs
    n = R.shape[0]
    if n < 2:
        return 0, 0
    partner = (np.arange(n) + 1 + rng.integers(n - 1, size=n)) % n
    work = work_domain(model)
    s = raw_score(R * work, model.reality)
    better = (s[partner] > s)[:, None]
    source = np.where(better | (R == 0), R[partner], 0).astype(np.int8)
    moved = combination(R, source, rate, rng)
    return moved, n


def work_domain(model) -> np.ndarray:
    """The items the front line's work is judged on: customer needs and service know-how."""
    return model.space.mask("customer", "process")


def briefings(model, rate, effort, rng):
    """Team <-> organization: briefings on work in progress with customers, both ways (combination).
    Teams whose repository beats the knowledge base on customer items brief it (March's majority
    rule); the knowledge base briefs the teams it beats."""
    R, kb, reality = model.teams.beliefs, model.kb, model.reality
    work = model.space.mask("customer")
    team_score = raw_score(R * work, reality)
    kb_score = raw_score(kb * work, reality)
    moved = code_learning(kb, R[team_score > kb_score] * work, rate, rng)
    behind = np.flatnonzero(team_score < kb_score)
    if behind.size:
        T = R[behind]
        moved += combination(T, kb * work, rate, rng)
        R[behind] = T
    return moved, R.shape[0]


def task_summaries(model, rate, effort, rng):
    """Team -> organization: at the end of a task (one team a week), the summaries of what its members
    learned about customers go into the knowledge base, from the members who know customers better
    than it does (externalization, March's rule)."""
    E = model.employees
    team = rng.integers(model.teams.beliefs.shape[0])
    work = model.space.mask("customer")
    B = E.beliefs[E.team == team] * work
    better = B[superior_group(B, model.kb * work, model.reality)]
    p = rate * (1.0 - model.space.tacitness)
    return code_learning(model.kb, better, p, rng), 1


CHANNELS: tuple[Channel, ...] = (
    Channel(
        "working_together",
        INTERNAL,
        "individual <-> individual",
        "socialization",
        "colleagues learn from the best of the few ties they look at, if that one does better",
        working_together,
        0.05,
        0.0,
        extra=(TIES_CONSULTED,),
        ablation=(
            Expect("knowledge_individual", -1, "Miller, Zhao & Calantone 2006: learning from better colleagues"),
        ),
    ),
    Channel(
        "mentoring",
        INTERNAL,
        "individual <-> individual",
        "socialization",
        "guidance by the team's most knowledgeable member; communities of practice",
        mentoring,
        0.05,
        5.0,
        SOCIALIZATION,
        ablation=(Expect("knowledge_individual", -1, "Xie 3.1: guidance; Nonaka 1994 socialization"),),
    ),
    Channel(
        "team_guidance",
        INTERNAL,
        "individual -> team",
        "externalization",
        "the skills of the members who beat the team's practice become practice (majority rule)",
        team_guidance,
        0.3,
        1.0,
        CODIFICATION,
        ablation=(Expect("knowledge_team", -1, "Xie 3.1: individual -> team (externalization)"),),
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
        ablation=(Expect("knowledge_individual", -1, "Xie 3.1: team -> individual (internalization)"),),
    ),
    Channel(
        "codification",
        INTERNAL,
        "individual -> organization",
        "externalization",
        "collating, summarizing and coding what the better writers know into the knowledge base",
        codification,
        0.2,
        10.0,
        CODIFICATION,
        ablation=(Expect("knowledge_org", -1, "Xie 3.1: individual -> organization (externalization)"),),
    ),
    Channel(
        "task_summaries",
        INTERNAL,
        "team -> organization",
        "externalization",
        "end-of-task summaries of the members who know the task's domain better than the knowledge base",
        task_summaries,
        0.3,
        10.0,
        ablation=(Expect("knowledge_org", -1, "Xie 3.1: summaries after a task; March 1991 code learning"),),
    ),
    Channel(
        "briefings",
        INTERNAL,
        "team <-> organization",
        "combination",
        "briefings on work in progress: better teams brief the knowledge base, it briefs the teams behind it",
        briefings,
        0.5,
        20.0,
        ablation=(Expect("knowledge_team", -1, "Xie 3.1: team <-> organization briefings"),),
    ),
    Channel(
        "manuals",
        INTERNAL,
        "organization -> individual",
        "internalization",
        "manuals, service-skill handbooks and training",
        manuals,
        0.15,
        2.0,
        TRAINING,
        ablation=(Expect("knowledge_individual", -1, "Xie 3.1: manuals and training (internalization)"),),
    ),
    Channel(
        "staff_exchange",
        INTERNAL,
        "team <-> team",
        "socialization",
        "sending staff to learn from another team",
        staff_exchange,
        0.5,
        50.0,
        JOB_ROTATION,
        ablation=(Expect("knowledge_individual", -1, "Xie 3.1: sending staff to another team"),),
        home="km",
    ),
    Channel(
        "team_communication",
        INTERNAL,
        "team <-> team",
        "combination",
        "practices and service records taken from a better team's repository",
        team_communication,
        0.2,
        5.0,
        ablation=(Expect("knowledge_team", -1, "Xie 3.1: team <-> team (combination)"),),
    ),
)
