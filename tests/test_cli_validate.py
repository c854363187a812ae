"""`peermatch validate`: exit status, problems on stderr, summary on stdout."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers import PARTICIPANT_HEADER, participant_lines
from peermatch.cli import main

Writer = Callable[..., Path]
GOOD = [PARTICIPANT_HEADER, *participant_lines(8)]


def validate(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, ["validate", *map(str, args)])
    # Never a traceback: the only exception allowed is click's own SystemExit.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_examples_are_valid(examples_dir: Path) -> None:
    d = examples_dir
    result = validate(
        d / "participants.csv",
        "--history", d / "history.csv",
        "--facilitators", d / "facilitators.csv",
        "--config", d / "program.toml",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("120 participants from 30 organisations, 6 facilitators")
    for title in ("organisation", "level", "industry", "function", "time zone"):
        assert f"by {title}:" in result.stdout
    assert "  5  America/New_York" in result.stdout
    assert "input is valid" in result.stdout
    assert result.stderr == ""


def test_previous_cohorts_option(write_file: Writer) -> None:
    # 16 people: with 8, one cohort holds everyone and no earlier pair could part (proven
    # infeasible by the later-wave checks).
    people = write_file("p.csv", [PARTICIPANT_HEADER, *participant_lines(16)])
    wave = write_file("cohorts.csv", ["cohort_id,participant_id", "A,p0", "A,p1", "B,p2", "B,p3"])
    result = validate(people, "--previous", wave, "--previous", wave)
    assert result.exit_code == 0, result.stderr
    assert "4 history links" in result.stdout  # two per file, each file counted


BAD_PARTICIPANTS = [
    ("duplicate id", [*GOOD, "p3,Again,again@x.org,O,2,,,,,"], ":10:id: duplicate id 'p3'"),
    ("missing column", ["id,name,organisation,level", "a,A,O,2"], ":1:email: missing required column 'email'"),
    ("blank cell", [*GOOD, "p9,P9,p9@x.org,,2,,,,,"], ":10:organisation: required value 'organisation' is blank"),
    ("unknown level", [*GOOD, "p9,P9,p9@x.org,O,Grand Poobah,,,,,"], ":10:level: unknown level title"),
    ("unknown zone", [*GOOD, "p9,P9,p9@x.org,O,2,,,,Europe/Lutetia,"], ":10:timezone: 'Europe/Lutetia' is not"),
    ("malformed availability", [*GOOD, "p9,P9,p9@x.org,O,2,,,,,Mon 9 to 5"], ":10:availability: 'Mon 9 to 5' is not of the form"),
    ("reversed availability", [*GOOD, "p9,P9,p9@x.org,O,2,,,,,Tue 17:00-09:00"], ":10:availability: 'Tue 17:00-09:00' ends before"),
    ("ragged row", [*GOOD, "p9,Smith, Jo,p9@x.org,O,2,,,,,"], ":10:: has 11 cells but the header has 10 columns"),
    ("empty file", [], ":::is empty"),
    ("header only", [PARTICIPANT_HEADER], ":::has a header but no data rows"),
    ("manager cycle", [*GOOD, "m1,M1,m1@x.org,O,2,,,m2,,", "m2,M2,m2@x.org,O,2,,,m1,,"], ":10:manager_id: reporting lines form a cycle: m1 -> m2 -> m1"),
    ("self manager", [*GOOD, "m1,M1,m1@x.org,O,2,,,m1,,"], ":10:manager_id: m1 is their own manager"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "lines", "expected"), BAD_PARTICIPANTS, ids=[c[0] for c in BAD_PARTICIPANTS]
)
def test_each_bad_participants_file_exits_1_naming_file_row_and_rule(
    write_file: Writer, case: str, lines: list[str], expected: str
) -> None:
    path = write_file("participants.csv", "\n".join(lines) + "\n" if lines else "")
    result = validate(path)
    assert result.exit_code == 1, result.output
    expected = expected.replace(":::", "::: ")
    assert f"{path}{expected}" in result.stderr, result.stderr
    assert result.stdout == ""


BAD_HISTORY = [
    ("unknown id", ["person_a,person_b,relation", "p0,p1,colleagues", "p2,nobody,client"], ":3:person_b: 'nobody' is neither a participant nor a facilitator"),
    ("same person twice", ["person_a,person_b", "p4,p4"], ":2:person_b: names 'p4' twice"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "lines", "expected"), BAD_HISTORY, ids=[c[0] for c in BAD_HISTORY]
)
def test_bad_history_exits_1(
    write_file: Writer, case: str, lines: list[str], expected: str
) -> None:
    history = write_file("history.csv", lines)
    result = validate(write_file("p.csv", GOOD), "--history", history)
    assert result.exit_code == 1
    assert f"{history}{expected}" in result.stderr, result.stderr


BAD_CONFIG = [
    ("min above max", "[cohort]\nmin_size = 9\nmax_size = 8\n", ":1:cohort: min_size (9) is larger than max_size (8)"),
    ("negative weight", "[diversity]\nfunction = -2\n", ":1:diversity: diversity weight of 'function' must be a number >= 0"),
    ("unknown key", "[schedule]\ncadence = 6\n", ":2:schedule.cadence: unknown key 'cadence' in [schedule]"),
    ("bad date", '[schedule]\nstart_date = "11/01/2027"\n', ":2:schedule.start_date: '11/01/2027' is not a date"),
    ("bad blackout", '[schedule]\nblackout_dates = ["2027-04-31"]\n', ":2:schedule.blackout_dates: '2027-04-31' is not a date"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "expected"), BAD_CONFIG, ids=[c[0] for c in BAD_CONFIG])
def test_bad_config_exits_1(write_file: Writer, case: str, text: str, expected: str) -> None:
    config = write_file("program.toml", text)
    result = validate(write_file("p.csv", GOOD), "--config", config)
    assert result.exit_code == 1
    assert f"{config}{expected}" in result.stderr, result.stderr
    assert "pydantic" not in result.stderr and "http" not in result.stderr


def test_every_problem_in_every_file_is_listed(write_file: Writer) -> None:
    people = write_file("p.csv", [*GOOD, "p0,Dup,d@x.org,O,2,,,,,", "z,Z,z@x.org,O,Boss,,,,,"])
    history = write_file("h.csv", ["person_a,person_b", "p1,ghost"])
    config = write_file("c.toml", "[solver]\nseed = -3\n")
    result = validate(people, "--history", history, "--config", config)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == "4 problem(s) found; nothing was changed."
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        f"{config}:2:solver.seed",
        f"{history}:2:person_b",
        f"{people}:10:id",
        f"{people}:11:level",
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binary_garbage_exits_1(write_file: Writer, seed: int) -> None:
    rng = random.Random(seed)
    data = bytes(rng.randrange(256) for _ in range(4000))
    if seed == 3:
        data = bytes(b or 1 for b in data)  # no NUL byte: garbage that may pass as Windows-1252
    result = validate(write_file("garbage.csv", data))
    assert result.exit_code == 1
    assert "garbage.csv:" in result.stderr


def test_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = validate(tmp_path)
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_a_huge_field_exits_1(write_file: Writer) -> None:
    path = write_file("p.csv", [*GOOD, "p9,P9,p9@x.org," + "O" * 2_000_000 + ",2,,,,,"])
    result = validate(path)
    assert result.exit_code == 1
    assert f"{path}:10:: a cell is longer than" in result.stderr


def test_cp1252_export_is_accepted_with_a_warning(write_file: Writer) -> None:
    text = "\n".join([*GOOD, "p9,Zoë Müller,z@x.org,Société,2,,,,,"]) + "\n"
    result = validate(write_file("p.csv", text.encode("cp1252")))
    assert result.exit_code == 0, result.stderr
    assert "p.csv::: warning: not UTF-8; read it as Windows-1252" in result.stderr


def test_proven_infeasible_input_exits_3_with_a_diagnosis(write_file: Writer) -> None:
    lines = [
        PARTICIPANT_HEADER,
        *(line.replace("Org ", "Same Org ") for line in participant_lines(9, orgs=2)),
    ]
    result = validate(write_file("p.csv", lines))
    assert result.exit_code == 3
    assert "9 participants from 2 organisations" in result.stdout  # the summary is still shown
    assert "cannot be solved: [organisation] Same Org 0 has 5 participants" in result.stderr
    assert "p0, p2, p4, p6, p8" in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert validate().exit_code == 2
    assert validate(tmp_path / "missing.csv").exit_code == 2


def test_summary_counts_and_rich_rendering(examples_dir: Path) -> None:
    import io

    from rich.console import Console

    from peermatch.io import read_problem
    from peermatch.summary import population_summary, render_rich

    summary = population_summary(read_problem(examples_dir / "participants.csv"))
    breakdowns = dict(summary.breakdowns)
    assert sum(count for _, count in breakdowns["organisation"]) == 120
    assert [label for label, _ in breakdowns["level"]][:2] == ["1 (Team Lead)", "2 (Manager)"]
    # People without a time zone count in the program's zone.
    assert dict(breakdowns["time zone"])["Europe/London"] == 33
    out = io.StringIO()
    render_rich(summary, Console(file=out, width=100, color_system=None))
    assert "by organisation" in out.getvalue() and "Aldermoor Bank" in out.getvalue()
