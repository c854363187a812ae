"""Leaderless cohorts of a start dissolved into led cohorts at once (issue 25)."""

from __future__ import annotations

import pytest

from peermatch.generate.shapes import shaped_population
from peermatch.params import GreedyParams, SolveParams
from peermatch.solvers import leaderless
from peermatch.solvers.cpsat import solve, solving
from peermatch.solvers.finish import assign_facilitators, finish_solution
from peermatch.solvers.greedy import greedy_cohorts
from peermatch.solvers.grouping import Grouping
from peermatch.solvers.instance import build_instance
from peermatch.violations import violations

#: Parts forced above 150 people, of about 100 each.
SMALL = GreedyParams(part_size=100, parts_threshold=150, parts_share=0.4)


def test_all_is_the_public_api() -> None:
    assert leaderless.__all__ == ["LeadRepair", "lead_leaderless"]


def test_a_start_with_more_cohorts_than_seats_is_led_throughout() -> None:
    # Every facilitator seat needed (62 seats); the greedy start, which forms cohorts
    # without looking at facilitators, forms 63: one cohort no facilitator can lead.
    population = shaped_population("facilitators-at-capacity", 500, 0)
    inst = build_instance(population.problem)
    start = greedy_cohorts(inst, 0)
    facs = assign_facilitators(inst, start.cohorts)
    assert len(start.cohorts) > sum(inst.facilitator_capacity)
    assert facs.count(None) >= 1
    repaired = leaderless.lead_leaderless(inst, start.cohorts, facs)
    assert repaired.leaderless == 0
    assert repaired.dissolved + repaired.handed_over == facs.count(None)
    assert None not in repaired.facilitators
    # Nobody lost or duplicated, and every rule kept (the checker, not the repair, says so).
    assert sorted(i for c in repaired.cohorts for i in c) == sorted(
        i for c in start.cohorts for i in c
    )
    solution = finish_solution(inst, repaired.cohorts, start.unplaced, repaired.facilitators)
    assert [str(v) for v in violations(population.problem, solution)] == []


def test_a_led_start_is_left_alone() -> None:
    population = shaped_population("facilitators-at-capacity", 300, 0)
    inst = build_instance(population.problem)
    start = greedy_cohorts(inst, 0)
    facs = assign_facilitators(inst, start.cohorts)
    assert None not in facs
    repaired = leaderless.lead_leaderless(inst, start.cohorts, facs)
    assert repaired.cohorts == [list(c) for c in start.cohorts]
    assert repaired.facilitators == facs and repaired.dissolved == 0


class _Started(Exception):
    """Raised by the spy once the search is handed its start (the rest is not under test)."""


def test_a_program_built_in_parts_starts_its_search_with_every_cohort_led(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Regression (issue 25): the parts' merged cohorts went to the search with cohorts no
    # facilitator could lead (n = 100,000: 294 of 12,782), repaired one per step, and the
    # run ended with no answer. Here the parts form 63 cohorts for 62 seats.
    starts: list[Grouping] = []

    def spy(inst, start, search):  # type: ignore[no-untyped-def]
        starts.append(start)
        raise _Started

    monkeypatch.setattr(solving, "improve", spy)
    population = shaped_population("facilitators-at-capacity", 500, 0)
    params = SolveParams(time_limit=1, seed=0, workers=1, deterministic=True, greedy=SMALL)
    with pytest.raises(_Started):
        solve(population.problem, params)
    (start,) = starts
    assert start.facilitators is not None and len(start.cohorts) <= 62
    assert start.leaderless == 0
    solution = finish_solution(
        build_instance(population.problem), start.cohorts, start.unplaced, start.facilitators
    )
    assert [str(v) for v in violations(population.problem, solution)] == []
