"""pandas in and out: DataFrames read like files; to_frames gives the CSV tables."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from helpers import PARTICIPANT_HEADER, participant_lines
from peermatch import InputError, read_problem, to_frames, write_outputs
from peermatch.io import InputWarning
from peermatch.params import SolveParams
from peermatch.solution import Result, Solution, Status, Unassigned

Writer = Callable[..., Path]
LINES = [PARTICIPANT_HEADER, *participant_lines(8)]


def frame(lines: list[str], **kwargs: object) -> pd.DataFrame:
    return pd.read_csv(io.StringIO("\n".join(lines)), dtype=str, keep_default_na=False, **kwargs)


def problems_of(**tables: object) -> list[str]:
    with pytest.raises(InputError) as info:
        read_problem(**tables)  # type: ignore[arg-type]
    return [str(p) for p in info.value.problems]


def test_a_dataframe_reads_exactly_as_its_csv_file(write_file: Writer) -> None:
    lines = [PARTICIPANT_HEADER + ",Language", *(f"{line},fr" for line in participant_lines(8))]
    history = ["person_a,person_b,relation", "p0,p1,colleagues"]
    from_files = read_problem(write_file("p.csv", lines), history=write_file("h.csv", history))
    from_frames = read_problem(frame(lines), history=frame(history))
    assert from_frames.participants == from_files.participants
    assert from_frames.history == from_files.history
    assert from_frames.participants[0].attributes == {"language": "fr"}  # keys normalised


def test_typed_columns_become_the_text_a_csv_holds() -> None:
    people = frame(LINES)
    people["level"] = [2.0, 1.0, float("nan"), 3, 2, 2, 2, 2]  # a float column with a gap
    people["manager_id"] = [None, "p0", pd.NA, None, None, None, None, None]
    assert problems_of(participants=people) == [
        "participants (DataFrame):2:level: required value 'level' is blank"
    ]
    people.loc[2, "level"] = 1
    problem = read_problem(people)
    assert [p.level for p in problem.participants][:4] == [2, 1, 1, 3]
    assert problem.participants[1].manager_id == "p0"
    assert problem.participants[0].manager_id is None


def test_problems_name_the_table_and_the_index_label() -> None:
    people = frame(
        [*LINES, "p3,Again,again@x.org,O,2,,,,,", "p9,P9,not-an-email,O,Grand Poobah,,,,,"]
    )
    people.index = [f"r{i}" for i in range(len(people))]
    found = problems_of(participants=people)
    assert "participants (DataFrame):r8:id: duplicate id 'p3' (first at row 'r3')" in found
    assert any(
        p.startswith("participants (DataFrame):r9:level: unknown level title") for p in found
    )
    assert any(p.startswith("participants (DataFrame):r9:email:") for p in found)


def test_header_problems_have_no_row() -> None:
    people = frame(LINES)
    people["e_mail"] = people["email"]
    assert problems_of(participants=people) == [
        "participants (DataFrame)::e_mail: column 'e_mail' repeats column 'email' (both mean 'email')",
    ]
    assert problems_of(participants=frame(LINES).drop(columns=["email"])) == [
        "participants (DataFrame)::email: missing required column 'email' (also accepted: "
        "e-mail, e-mail address, email address, mail)"
    ]
    assert problems_of(participants=pd.DataFrame()) == [
        "participants (DataFrame)::: has no columns (expected the file's header names)"
    ]


def test_a_header_problem_is_not_mistaken_for_a_row_labelled_1() -> None:
    # Header problems of a file are on row 1; a DataFrame row labelled 1 is a row.
    people = frame(LINES)
    history = frame(["person_a,person_b", "p0,ghost", "p1,p2"])
    people.loc[1, "timezone"] = "Mars/Olympus"
    found = problems_of(participants=people, history=history)
    assert any(p.startswith("participants (DataFrame):1:timezone:") for p in found)
    assert any(
        "history (DataFrame):0:person_a" in p or "history (DataFrame):0:person_b" in p
        for p in found
    )


def test_every_table_accepts_a_dataframe() -> None:
    hosts = frame(["id,name,email,max_cohorts", "f1,F One,f1@x.org,2"])
    waves = [
        frame(["cohort_id,participant_id", "A,p0", "A,p1"]),
        frame(["cohort,participant", "B,p2", "B,p3"]),
    ]
    problem = read_problem(frame(LINES), facilitators=hosts, previous=waves)
    assert [f.max_cohorts for f in problem.facilitators] == [2]
    assert {(h.a, h.b, h.source) for h in problem.history} == {
        ("p0", "p1", "previous cohorts #1 (DataFrame)"),
        ("p2", "p3", "previous cohorts #2 (DataFrame)"),
    }
    bad = frame(["cohort_id,participant_id", "A,"])
    assert problems_of(participants=frame(LINES), previous=[bad]) == [
        "previous cohorts (DataFrame):0:participant_id: required value 'participant_id' is blank"
    ]


def test_an_empty_optional_dataframe_is_nothing_to_add() -> None:
    with pytest.warns(InputWarning, match=r"history \(DataFrame\)::: warning: has a header"):
        problem = read_problem(frame(LINES), history=pd.DataFrame(columns=["person_a", "person_b"]))
    assert problem.history == ()
    assert problems_of(participants=frame([PARTICIPANT_HEADER])) == [
        "participants (DataFrame)::: has a header but no data rows"
    ]


def test_anything_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="participants: expected a path or a pandas DataFrame"):
        read_problem([["p0"]])  # type: ignore[arg-type]


HOSTILE = '=HYPERLINK("http://evil.example","click")'


def test_to_frames_gives_the_csv_tables_with_raw_cells(tmp_path: Path) -> None:
    from peermatch.solvers.cpsat import solve

    people = frame(LINES)
    people.loc[7, "name"] = HOSTILE
    people["language"] = "fr"
    problem = read_problem(people)
    result = solve(problem, SolveParams(time_limit=5, seed=0, workers=1))
    assert result.solution is not None
    frames = to_frames(problem, result)
    write_outputs(tmp_path / "out", problem, result)
    for name in ("cohorts", "sessions", "unassigned"):
        table = getattr(frames, name)
        written = pd.read_csv(tmp_path / "out" / f"{name}.csv", dtype=str, keep_default_na=False)
        assert list(table.columns) == list(written.columns), name
        # Every cell but the hostile one (neutralised in the file) is the file's.
        safe = [c for c in table.columns if c != "name"]
        assert table[safe].values.tolist() == written[safe].values.tolist(), name
    assert list(frames.cohorts.columns) == [
        "cohort_id", "participant_id", "name", "email", "organisation", "level",
        "industry", "function", "language",
    ]  # fmt: skip
    assert HOSTILE in set(frames.cohorts["name"])  # a DataFrame keeps the raw value
    assert frames.changes is None
    assert frames.sessions["start"].iloc[0].startswith("2027-01-1")


def test_to_frames_takes_a_solution_and_changes() -> None:
    problem = read_problem(frame(LINES))
    solution = Solution(cohorts=(), unassigned=(Unassigned(participant_id="p1", reason="left"),))
    frames = to_frames(
        problem,
        solution,
        changes=[{"participant_id": "p1", "change": "left", "from_cohort": "C1", "reason": "left"}],
    )
    assert frames.cohorts.empty and list(frames.cohorts.columns)[:6] == [
        "cohort_id",
        "participant_id",
        "name",
        "email",
        "organisation",
        "level",
    ]
    assert frames.unassigned.values.tolist() == [["p1", "left"]]
    assert frames.changes is not None
    assert frames.changes.values.tolist() == [["p1", "left", "C1", "", "left"]]
    with pytest.raises(ValueError, match="no solution"):
        to_frames(problem, Result(status=Status.INFEASIBLE))
