"""Swap descents inside the neighbourhood search: sound, counted, reproducible, within budget."""

from __future__ import annotations

import random

import pytest

from peermatch.generate import generate_population
from peermatch.params import SolveParams
from peermatch.solution import Result, Status
from peermatch.solvers.cpsat import solve
from peermatch.solvers.finish import assign_facilitators
from peermatch.solvers.greedy import greedy_cohorts
from peermatch.solvers.grouping import Grouping
from peermatch.solvers.instance import build_instance
from peermatch.solvers.search import lns
from peermatch.solvers.search.lns import Search, Walk, swap_pass
from peermatch.violations import violations

N = 150


def test_all_is_the_public_api() -> None:
    assert lns.__all__ == [
        "Batched",
        "Search",
        "Walk",
        "descent_budget",
        "improve",
        "swap_pass",
        "whole_build_time",
    ]


@pytest.fixture(scope="module")
def planted():  # type: ignore[no-untyped-def]
    # Its greedy start is complete, so the descents run from the first step on.
    return generate_population(N, 5, planted=True)


def _solve(problem, workers: int = 1) -> Result:  # type: ignore[no-untyped-def]
    params = SolveParams(time_limit=3.0, seed=2, workers=workers, lns_threshold=50)
    return solve(problem, params)


def _cohorts(result: Result) -> list[tuple[str, ...]]:
    assert result.solution is not None
    return sorted(tuple(sorted(c.members)) for c in result.solution.cohorts)


@pytest.mark.parametrize("workers", [1, 2])
def test_search_with_swaps_is_sound_and_counts_them(planted, workers: int) -> None:  # type: ignore[no-untyped-def]
    result = _solve(planted.problem, workers)
    assert result.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert result.solution is not None
    assert list(violations(planted.problem, result.solution)) == []
    stats = result.stats.lns
    assert stats is not None and stats.swap_moves is not None and stats.swap_moves > 0
    # The adaptive choice (peermatch.solvers.operators) leaves the steps their share.
    assert stats.iterations > 0
    assert result.stats.as_dict()["lns_swap_moves"] == stats.swap_moves


def test_deterministic_search_with_swaps_reproduces(planted) -> None:  # type: ignore[no-untyped-def]
    assert _cohorts(_solve(planted.problem)) == _cohorts(_solve(planted.problem))


def test_swap_pass_spends_nothing_once_the_limit_is_used(planted) -> None:  # type: ignore[no-untyped-def]
    inst = build_instance(planted.problem)
    cohorts = [list(c) for c in greedy_cohorts(inst, 0).cohorts]
    facs = assign_facilitators(inst, cohorts)
    search = Search(SolveParams(time_limit=2.0), workers=1, time_limit=2.0, started=0.0)
    walk = Walk(inst, Grouping.of(cohorts, facs, ()), search.params.neighbourhood)
    walk.spent = 2.0  # deterministic: what the search has used is what it was charged
    found, gained, spent = swap_pass(walk, random.Random(0), search)
    assert (found, gained, spent) == (cohorts, 0, 0.0)
    walk.spent = 0.0
    found, gained, spent = swap_pass(walk, random.Random(0), search)
    assert 0 < spent <= 2.0 and inst.cost(found) <= inst.cost(cohorts)
