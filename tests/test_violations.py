"""The independent checker: silent on a sound solution, each rule label fires when broken.

A small program (two cohorts of three, two weekly sessions, one blackout
date) is solved by hand; every test breaks one thing in the problem or the
solution and expects that rule's label, naming the cohort and people.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpers import make_participant
from peermatch.availability import parse_availability
from peermatch.model import (
    CohortRules,
    Facilitator,
    HistoryLink,
    Participant,
    ProblemData,
    ProgramConfig,
    ScheduleRules,
)
from peermatch.schedule import Slot, session_times
from peermatch.solution import Cohort, Solution, Unassigned
from peermatch.violations import RULES, Violation, anchor_zone, violations

SCHEDULE = ScheduleRules(
    start_date="2027-01-11",
    cadence_weeks=1,
    sessions=2,
    duration_minutes=60,
    blackout_dates=["2027-01-18"],  # session 2 moves to Jan 25
)
CONFIG = ProgramConfig(
    cohort=CohortRules(min_size=3, max_size=4, target_size=3, max_level_gap=1),
    similarity=("language",),
    schedule=SCHEDULE,
)
MONDAY = Slot(zone="Europe/London", weekday=0, start_minute=600)
TUESDAY = Slot(zone="Europe/London", weekday=1, start_minute=600)


def person(pid: str, **kw: object) -> Participant:
    return make_participant(pid, **{"attributes": {"language": "English"}, **kw})


PEOPLE = tuple(person(p) for p in ("a1", "a2", "a3", "b1", "b2", "b3"))
HOSTS = (
    Facilitator(id="f1", name="F1", email="f1@coach.org", organisation="Coach"),
    Facilitator(id="f2", name="F2", email="f2@coach.org"),
)
PROBLEM = ProblemData(participants=PEOPLE, facilitators=HOSTS, config=CONFIG)


def cohort(
    cid: str, members: tuple[str, ...], slot: Slot | None = MONDAY, fac: str | None = None
) -> Cohort:
    return Cohort(
        id=cid,
        members=members,
        slot=slot,
        facilitator_id=fac,
        sessions=session_times(SCHEDULE, slot) if slot is not None else (),
    )


A = cohort("A", ("a1", "a2", "a3"), fac="f1")
B = cohort("B", ("b1", "b2", "b3"), fac="f2")
GOOD = Solution(cohorts=(A, B))


def found(problem: ProblemData, solution: Solution) -> list[Violation]:
    return list(violations(problem, solution))


def with_people(**changes: dict[str, object]) -> ProblemData:
    """PROBLEM with some participants' fields changed."""
    people = tuple(p.model_copy(update=changes.get(p.id, {})) for p in PEOPLE)
    return PROBLEM.replace(participants=people)


def rules_of(vs: list[Violation]) -> set[str]:
    return {v.rule for v in vs}


def test_a_sound_solution_has_no_violation() -> None:
    assert found(PROBLEM, GOOD) == []
    # The blackout really moved session 2, and that is sound.
    assert A.sessions[1].moved_from is not None
    assert A.sessions[1].start.date() == A.sessions[0].start.date() + timedelta(weeks=2)


def test_every_label_is_documented() -> None:
    assert set(RULES) == {
        "assignment", "size", "organisation", "neutrality", "level", "similarity",
        "schedule", "blackout", "availability", "facilitator", "lock", "together",
        "limits", "presence", "required", "closeness",
    }  # fmt: skip
    assert str(Violation("size", "2 members", "A")) == "[size] cohort A: 2 members"


# --- assignment and cohort rules --------------------------------------------------------


