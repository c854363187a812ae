"""One regression test per solver bug found (each failed before its fix)."""

from __future__ import annotations

import pytest

from peermatch.availability import parse_availability
from peermatch.model import (
    CohortRules,
    Facilitator,
    Participant,
    ProblemData,
    ProgramConfig,
    ScheduleRules,
)
from peermatch.params import SolveParams
from peermatch.rules import Rule, Violation
from peermatch.solution import Solution, Status
from peermatch.solvers.cpsat import solve
from peermatch.violations import violations


def _one_slot_program(facilitators: list[Facilitator]) -> ProblemData:
    noon = parse_availability("Mon 12:00-13:00")
    people = [
        Participant(
            id=f"p{i}",
            name=f"P {i}",
            email=f"p{i}@x.org",
            organisation=f"Org {i}",
            level=1,
            availability=noon,
        )
        for i in range(8)
    ]
    config = ProgramConfig(
        cohort=CohortRules(min_size=4, max_size=6, target_size=4),
        schedule=ScheduleRules(
            start_date="2027-03-15", cadence_weeks=1, sessions=1, duration_minutes=60
        ),
    )
    return ProblemData(participants=people, facilitators=facilitators, config=config)


def test_a_facilitator_is_never_booked_twice_when_only_one_slot_exists() -> None:
    # Found by hypothesis: the model gave f0 (max_cohorts 2) both cohorts although
    # the only slot anyone shares is Monday 12:00, so its two series overlapped.
    noon = parse_availability("Mon 12:00-13:00")
    problem = _one_slot_program(
        [
            Facilitator(id="f0", name="F 0", email="f0@c.org", availability=noon, max_cohorts=2),
            Facilitator(id="f1", name="F 1", email="f1@c.org", availability=noon, max_cohorts=1),
        ]
    )
    result = solve(problem, SolveParams(time_limit=5, seed=0, workers=1))
    assert result.solution is not None
    assert list(violations(problem, result.solution)) == []
    assert sorted(c.facilitator_id for c in result.solution.cohorts) == ["f0", "f1"]


def test_one_facilitator_cannot_lead_two_cohorts_at_the_same_time() -> None:
    noon = parse_availability("Mon 12:00-13:00")
    problem = _one_slot_program(
        [Facilitator(id="f0", name="F 0", email="f0@c.org", availability=noon, max_cohorts=2)]
    )
    result = solve(problem, SolveParams(time_limit=5, seed=0, workers=1))
    assert result.status == Status.INFEASIBLE
    assert result.solution is None
    assert Rule.FACILITATOR in {d.rule for d in result.diagnosis}


def test_a_program_without_facilitators_is_not_reported_incomplete() -> None:
    # The model reports "no facilitator" for every cohort of a program that has none;
    # that once turned every such solve into "unknown".
    problem = _one_slot_program([])
    result = solve(problem, SolveParams(time_limit=5, seed=0, workers=1))
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert result.solution is not None and all(
        c.facilitator_id is None for c in result.solution.cohorts
    )


def test_a_solution_the_checker_rejects_is_reported_as_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Regression: a solution violations() rejected came back as UNKNOWN ("nothing
    # found in time"). Simulate a solver bug by making the checker object.
    import peermatch.solvers.cpsat.solving as solving

    def objects(problem: ProblemData, solution: Solution) -> tuple[Violation, ...]:
        return (Violation(Rule.SIZE, "a planted objection", solution.cohorts[0].id),)

    monkeypatch.setattr(solving, "checked_violations", objects)
    result = solve(_one_slot_program([]), SolveParams(time_limit=5, seed=0, workers=1))
    assert result.status == Status.REJECTED and result.solution is None
    assert [v.message for v in result.violations] == ["a planted objection"]
    assert result.stats.rejected_by_violations is not None
    assert "a planted objection" in result.stats.rejected_by_violations[0]
