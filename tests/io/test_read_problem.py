"""read_problem: all files together, cross-references mapped back to file:row:column."""

from __future__ import annotations

import csv
import io
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import PARTICIPANT_HEADER, participant_lines
from peermatch.availability import format_availability
from peermatch.errors import InputError
from peermatch.io import InputWarning, read_problem
from peermatch.model import ProblemData
from strategies import problems

Writer = Callable[..., Path]


def problems_of(call: Callable[[], object]) -> list[str]:
    with pytest.raises(InputError) as info:
        call()
    return [str(p) for p in info.value.problems]


def test_reads_the_examples(examples_dir: Path) -> None:
    problem = read_problem(
        examples_dir / "participants.csv",
        history=examples_dir / "history.csv",
        facilitators=examples_dir / "facilitators.csv",
        config=examples_dir / "program.toml",
    )
    assert len(problem.participants) == 120
    assert len({p.organisation for p in problem.participants}) == 30
    assert len(problem.facilitators) == 6
    assert any("," in p.name for p in problem.participants)
    assert any(not p.name.isascii() for p in problem.participants)
    assert any(p.availability is None for p in problem.participants)
    assert {p.attributes["language"] for p in problem.participants} >= {"English", "French"}
    assert any(h.a.startswith("F") for h in problem.history)  # a facilitator's history


def test_every_problem_across_all_files_at_once(write_file: Writer) -> None:
    people = write_file(
        "in/participants.csv",
        [PARTICIPANT_HEADER, *participant_lines(8), "p1,Again,a@x.org,O,2,,,,,"],
    )
    history = write_file(
        "in/history.csv", ["person_a,person_b", "p0,p1", "p0,ghost", "p2,p2", "f1,p3"]
    )
    hosts = write_file("in/facilitators.csv", ["id,name,email", "f1,F,f@x.org", "p4,Clash,c@x.org"])
    config = write_file(
        "in/program.toml",
        "[cohort]\nmin_size = 3\ntarget_size = 3\n\n[diversity]\nlanguage = 1.0\n",
    )
    found = problems_of(
        lambda: read_problem(people, history=history, facilitators=hosts, config=config)
    )
    assert found == [
        f"{hosts}:3:id: facilitator id 'p4' is also a participant's id",
        f"{history}:3:person_b: 'ghost' is neither a participant nor a facilitator",
        f"{history}:4:person_b: names 'p2' twice (a person cannot share history with themself)",
        f"{people}:10:id: duplicate id 'p1' (first at row 3)",
        f"{config}:6:diversity.language: 'language' is not a column of participants",
    ]


