"""The domain model: field rules, cross-references, and serialisation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from pydantic import ValidationError

from helpers import make_participant
from peermatch.model import (
    CohortRules,
    DateRange,
    Facilitator,
    HistoryLink,
    ProblemData,
    ProgramConfig,
    ProgramInfo,
    ScheduleRules,
    check_references,
)
from strategies import problems


@settings(max_examples=60)
@given(problems())
def test_problem_survives_a_json_round_trip(problem: ProblemData) -> None:
    again = ProblemData.model_validate_json(problem.model_dump_json())
    assert again == problem


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("email", "not-an-address", "not an e-mail address"),
        ("name", "   ", "must not be blank"),
        ("timezone", "Europe/Atlantis", "not an IANA time zone"),
        ("level", 0, "greater than or equal"),
    ],
)
def test_participant_field_rules(field: str, value: object, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        make_participant("a", **{field: value})


def test_blank_optional_fields_become_none_and_attributes_are_normalised() -> None:
    p = make_participant("a", industry="  ", manager_id="", attributes={"Spoken Language": " fr "})
    assert p.industry is None and p.manager_id is None
    assert p.attributes == {"spokenlanguage": "fr"}
    assert p.attribute("spoken_language") == "fr"
    assert p.attribute("level") == "2"


def test_check_references_finds_every_cross_reference_problem() -> None:
    people = [
        make_participant("a", manager_id="b"),
        make_participant("b", manager_id="a"),  # a <-> b cycle
        make_participant("c", manager_id="c"),  # own manager
        make_participant("a"),  # duplicate
        make_participant("d", level=9),
    ]
    hosts = [Facilitator(id="c", name="F", email="f@x.org")]
    history = [HistoryLink(a="a", b="zz"), HistoryLink(a="d", b="d")]
    config = ProgramConfig(cohort=CohortRules(levels=("L1", "L2")), diversity={"language": 1.0})
    issues = check_references(people, hosts, history, config)
    found = {(i.entity, i.index, i.field) for i in issues}
    assert ("participant", 3, "id") in found
    assert ("participant", 2, "manager_id") in found
    assert any(i.field == "manager_id" and "cycle" in i.message for i in issues)
    assert ("facilitator", 0, "id") in found  # also a participant's id
    assert ("history", 0, "person_b") in found
    assert ("history", 1, "person_b") in found  # names d twice
    assert ("participant", 4, "level") in found
    assert ("config", None, "diversity.language") in found
    with pytest.raises(ValidationError):
        ProblemData(participants=people, facilitators=hosts, history=history, config=config)


def test_external_managers_and_facilitator_history_are_allowed() -> None:
    people = [make_participant("a", manager_id="outside"), make_participant("b", manager_id="a")]
    hosts = [Facilitator(id="f", name="F", email="f@x.org")]
    problem = ProblemData(
        participants=people, facilitators=hosts, history=[HistoryLink(a="f", b="b")]
    )
    assert problem.index == {"a": 0, "b": 1}
    assert problem.timezone_of(people[0]) == "Europe/London"


@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (lambda: CohortRules(min_size=9, max_size=8, target_size=8), "larger than max_size"),
        (lambda: CohortRules(target_size=20), "target_size"),
        (lambda: ProgramConfig(diversity={"industry": -1}), "must be a number >= 0"),
        (lambda: ScheduleRules(blackout_dates=["2027-05-02..2027-05-01"]), "ends before it starts"),
        (lambda: ScheduleRules(blackout_dates=["02/05/2027"]), "is not a date"),
        (lambda: ScheduleRules(sessions=2, topics=("a", "b", "c")), "3 topics for 2 sessions"),
        (lambda: ProgramInfo(id="has spaces"), "may hold only letters"),
    ],
)
def test_config_rules(build: object, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        build()  # type: ignore[operator]


def test_blackout_ranges_and_replace() -> None:
    rules = ScheduleRules(blackout_dates=["2027-04-02", "2027-12-20..2028-01-03"])
    assert rules.is_blackout(date(2028, 1, 1)) and not rules.is_blackout(date(2027, 4, 3))
    assert DateRange.parse("2027-04-02") == DateRange(first=date(2027, 4, 2), last=date(2027, 4, 2))
    problem = ProblemData(participants=[make_participant(f"p{i}") for i in range(3)])
    smaller = problem.replace(config=ProgramConfig(cohort=CohortRules(min_size=2, target_size=2)))
    assert smaller.config.cohort.min_size == 2 and problem.config.cohort.min_size == 7
    with pytest.raises(TypeError):
        problem.replace(nonsense=1)
