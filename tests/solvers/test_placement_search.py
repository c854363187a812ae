"""The four placement rules of program.toml on planted populations, through every search path.

Planted populations that use ``[limits]``, ``[presence]``, ``[required]`` and
``[closeness]`` at once (their planted cohorts keep every rule) are solved by
the whole model, by the neighbourhood search (with its swap descents) and
started greedily: every rule holds, and nothing is declared infeasible.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings

from peermatch.generate import generate_population
from peermatch.params import SolveParams
from peermatch.placement import placement_violations
from peermatch.rules import Rule
from peermatch.solution import Solution, Status
from peermatch.solvers.cpsat import solve
from peermatch.solvers.greedy import greedy_cohorts
from peermatch.solvers.instance import build_instance
from peermatch.solvers.swaps import SwapBudget, descend
from peermatch.violations import violations
from strategies import planted_problems

PLACEMENT = {Rule.LIMITS, Rule.PRESENCE, Rule.REQUIRED, Rule.CLOSENESS}
SOLVED = {Status.OPTIMAL, Status.FEASIBLE}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_problems(placement_rules=True))
def test_the_whole_model_keeps_all_four_rules(case: tuple) -> None:  # type: ignore[type-arg]
    problem, planted = case
    assert list(violations(problem, planted)) == []  # the strategy's own promise
    result = solve(problem, SolveParams(time_limit=2.0, seed=0, workers=1, deterministic=True))
    assert result.status in SOLVED, result.diagnosis
    assert result.solution is not None
    assert [str(v) for v in violations(problem, result.solution)] == []


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_problems(max_cohorts=6, placement_rules=True))
def test_the_neighbourhood_search_keeps_all_four_rules(case: tuple) -> None:  # type: ignore[type-arg]
    problem, _ = case
    # Below the threshold: the neighbourhood search with its swap descents, not the whole model.
    params = SolveParams(time_limit=2.0, seed=0, workers=1, deterministic=True, lns_threshold=1)
    result = solve(problem, params)
    assert result.status in SOLVED, result.diagnosis
    assert result.solution is not None
    assert [str(v) for v in violations(problem, result.solution)] == []


def _positions_to_solution(ids: tuple[str, ...], cohorts: list[list[int]]) -> Solution:
    from peermatch.solution import Cohort

    return Solution(
        cohorts=tuple(
            Cohort(id=f"C{k}", members=tuple(ids[i] for i in c)) for k, c in enumerate(cohorts)
        )
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_problems(max_cohorts=6, placement_rules=True))
def test_greedy_and_swaps_never_build_a_cohort_that_breaks_one(case: tuple) -> None:  # type: ignore[type-arg]
    problem, _ = case
    inst = build_instance(problem)
    found = greedy_cohorts(inst, seed=0)
    cohorts = [list(c) for c in found.cohorts]

    def broken(groups: list[list[int]]) -> list[str]:
        return [
            str(v)
            for k, members in enumerate(groups)
            for v in placement_violations(
                problem, f"C{k}", [problem.participants[i] for i in members]
            )
        ]

    assert broken(cohorts) == []
    if found.unplaced:
        return  # the descent starts from complete groupings only
    after, _ = descend(inst, cohorts, None, random.Random(0), SwapBudget(limit=0.2))
    assert broken(after) == []
    assert sorted(i for c in after for i in c) == list(range(inst.n))


@pytest.mark.slow
@pytest.mark.parametrize(("size", "seed"), [(120, 1), (150, 2)])
def test_generated_planted_programs_with_all_four_rules_are_solved(size: int, seed: int) -> None:
    # Issue 28's benchmark populations, small: `peermatch generate --placement-rules`
    # (market limits 1, presence gender 2, a woman required, company-size band 1). At
    # n = 300 and 1,000 the greedy start left 8-12 people out and the search never
    # placed them. Both sizes take the neighbourhood search (the whole model keeps the
    # rules in the hypothesis test above); at 150, seed 2, the start leaves people out
    # that placement first must place.
    pop = generate_population(size, seed, planted=True, placement_rules=True)
    assert pop.planted is not None
    assert list(violations(pop.problem, pop.planted)) == []  # the generator's own promise
    params = SolveParams(time_limit=10.0, seed=0, workers=1, deterministic=True)
    result = solve(pop.problem, params)
    not_placed = result.stats.not_placed if result.stats else None
    assert result.status in SOLVED, (result.status, not_placed)
    assert result.solution is not None and not result.solution.unassigned
    assert [str(v) for v in violations(pop.problem, result.solution)] == []