def test_assignment() -> None:
    missing = Solution(cohorts=(A, cohort("B", ("b1", "b2"), fac="f2")))
    vs = found(PROBLEM, missing)
    assert ("assignment", ("b3",)) in {(v.rule, v.people) for v in vs}
    twice = Solution(cohorts=(A, cohort("B", ("b1", "b2", "b3", "a1"), fac="f2")))
    assert any(v.rule == "assignment" and v.people == ("a1",) for v in found(PROBLEM, twice))
    stranger = Solution(cohorts=(A, cohort("B", ("b1", "b2", "b3", "zz"), fac="f2")))
    assert any(v.rule == "assignment" and "zz" in v.message for v in found(PROBLEM, stranger))
    both = GOOD.model_copy(update={"unassigned": (Unassigned(participant_id="a1", reason="x"),)})
    assert rules_of(found(PROBLEM, both)) == {"assignment"}
    dup = Solution(cohorts=(A, B.model_copy(update={"id": "A"})))
    assert "assignment" in rules_of(found(PROBLEM, dup))


def test_size() -> None:
    small = Solution(
        cohorts=(
            cohort("A", ("a1", "a2"), fac="f1"),
            cohort("B", ("a3", "b1", "b2", "b3"), fac="f2"),
        )
    )
    vs = found(PROBLEM, small)
    assert [(v.rule, v.cohort) for v in vs] == [("size", "A")]


def test_organisation() -> None:
    problem = with_people(a2={"organisation": "Org a1"})
    vs = found(problem, GOOD)
    assert [(v.rule, v.cohort, v.people) for v in vs] == [("organisation", "A", ("a1", "a2"))]
    allowed = problem.replace(
        config=CONFIG.model_copy(
            update={"cohort": CONFIG.cohort.model_copy(update={"max_per_organisation": 2})}
        )
    )
    assert found(allowed, GOOD) == []


def test_neutrality_from_history() -> None:
    problem = PROBLEM.replace(history=(HistoryLink(a="a3", b="a1", relation="former colleagues"),))
    vs = found(problem, GOOD)
    assert [(v.rule, v.cohort, v.people) for v in vs] == [("neutrality", "A", ("a1", "a3"))]
    assert "former colleagues" in vs[0].message


def test_neutrality_from_a_transitive_reporting_line_through_another_cohort() -> None:
    # a1 reports to b1 (cohort B), who reports to a3: a1 and a3 are in one line.
    problem = with_people(a1={"manager_id": "b1"}, b1={"manager_id": "a3"})
    vs = found(problem, GOOD)
    assert [(v.rule, v.cohort, v.people) for v in vs] == [("neutrality", "A", ("a1", "a3"))]
    assert "reports to a3" in vs[0].message


def test_neutrality_of_a_manager_outside_the_program_and_siblings() -> None:
    # a1 and a2 share a line manager who is not a participant: they are a team.
    problem = with_people(a1={"manager_id": "EXT-7"}, a2={"manager_id": "EXT-7"})
    vs = found(problem, GOOD)
    assert [(v.rule, v.people) for v in vs] == [("neutrality", ("a1", "a2"))]
    assert "same line manager (EXT-7)" in vs[0].message
    # An outside manager of one person alone links nobody.
    assert found(with_people(a1={"manager_id": "EXT-7"}), GOOD) == []


def test_level() -> None:
    vs = found(with_people(a3={"level": 4}), GOOD)
    assert [(v.rule, v.cohort, v.people) for v in vs] == [("level", "A", ("a1", "a3"))]
    # A gap of exactly max_level_gap is fine.
    assert found(with_people(a3={"level": 3}), GOOD) == []


def test_similarity() -> None:
    vs = found(with_people(b2={"attributes": {"language": "French"}}), GOOD)
    assert [(v.rule, v.cohort) for v in vs] == [("similarity", "B")]
    blank = found(with_people(b2={"attributes": {}}), GOOD)
    assert [(v.rule, v.cohort) for v in blank] == [("similarity", "B")]


# --- schedule, blackout, availability --------------------------------------------------