def test_file_names_are_reported_as_given(
    write_file: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_file("participants.csv", [PARTICIPANT_HEADER, "a,A,a@x.org,O,Wizard,,,,,"])
    monkeypatch.chdir(path.parent)
    assert problems_of(lambda: read_problem("participants.csv"))[0].startswith(
        "participants.csv:2:level: unknown level title 'Wizard'"
    )


def test_config_ladder_applies_even_when_the_config_has_other_problems(write_file: Writer) -> None:
    people = write_file("p.csv", [PARTICIPANT_HEADER, "a,A,a@x.org,O,Rookie,,,,,"])
    config = write_file("c.toml", '[cohort]\nlevels = ["Rookie", "Veteran"]\nmin_size = 99\n')
    found = problems_of(lambda: read_problem(people, config=config))
    assert len(found) == 1 and found[0].startswith(f"{config}:1:cohort: ")
    ok = write_file("ok.toml", '[cohort]\nlevels = ["Rookie", "Veteran"]\n')
    assert read_problem(people, config=ok).participants[0].level_label == "Rookie"


def test_invalid_rows_do_not_cause_false_reference_problems(write_file: Writer) -> None:
    people = write_file(
        "p.csv", [PARTICIPANT_HEADER, *participant_lines(3), "x,X,bad-mail,O,2,,,,,"]
    )
    history = write_file("h.csv", ["person_a,person_b", "p0,x"])
    found = problems_of(lambda: read_problem(people, history=history))
    assert found == [f"{people}:5:email: 'bad-mail' is not an e-mail address"]


def test_previous_cohorts_become_history(write_file: Writer) -> None:
    people = write_file("p.csv", [PARTICIPANT_HEADER, *participant_lines(4)])
    hosts = write_file("f.csv", ["id,name,email", "f1,F,f@x.org"])
    wave1 = write_file(
        "wave1/cohorts.csv",
        ["cohort_id,participant_id", "A,p0", "A,p1", "A,left-us", "B,p2", "B,f1"],
    )
    wave2 = write_file("wave2/cohorts.csv", ["participant_id,cohort_id", "p0,A", "p3,A"])
    problem = read_problem(people, facilitators=hosts, previous=[wave1, wave2])
    assert {(h.a, h.b, h.relation, h.source) for h in problem.history} == {
        ("p0", "p1", "earlier cohort A", str(wave1)),
        ("p2", "f1", "earlier cohort B", str(wave1)),
        ("p0", "p3", "earlier cohort A", str(wave2)),
    }


def test_cp1252_participants_are_read_with_a_warning(write_file: Writer) -> None:
    text = "\n".join([PARTICIPANT_HEADER, "a,Zoë Müller,z@x.org,Société,2,,,,,"]) + "\n"
    path = write_file("p.csv", text.encode("cp1252"))
    with pytest.warns(InputWarning, match="Windows-1252"):
        problem = read_problem(path)
    assert problem.participants[0].name == "Zoë Müller"


COLUMNS = [*PARTICIPANT_HEADER.split(","), "language"]


def to_csv(problem: ProblemData, order: list[int]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in order:
        p = problem.participants[i]
        writer.writerow(
            [
                p.id, p.name, p.email, p.organisation, p.level, p.industry or "", p.function or "",
                p.manager_id or "", p.timezone or "",
                format_availability(p.availability) if p.availability else "",
                p.attributes["language"],
            ]
        )  # fmt: skip
    return out.getvalue()


@settings(max_examples=25, deadline=None)
@given(problems(max_participants=10), st.randoms(use_true_random=False))
def test_shuffled_rows_give_the_same_problem_up_to_order(
    problem: ProblemData, rng: random.Random
) -> None:
    order = list(range(len(problem.participants)))
    shuffled = order[:]
    rng.shuffle(shuffled)
    links = [f"{h.a},{h.b},{h.relation}" for h in problem.history]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "a.csv").write_text(to_csv(problem, order), encoding="utf-8")
        (folder / "b.csv").write_text(to_csv(problem, shuffled), encoding="utf-8")
        (folder / "ha.csv").write_text("\n".join(["person_a,person_b,relation", *links]) + "\n")
        rng.shuffle(links)
        (folder / "hb.csv").write_text("\n".join(["person_a,person_b,relation", *links]) + "\n")
        extra = {}
        if problem.facilitators:
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(["id", "name", "email", "max_cohorts"])
            writer.writerows([f.id, f.name, f.email, f.max_cohorts] for f in problem.facilitators)
            (folder / "f.csv").write_text(out.getvalue(), encoding="utf-8")
            extra["facilitators"] = folder / "f.csv"
        history = {"history": folder / "ha.csv"} if links else {}
        first = read_problem(folder / "a.csv", **history, **extra)
        history = {"history": folder / "hb.csv"} if links else {}
        second = read_problem(folder / "b.csv", **history, **extra)

    def key(p: ProblemData) -> tuple[object, ...]:
        return (
            sorted(p.participants, key=lambda x: x.id),
            sorted(p.history, key=lambda h: (h.a, h.b, h.relation)),
        )

    assert key(first) == key(second)
    assert {p.id: p.availability for p in first.participants} == {
        p.id: p.availability for p in problem.participants
    }
    assert {p.id: (p.name, p.organisation, p.manager_id) for p in first.participants} == {
        p.id: (p.name, p.organisation, p.manager_id) for p in problem.participants
    }


@pytest.mark.parametrize(
    "lines",
    [[PARTICIPANT_HEADER], ["name,email,organisation,level", "A,a@x.org,O,2"]],
    ids=["header only", "no id column"],
)
def test_an_unreadable_people_list_does_not_flood_references(
    write_file: Writer, lines: list[str]
) -> None:
    people = write_file("p.csv", lines)
    history = write_file("h.csv", ["person_a,person_b", "p0,p1", "p2,p3"])
    config = write_file("c.toml", "[diversity]\nlanguage = 1\n")
    found = problems_of(lambda: read_problem(people, history=history, config=config))
    assert len(found) == 1 and found[0].startswith(f"{people}:"), found
