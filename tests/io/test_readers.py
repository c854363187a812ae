"""Readers of participants, facilitators, history and earlier cohorts, file by file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import PARTICIPANT_HEADER, participant_lines
from peermatch.availability import parse_availability
from peermatch.errors import InputError
from peermatch.io import read_facilitators, read_history, read_participants, read_previous

Writer = Callable[..., Path]


def problems_of(call: Callable[[], object]) -> list[str]:
    with pytest.raises(InputError) as info:
        call()
    return [str(p) for p in info.value.problems]


def test_valid_participants_with_aliases_extra_columns_and_defaults(write_file: Writer) -> None:
    path = write_file(
        "people.csv",
        [
            "Participant ID,Full Name,E-mail,Employer,Seniority,Sector,Dept,Reports To,TZ,Availability,Language",
            'a1,"García, Ana",ana@x.org,Acme,Senior manager,Banking,HR,boss-9,Europe/Madrid,Mon-Fri 9-17,es',
            "a2,Zoë,zoe@y.org,Globex,3,,,,,,",
        ],
    )
    a, b = read_participants(path)
    assert (a.id, a.name, a.organisation, a.level, a.level_label) == (
        "a1",
        "García, Ana",
        "Acme",
        3,
        "Senior Manager",
    )
    assert (a.industry, a.function, a.manager_id, a.timezone) == (
        "Banking",
        "HR",
        "boss-9",
        "Europe/Madrid",
    )
    assert a.availability == parse_availability("Mon-Fri 09:00-17:00")
    assert a.attributes == {"language": "es"}
    assert (b.industry, b.function, b.manager_id, b.timezone, b.availability) == (None,) * 5
    assert (b.level, b.level_label) == (3, None)  # an integer is not a title
    assert b.attributes == {"language": ""}  # the column exists, the cell is blank


def test_program_ladder_is_used_for_titles(write_file: Writer) -> None:
    path = write_file("p.csv", [PARTICIPANT_HEADER, "a,A,a@x.org,O,associate,,,,,"])
    assert read_participants(path, ladder=["Principal", "Associate"])[0].level == 2
    assert "unknown level title 'associate'" in problems_of(lambda: read_participants(path))[0]


@pytest.mark.parametrize(
    ("line", "column", "needle"),
    [
        ("p1,Dup,dup@x.org,Org X,2,,,,,", "id", "duplicate id 'p1' (first at row 3)"),
        (",Nobody,n@x.org,Org X,2,,,,,", "id", "required value 'id' is blank"),
        ("x,,n@x.org,Org X,2,,,,,", "name", "required value 'name' is blank"),
        ("x,X,,Org X,2,,,,,", "email", "required value 'email' is blank"),
        ("x,X,not-mail,Org X,2,,,,,", "email", "'not-mail' is not an e-mail address"),
        ("x,X,x@x.org,Org X,Wizard,,,,,", "level", "unknown level title 'Wizard'"),
        ("x,X,x@x.org,Org X,0,,,,,", "level", "level 0 is outside the ladder"),
        (
            "x,X,x@x.org,Org X,2,,,,Europe/Atlantis,",
            "timezone",
            "'Europe/Atlantis' is not an IANA time zone",
        ),
        ("x,X,x@x.org,Org X,2,,,,,Mon 17:00-09:00", "availability", "ends before it starts"),
        ("x,X,x@x.org,Org X,2,,,,,Mondays from nine", "availability", "is not of the form"),
        ("x,X,x@x.org,Org X,2,,,x,,", "manager_id", "x is their own manager"),
    ],
)
def test_each_bad_participant_cell_is_reported_with_row_and_column(
    write_file: Writer, line: str, column: str, needle: str
) -> None:
    rows = participant_lines(3)
    path = write_file("participants.csv", [PARTICIPANT_HEADER, *rows, line])
    found = problems_of(lambda: read_participants(path))
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:5:{column}: ")
    assert needle in found[0]


def test_manager_cycle_is_reported_once_on_the_first_member(write_file: Writer) -> None:
    path = write_file(
        "p.csv",
        [
            PARTICIPANT_HEADER,
            "a,A,a@x.org,O,2,,,c,,",
            "b,B,b@x.org,O,2,,,a,,",
            "c,C,c@x.org,O,2,,,b,,",
        ],
    )
    assert problems_of(lambda: read_participants(path)) == [
        f"{path}:2:manager_id: reporting lines form a cycle: a -> c -> b -> a"
    ]


def test_missing_required_column_is_reported_once_not_per_row(write_file: Writer) -> None:
    path = write_file("p.csv", ["id,name,organisation,level", "a,A,O,2", "b,B,O,2"])
    assert problems_of(lambda: read_participants(path)) == [
        f"{path}:1:email: missing required column 'email' (also accepted: e-mail, e-mail address, "
        "email address, mail)"
    ]


def test_every_problem_of_a_file_is_listed(write_file: Writer) -> None:
    path = write_file(
        "p.csv",
        [
            PARTICIPANT_HEADER,
            "a,A,a@x.org,O,Wizard,,,,Mars/Base,",
            "a,B,bad,O,2,,,,,Mon 9-8",
            "c,C,c@x.org,O",
        ],
    )
    found = problems_of(lambda: read_participants(path))
    assert [f.split(": ")[0] for f in found] == [
        f"{path}:2:level",
        f"{path}:2:timezone",
        f"{path}:3:availability",
        f"{path}:3:email",
        f"{path}:3:id",  # a row with other problems still counts for duplicate ids
        f"{path}:4:",
    ]


def test_facilitators(write_file: Writer) -> None:
    path = write_file(
        "f.csv",
        [
            "ID,Name,Email,Company,TZ,Availability,Max Cohorts",
            "f1,Ann,ann@c.org,,Europe/Paris,Tue-Thu 09:00-17:00,3",
            "f2,Bob,bob@c.org,Coaching Co,,,",
        ],
    )
    f1, f2 = read_facilitators(path)
    assert (f1.organisation, f1.max_cohorts, f1.timezone) == (None, 3, "Europe/Paris")
    assert (f2.organisation, f2.max_cohorts, f2.availability) == ("Coaching Co", 1, None)
    bad = write_file(
        "g.csv",
        ["id,name,email,max_cohorts", "f1,A,a@c.org,two", "f2,B,b@c.org,-1", "f1,C,c@c.org,1"],
    )
    assert problems_of(lambda: read_facilitators(bad)) == [
        f"{bad}:2:max_cohorts: must be a whole number, not 'two'",
        f"{bad}:3:max_cohorts: must be at least 0, not '-1'",
        f"{bad}:4:id: duplicate facilitator id 'f1'",
    ]


def test_history(write_file: Writer) -> None:
    path = write_file(
        "h.csv", ["Person A,Person_B,Relation,Notes", "a,b,former colleagues,x", "c,d,,"]
    )
    ab, cd = read_history(path)
    assert (ab.a, ab.b, ab.relation, ab.source) == ("a", "b", "former colleagues", "history")
    assert cd.relation == "shared history"
    bad = write_file("h2.csv", ["person_a,relation", "a,x", ",y"])
    assert problems_of(lambda: read_history(bad)) == [
        f"{bad}:1:person_b: missing required column 'person_b' (also accepted: b, id b, "
        "participant b, person 2)",
        f"{bad}:3:person_a: required value 'person_a' is blank",
    ]


def test_previous_cohorts_link_every_pair_of_present_cohort_mates(write_file: Writer) -> None:
    path = write_file(
        "wave1/cohorts.csv",
        [
            "cohort_id,participant_id,name,email,organisation,level",
            "C1,a,A,a@x.org,O,2",
            "C1,b,B,b@x.org,O,2",
            "C1,gone,G,g@x.org,O,2",
            "C1,c,C,c@x.org,O,2",
            "C2,d,D,d@x.org,O,2",
            "C2,e,E,e@x.org,O,2",
        ],
    )
    links = read_previous(path, known_ids={"a", "b", "c", "d"})
    assert {(h.a, h.b) for h in links} == {("a", "b"), ("a", "c"), ("b", "c")}
    assert {h.relation for h in links} == {"earlier cohort C1"}
    assert {h.source for h in links} == {str(path)}
    assert len(read_previous(path)) == 6 + 1  # without known ids: C1 has 4 members, C2 two


def test_previous_cohorts_need_their_two_columns(write_file: Writer) -> None:
    path = write_file("cohorts.csv", ["cohort,name", "C1,A"])
    assert problems_of(lambda: read_previous(path)) == [
        f"{path}:1:participant_id: missing required column 'participant_id' (also accepted: "
        "participant, person id)"
    ]