def test_schedule_wrong_anchor_zone() -> None:
    # 05:00 New York is 10:00 London in January: the same instants, anchored wrongly
    # (the members all live in the program's zone).
    ny = cohort("A", A.members, Slot(zone="America/New_York", weekday=0, start_minute=300), "f1")
    assert [s.start for s in ny.sessions] == [s.start for s in A.sessions]
    vs = found(PROBLEM, Solution(cohorts=(ny, B)))
    assert [(v.rule, v.cohort) for v in vs] == [("schedule", "A")]
    assert "expected Europe/London" in vs[0].message


def test_anchor_zone_of_a_cohort_living_elsewhere() -> None:
    everyone_in_ny = with_people(
        **{p: {"timezone": "America/New_York"} for p in ("b1", "b2", "b3")}
    )
    assert anchor_zone(everyone_in_ny, ["b1", "b2", "b3"]) == "America/New_York"
    assert anchor_zone(everyone_in_ny, ["a1", "b1"]) == "Europe/London"
    vs = found(everyone_in_ny, GOOD)
    assert ("schedule", "B") in {(v.rule, v.cohort) for v in vs}


def test_schedule_wrong_or_missing_sessions() -> None:
    shifted = A.model_copy(update={"sessions": session_times(SCHEDULE, TUESDAY)})
    assert "schedule" in rules_of(found(PROBLEM, Solution(cohorts=(shifted, B))))
    short = A.model_copy(update={"sessions": A.sessions[:1]})
    vs = found(PROBLEM, Solution(cohorts=(short, B)))
    assert [(v.rule, v.cohort) for v in vs] == [("schedule", "A")]
    assert "1 sessions, expected 2" in vs[0].message
    no_slot = A.model_copy(update={"slot": None, "sessions": ()})
    assert [v.rule for v in found(PROBLEM, Solution(cohorts=(no_slot, B)))] == ["schedule"]


def test_blackout() -> None:
    # Sessions as if there were no blackout: session 2 sits on 2027-01-18.
    unmoved = session_times(SCHEDULE.model_copy(update={"blackout_dates": ()}), MONDAY)
    bad = A.model_copy(update={"sessions": unmoved})
    vs = found(PROBLEM, Solution(cohorts=(bad, B)))
    assert ("blackout", "A") in {(v.rule, v.cohort) for v in vs}
    assert any("2027-01-18" in v.message for v in vs if v.rule == "blackout")


def test_blackout_that_makes_the_series_impossible() -> None:
    # A blackout for the rest of the year: session 2 cannot move within 26 weeks.
    swallowed = ScheduleRules.model_validate(
        {**SCHEDULE.model_dump(), "blackout_dates": ["2027-01-18..2027-12-31"]}
    )
    problem = PROBLEM.replace(config=CONFIG.model_copy(update={"schedule": swallowed}))
    vs = found(problem, GOOD)
    assert {(v.rule, v.cohort) for v in vs} == {("blackout", "A"), ("blackout", "B")}


def test_availability_names_the_person() -> None:
    vs = found(with_people(a3={"availability": parse_availability("Tue 09:00-17:00")}), GOOD)
    assert [(v.rule, v.cohort, v.people) for v in vs] == [("availability", "A", ("a3",))]
    # In their own zone: a New Yorker free 05:00-06:00 attends 10:00-11:00 London in January.
    ny = {"timezone": "America/New_York", "availability": parse_availability("Mon 05:00-06:00")}
    assert found(with_people(a3=ny), GOOD) == []
    late = {"timezone": "America/New_York", "availability": parse_availability("Mon 06:00-07:00")}
    assert [v.people for v in found(with_people(a3=late), GOOD)] == [("a3",)]


# --- facilitators ------------------------------------------------------------------------


def fac_violations(
    problem: ProblemData, solution: Solution
) -> list[tuple[str | None, tuple[str, ...]]]:
    vs = found(problem, solution)
    assert rules_of(vs) <= {"facilitator"}, vs
    return [(v.cohort, v.people) for v in vs]


