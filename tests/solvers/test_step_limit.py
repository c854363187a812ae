"""A neighbourhood step's time limit grows while steps find nothing, and falls back after one does."""

from __future__ import annotations

import random
from typing import Any

import pytest

from peermatch.generate import generate_population
from peermatch.params import SolveParams
from peermatch.solvers.cpsat.step import StepResult
from peermatch.solvers.greedy import greedy_cohorts
from peermatch.solvers.grouping import Grouping
from peermatch.solvers.instance import build_instance
from peermatch.solvers.search import lns


def test_the_step_limit_doubles_up_to_its_cap_and_resets(monkeypatch: pytest.MonkeyPatch) -> None:
    # Regression (issue 11): at n = 100,000 a step with people to place found nothing in
    # its 1 s, every time (CP-SAT's presolve alone took that), so nobody was ever placed.
    inst = build_instance(generate_population(150, 2, planted=True).problem)
    start = greedy_cohorts(inst, 0)
    limits: list[float] = []
    answers = iter([False] * 5 + [True] + [False])

    def fake_solve_step(inst: Any, step: Any) -> StepResult:
        limits.append(step.time_limit)
        if next(answers, True):
            return StepResult(True, cohorts=step.cohorts, facilitators=step.facilitators,
                              unplaced=(), deterministic_time=0.01)  # fmt: skip
        return StepResult(False, deterministic_time=0.01)

    monkeypatch.setattr(lns, "solve_step", fake_solve_step)
    params = SolveParams(time_limit=100.0, seed=0, workers=1)
    base = params.neighbourhood.step_limit
    search = lns.Search(params, 1, 100.0, 0.0)
    walk = lns.Walk(inst, Grouping.of(start.cohorts, None, start.unplaced), params.neighbourhood)
    rng = random.Random(0)
    for _ in range(7):
        lns._step(inst, walk, rng, search)
    cap = params.neighbourhood.step_limit_growth * base
    assert limits == [base, 2 * base, 4 * base, 8 * base, cap, cap, base]


def test_a_step_that_places_nobody_grows_the_limit_and_one_that_places_keeps_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Regression (issue 28): at n = 300 with every placement rule, 1 s steps that took
    # people in found the hint (everyone still out) and the limit fell back to 1 s after
    # each, so under load no step had the time to place anyone.
    # Without facilitators, so that the people left out are the only defects.
    inst = build_instance(generate_population(150, 2, planted=True, facilitators=False).problem)
    start = greedy_cohorts(inst, 0)
    cohorts = [list(c) for c in start.cohorts]
    left = [*start.unplaced, *cohorts.pop()]  # a cohort dissolved: people to place
    limits: list[float] = []
    places = iter([False, False, True, False])

    def fake_solve_step(inst: Any, step: Any) -> StepResult:
        limits.append(step.time_limit)
        cohorts = tuple(tuple(c) for c in step.cohorts)
        out = tuple(i for i in step.people if not any(i in c for c in cohorts))
        if next(places):  # the first left-out person joins a cohort
            cohorts = ((*cohorts[0], out[0]), *cohorts[1:])
            out = out[1:]
        return StepResult(True, cohorts=cohorts, unplaced=out, deterministic_time=0.01)

    monkeypatch.setattr(lns, "solve_step", fake_solve_step)
    params = SolveParams(time_limit=100.0, seed=0, workers=1)
    base = params.neighbourhood.step_limit
    search = lns.Search(params, 1, 100.0, 0.0)
    walk = lns.Walk(inst, Grouping.of(cohorts, None, left), params.neighbourhood)
    rng = random.Random(0)
    for _ in range(4):
        lns._step(inst, walk, rng, search)
    assert limits == [base, 2 * base, 4 * base, 4 * base]
