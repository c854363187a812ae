"""The greedy constructor: never breaks a hard rule; whoever it cannot place gets a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from helpers import make_participant
from peermatch.availability import parse_availability
from peermatch.generate import generate_population
from peermatch.io import read_problem
from peermatch.model import Participant, ProblemData
from peermatch.solvers.greedy import greedy_cohorts, greedy_solution
from peermatch.solvers.instance import build_instance
from peermatch.violations import violations
from strategies import planted_problems


def _check(problem: ProblemData, seed: int = 0) -> None:
    solution = greedy_solution(problem, seed)
    assert [str(v) for v in violations(problem, solution)] == []
    placed = {m for c in solution.cohorts for m in c.members}
    left = {u.participant_id for u in solution.unassigned}
    assert placed | left == set(problem.index) and not placed & left
    assert all(u.reason.strip() for u in solution.unassigned)


def test_examples(examples_dir: Path) -> None:
    problem = read_problem(
        examples_dir / "participants.csv",
        history=examples_dir / "history.csv",
        facilitators=examples_dir / "facilitators.csv",
        config=examples_dir / "program.toml",
    )
    _check(problem)


@pytest.mark.parametrize(
    ("size", "seed", "planted"), [(40, 1, True), (60, 2, True), (60, 3, False)]
)
def test_generated_populations(size: int, seed: int, planted: bool) -> None:
    _check(generate_population(size, seed, planted=planted).problem, seed)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_problems())
def test_planted_problems(case: tuple) -> None:  # type: ignore[type-arg]
    problem, _ = case
    _check(problem)


def test_deterministic_per_seed() -> None:
    inst = build_instance(generate_population(48, 4, planted=True).problem)
    assert greedy_cohorts(inst, 3) == greedy_cohorts(inst, 3)


def _p(i: int, **kw: object) -> Participant:
    return make_participant(i, **{"organisation": f"O{i}", **kw})


def test_someone_free_when_nobody_else_is_gets_a_reason() -> None:
    loner = _p(7, availability=parse_availability("Sat 09:00-17:00"))
    problem = ProblemData(participants=(*(_p(i) for i in range(7)), _p(8), loner))
    solution = greedy_solution(problem)
    assert [u.participant_id for u in solution.unassigned] == ["p07"]
    assert "overlaps a full session with only 0 others" in solution.unassigned[0].reason
    assert list(violations(problem, solution)) == []


def test_someone_of_a_full_organisation_gets_a_reason() -> None:
    # 9 people make one cohort; two share an organisation, so one stays out.
    crowd = (*(_p(i) for i in range(8)), _p(8).model_copy(update={"organisation": "O0"}))
    solution = greedy_solution(ProblemData(participants=crowd))
    assert len(solution.unassigned) == 1
    assert solution.unassigned[0].participant_id in ("p00", "p08")
    assert "organisation" in solution.unassigned[0].reason


def test_everyone_unplaced_when_no_cohort_is_possible() -> None:
    problem = ProblemData(participants=tuple(_p(i) for i in range(5)))
    solution = greedy_solution(problem)
    assert solution.cohorts == ()
    assert len(solution.unassigned) == 5 and all(u.reason for u in solution.unassigned)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted=planted_problems())
def test_the_cheap_checks_never_close_a_cohort_the_rules_leave_open(
    planted: tuple[ProblemData, object],
) -> None:
    # The greedy start rules cohorts out by size, organisation, levels and a shared
    # option before the full check (issue 25); none of those may reject a cohort that
    # fits, or the start would differ from the one the full check alone gives.
    import random

    from peermatch.solvers.greedy import _plan, _State

    inst = build_instance(planted[0])
    state = _State(inst, _plan(inst, 1))
    rng = random.Random(0)
    people = list(range(inst.n))
    rng.shuffle(people)
    for i in people[: inst.n // 2]:
        open_ = [k for k in range(len(state.cohorts)) if state.open_to(i, k)]
        if open_:
            state.add(i, rng.choice(open_))
    for i in people[inst.n // 2 :]:
        for k in range(len(state.cohorts)):
            if state.fits(k, None, i, building=True):
                assert state._may_join(i, k), (i, k)
    # Someone leaving updates the cached levels and options too.
    for i in list(state.where)[:5]:
        state.remove(i)
    for i in people:
        if i not in state.where:
            for k in range(len(state.cohorts)):
                assert state._may_join(i, k) or not state.fits(k, None, i, building=True)


def test_a_start_out_of_time_still_places_everyone_and_breaks_no_rule() -> None:
    # Out of time, the greedy start skips its swap descent (left to the search, issue 25):
    # it must still place everyone it can, within every rule, as the full start does.
    import time

    from peermatch.deadline import Deadline
    from peermatch.solvers.cohort_state import CohortState

    problem = generate_population(240, 2, planted=True).problem
    inst = build_instance(problem)
    late = greedy_cohorts(inst, 0, deadline=Deadline(1.0, time.monotonic() - 10))
    full = greedy_cohorts(inst, 0, attempts=1)  # out of time, no second attempt either
    assert late.unplaced == full.unplaced and len(late.unplaced) < inst.n // 20
    placed = sorted(i for c in late.cohorts for i in c)
    assert placed == sorted(set(range(inst.n)) - set(late.unplaced))
    state = CohortState(inst, [list(c) for c in late.cohorts])
    assert all(state.fits(k, None, None) for k in range(len(late.cohorts)))
    assert inst.cost(full.cohorts) <= inst.cost(late.cohorts)
