"""Baselines: the random one keeps sizes and breaks rules, evaluate() counts them."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from peermatch.bench.baselines import evaluate, greedy_baseline, random_baseline
from peermatch.generate import generate_population
from peermatch.metrics import diversity_cost
from peermatch.solution import Solution
from peermatch.violations import RULES, violations


@pytest.mark.parametrize(("size", "seed"), [(30, 0), (64, 1), (101, 2), (157, 3)])
def test_random_baseline_keeps_sizes_and_places_everyone(size: int, seed: int) -> None:
    problem = generate_population(size, seed).problem
    solution = random_baseline(problem, seed)
    rules = problem.config.cohort
    sizes = [len(c.members) for c in solution.cohorts]
    assert all(rules.min_size <= s <= rules.max_size for s in sizes)
    assert max(sizes) - min(sizes) <= 1
    assert len(solution.cohorts) == max(1, round(size / rules.target_size))
    placed = sorted(m for c in solution.cohorts for m in c.members)
    assert placed == sorted(p.id for p in problem.participants)
    assert not solution.unassigned
    rules_broken = Counter(v.rule for v in violations(problem, solution))
    assert rules_broken["assignment"] == 0
    assert rules_broken["size"] == 0
    # Slots are anchored where violations() expects them, with the full series.
    assert rules_broken["schedule"] == 0
    assert all(c.facilitator_id is not None for c in solution.cohorts)


def test_random_baseline_is_deterministic_and_seeded() -> None:
    problem = generate_population(90, 4).problem
    assert random_baseline(problem, 1) == random_baseline(problem, 1)
    assert random_baseline(problem, 1) != random_baseline(problem, 2)


def test_random_baseline_breaks_rules_that_evaluate_counts() -> None:
    pop = generate_population(200, 5, planted=True, difficulty="hard")
    solution = random_baseline(pop.problem, 0)
    report = evaluate(pop.problem, solution)
    expected = Counter(v.rule for v in violations(pop.problem, solution))
    assert report["violations"] == {rule: expected.get(rule, 0) for rule in RULES}
    assert report["violations_total"] == sum(expected.values()) > 0
    assert report["feasible"] is False
    # A random split of a population with large organisations and tight hours breaks these.
    for rule in ("organisation", "level", "availability"):
        assert report["violations"][rule] > 0, rule
    assert report["diversity_cost"] == diversity_cost(pop.problem, solution)
    assert report["metrics"]["overall"]["placed"] == 200
    json.dumps(report)


def test_evaluate_planted_is_feasible() -> None:
    pop = generate_population(120, 6, planted=True)
    assert pop.planted is not None
    report = evaluate(pop.problem, pop.planted)
    assert report["feasible"] is True
    assert set(report["violations"].values()) == {0}


def test_sizes_that_cannot_fit_are_reported() -> None:
    problem = generate_population(13, 0).problem  # no split of 13 into 7..12
    solution = random_baseline(problem, 0)
    assert sorted(len(c.members) for c in solution.cohorts) == [6, 7]  # round(13 / 8) cohorts
    assert evaluate(problem, solution)["violations"]["size"] == 1


def test_no_facilitators_no_facilitator_assigned() -> None:
    problem = generate_population(40, 1, facilitators=False).problem
    solution = random_baseline(problem, 0)
    assert all(c.facilitator_id is None for c in solution.cohorts)
    assert evaluate(problem, solution)["violations"]["facilitator"] == 0


def test_greedy_hook() -> None:
    pop = generate_population(60, 1, planted=True)
    solution = greedy_baseline(pop.problem, 0)
    assert isinstance(solution, Solution)
    placed = {m for c in solution.cohorts for m in c.members} | {
        u.participant_id for u in solution.unassigned
    }
    assert placed == {p.id for p in pop.problem.participants}
