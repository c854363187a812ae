"""Pre-solve checks: each proves infeasibility and names the people or organisations."""

from __future__ import annotations

from pathlib import Path

import pytest

from peermatch.availability import parse_availability
from peermatch.io import read_problem
from peermatch.model import (
    CohortRules,
    Facilitator,
    Participant,
    ProblemData,
    ProgramConfig,
    ScheduleRules,
)
from peermatch.presolve import presolve_checks
from peermatch.rules import Diagnosis, Rule
from peermatch.slots import slot_table


def people(
    n: int, *, start: int = 0, org: str | None = None, level: int = 2, **kw: object
) -> list[Participant]:
    return [
        Participant(
            id=f"p{i}",
            name=f"P {i}",
            email=f"p{i}@x.org",
            organisation=org or f"Org {i}",
            level=level,
            **kw,  # type: ignore[arg-type]
        )
        for i in range(start, start + n)
    ]


def rules(**cohort: int) -> ProgramConfig:
    return ProgramConfig(cohort=CohortRules(**cohort))


def test_a_feasible_population_has_no_diagnosis() -> None:
    assert presolve_checks(ProblemData(participants=people(16))) == []


def test_fewer_people_than_min_size() -> None:
    found = presolve_checks(ProblemData(participants=people(5)))
    assert [d.rule for d in found] == [Rule.SIZE]
    assert "5 participants" in found[0].message and "min_size = 7" in found[0].message
    assert found[0].people == ("p0", "p1", "p2", "p3", "p4")


def test_an_organisation_larger_than_the_cohorts_that_can_exist() -> None:
    # 15 people make at most 2 cohorts of 7, so Acme's 3 members cannot all be apart.
    crowd = people(12) + people(3, start=12, org="Acme")
    found = presolve_checks(ProblemData(participants=crowd))
    assert found == [
        Diagnosis(
            Rule.ORGANISATION,
            found[0].message,
            ("p12", "p13", "p14"),
            ("Acme",),
        )
    ]
    assert "Acme has 3 participants" in found[0].message
    assert "at most 2 cohorts" in found[0].message
    allowed = ProblemData(participants=crowd, config=rules(max_per_organisation=2))
    assert presolve_checks(allowed) == []


def test_a_level_band_too_small_for_min_size() -> None:
    crowd = people(10, level=2) + people(3, start=10, level=5)
    found = presolve_checks(ProblemData(participants=crowd))
    assert [(d.rule, d.people) for d in found] == [(Rule.LEVEL, ("p10", "p11", "p12"))]
    assert "level 5 (Senior Director)" in found[0].message
    assert "levels 4..6" in found[0].message
    # A wider gap lets them join the others.
    assert presolve_checks(ProblemData(participants=crowd, config=rules(max_level_gap=3))) == []


def test_a_level_band_whose_people_share_too_few_organisations() -> None:
    # 8 seniors, but from only 4 organisations: one per organisation seats 4 < 7.
    crowd = people(10, level=1) + [
        p.model_copy(update={"organisation": f"Senior Org {int(p.id[1:]) % 4}"})
        for p in people(8, start=10, level=4)
    ]
    found = presolve_checks(ProblemData(participants=crowd, config=rules(max_per_organisation=1)))
    level_rules = [d for d in found if d.rule == Rule.LEVEL]
    assert len(level_rules) == 1 and len(level_rules[0].people) == 8
    assert "only 4 participants from different organisations" in level_rules[0].message


def test_people_without_enough_company_in_any_slot() -> None:
    saturday = parse_availability("Sat 09:00-13:00")
    too_short = parse_availability("Mon 09:00-10:00")
    crowd = (
        people(8)
        + people(1, start=8, availability=saturday)
        + people(1, start=9, availability=too_short)
    )
    problem = ProblemData(participants=crowd)
    found = presolve_checks(problem)
    assert [(d.rule, d.people) for d in found] == [
        (Rule.AVAILABILITY, ("p9",)),
        (Rule.AVAILABILITY, ("p8",)),
    ]
    assert "free for no weekly slot of 180 minutes" in found[0].message
    assert "with at least 6 others" in found[1].message
    # A precomputed slot table gives the same answer.
    assert presolve_checks(problem, slot_table(problem)) == found


def test_time_zones_are_taken_into_account() -> None:
    # 09:00-17:00 in Sydney never overlaps 09:00-17:00 in London.
    crowd = people(8) + people(1, start=8, timezone="Australia/Sydney")
    found = presolve_checks(ProblemData(participants=crowd))
    assert [(d.rule, d.people) for d in found] == [(Rule.AVAILABILITY, ("p8",))]


def test_facilitator_capacity() -> None:
    hosts = [Facilitator(id=f"f{j}", name="F", email="f@x.org", max_cohorts=1) for j in range(2)]
    found = presolve_checks(ProblemData(participants=people(30), facilitators=hosts))
    assert [(d.rule, d.people) for d in found] == [(Rule.FACILITATOR, ("f0", "f1"))]
    assert "at least 3 cohorts" in found[0].message and "only 2" in found[0].message


def test_blackout_dates_that_swallow_the_program() -> None:
    config = ProgramConfig(schedule=ScheduleRules(blackout_dates=["2027-01-01..2028-12-31"]))
    found = presolve_checks(ProblemData(participants=people(8), config=config))
    assert [d.rule for d in found] == [Rule.BLACKOUT]


@pytest.mark.parametrize("with_facilitators", [False, True])
def test_the_examples_pass_every_check(examples_dir: Path, with_facilitators: bool) -> None:
    problem = read_problem(
        examples_dir / "participants.csv",
        # history.csv names a facilitator, so it needs facilitators.csv.
        history=examples_dir / "history.csv" if with_facilitators else None,
        facilitators=examples_dir / "facilitators.csv" if with_facilitators else None,
        config=examples_dir / "program.toml",
    )
    assert presolve_checks(problem) == []