def test_facilitator_missing_or_unknown() -> None:
    missing = Solution(cohorts=(A.model_copy(update={"facilitator_id": None}), B))
    assert fac_violations(PROBLEM, missing) == [("A", ())]
    unknown = Solution(cohorts=(A.model_copy(update={"facilitator_id": "f9"}), B))
    assert fac_violations(PROBLEM, unknown) == [("A", ())]
    none_in_program = PROBLEM.replace(facilitators=())
    assert fac_violations(none_in_program, GOOD) == [("A", ()), ("B", ())]
    assert (
        found(
            none_in_program,
            Solution(
                cohorts=(
                    A.model_copy(update={"facilitator_id": None}),
                    B.model_copy(update={"facilitator_id": None}),
                )
            ),
        )
        == []
    )


def test_facilitator_from_a_members_organisation() -> None:
    problem = with_people(a2={"organisation": "Coach"})
    assert fac_violations(problem, GOOD) == [("A", ("f1", "a2"))]


def test_facilitator_with_history() -> None:
    problem = PROBLEM.replace(history=(HistoryLink(a="f2", b="b3", relation="client/supplier"),))
    vs = found(problem, GOOD)
    assert [(v.rule, v.cohort, v.people) for v in vs] == [("facilitator", "B", ("f2", "b3"))]
    assert "client/supplier" in vs[0].message


def test_facilitator_not_free() -> None:
    busy = (
        HOSTS[0].model_copy(update={"availability": parse_availability("Tue 09:00-17:00")}),
        HOSTS[1],
    )
    assert fac_violations(PROBLEM.replace(facilitators=busy), GOOD) == [("A", ("f1",))]


def test_facilitator_over_capacity() -> None:
    # f1 (max_cohorts 1) leads both cohorts, on different days: only the capacity is broken.
    both = Solution(cohorts=(A, cohort("B", B.members, TUESDAY, "f1")))
    assert fac_violations(PROBLEM, both) == [(None, ("f1",))]
    roomy = (HOSTS[0].model_copy(update={"max_cohorts": 2}), HOSTS[1])
    assert found(PROBLEM.replace(facilitators=roomy), both) == []


def test_facilitator_double_booked() -> None:
    roomy = PROBLEM.replace(facilitators=(HOSTS[0].model_copy(update={"max_cohorts": 2}), HOSTS[1]))
    same_time = Solution(cohorts=(A, B.model_copy(update={"facilitator_id": "f1"})))
    vs = found(roomy, same_time)
    assert {v.rule for v in vs} == {"facilitator"}
    assert all("two sessions at once" in v.message for v in vs)
    assert len(vs) == 2  # each of the two sessions clashes
    # Half an hour later still overlaps a 60-minute session.
    later = cohort("B", B.members, Slot(zone="Europe/London", weekday=0, start_minute=630), "f1")
    assert len(found(roomy, Solution(cohorts=(A, later)))) == 2
    # Back to back does not.
    after = cohort("B", B.members, Slot(zone="Europe/London", weekday=0, start_minute=660), "f1")
    assert found(roomy, Solution(cohorts=(A, after))) == []


@pytest.mark.parametrize("offset", [1, 2])
def test_staggered_weeks_do_not_clash(offset: int) -> None:
    roomy = PROBLEM.replace(
        facilitators=(HOSTS[0].model_copy(update={"max_cohorts": 2}), HOSTS[1]),
        config=CONFIG.model_copy(
            update={"schedule": SCHEDULE.model_copy(update={"cadence_weeks": 3})}
        ),
    )
    rules = roomy.config.schedule
    a = A.model_copy(update={"sessions": session_times(rules, MONDAY)})
    slot = MONDAY.model_copy(update={"week_offset": offset})
    b = Cohort(
        id="B",
        members=B.members,
        slot=slot,
        facilitator_id="f1",
        sessions=session_times(rules, slot),
    )
    assert found(roomy, Solution(cohorts=(a, b))) == []
