"""Optional tables with a header and no rows mean "nothing to add"; required ones stay errors."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import PARTICIPANT_HEADER, participant_lines
from peermatch.cli import main
from peermatch.errors import InputError
from peermatch.io import InputWarning, read_history, read_previous, read_problem

Writer = Callable[..., Path]
GOOD = [PARTICIPANT_HEADER, *participant_lines(8)]


def test_header_only_history_is_no_history_with_a_warning(write_file: Writer) -> None:
    people = write_file("p.csv", GOOD)
    history = write_file("history.csv", ["person_a,person_b,relation"])
    with pytest.warns(InputWarning, match=r"history\.csv::: warning: has a header but no data"):
        problem = read_problem(people, history=history)
    assert problem.history == ()
    assert len(problem.participants) == 8


def test_header_only_previous_cohorts_add_nothing(write_file: Writer) -> None:
    people = write_file("p.csv", GOOD)
    wave = write_file("cohorts.csv", ["cohort_id,participant_id,name,email,organisation,level"])
    with pytest.warns(InputWarning, match="cohorts.csv"):
        problem = read_problem(people, previous=[wave, wave])
    assert problem.history == ()


def test_single_readers_accept_header_only_optional_files(write_file: Writer) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        assert read_history(write_file("h.csv", ["person_a,person_b"])) == ()
        assert read_previous(write_file("c.csv", ["cohort_id,participant_id"])) == ()


def test_header_only_optional_file_still_needs_its_required_columns(write_file: Writer) -> None:
    people = write_file("p.csv", GOOD)
    history = write_file("history.csv", ["person_a,relation"])
    with pytest.raises(InputError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        read_problem(people, history=history)
    assert [str(p) for p in info.value.problems] == [
        f"{history}:1:person_b: missing required column 'person_b' (also accepted: "
        "b, id b, participant b, person 2)"
    ]


@pytest.mark.parametrize("table", ["participants", "facilitators"])
def test_header_only_participants_or_facilitators_stay_errors(
    write_file: Writer, table: str
) -> None:
    header_only = write_file(
        f"{table}.csv", [GOOD[0] if table == "participants" else "id,name,email"]
    )
    people = header_only if table == "participants" else write_file("p.csv", GOOD)
    hosts = header_only if table == "facilitators" else None
    with pytest.raises(InputError) as info:
        read_problem(people, facilitators=hosts)
    assert [str(p) for p in info.value.problems] == [
        f"{header_only}::: has a header but no data rows"
    ]


def test_an_empty_file_without_header_stays_an_error(write_file: Writer) -> None:
    people = write_file("p.csv", GOOD)
    with pytest.raises(InputError, match=r"history\.csv::: is empty"):
        read_problem(people, history=write_file("history.csv", b""))


def test_validate_and_run_print_the_warning_and_succeed(write_file: Writer, tmp_path: Path) -> None:
    people = write_file("p.csv", GOOD)
    history = write_file("history.csv", ["person_a,person_b"])
    wave = write_file("old.csv", ["cohort_id,participant_id"])
    config = write_file("program.toml", "[cohort]\nmin_size = 4\nmax_size = 4\ntarget_size = 4\n")
    inputs = [
        str(people),
        "--history",
        str(history),
        "--previous",
        str(wave),
        "--config",
        str(config),
    ]
    result = CliRunner().invoke(main, ["validate", *inputs])
    assert result.exit_code == 0, result.output
    assert f"{history}::: warning: has a header but no data rows" in result.stderr
    assert f"{wave}::: warning: has a header but no data rows" in result.stderr
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", *inputs, "--out", str(out), "--time-limit", "5", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert f"{history}::: warning" in result.stderr
    assert (out / "cohorts.csv").read_text().count("\n") == 9


@pytest.mark.parametrize(
    ("table", "header"),
    [("locks", "participant_id,cohort_id"), ("pairs", "person_a,person_b,rule")],
)
def test_header_only_locks_and_pairs_add_nothing(
    write_file: Writer, table: str, header: str
) -> None:
    people = write_file("p.csv", GOOD)
    path = write_file(f"{table}.csv", [header])
    with pytest.warns(
        InputWarning, match=rf"{table}\.csv::: warning: has a header but no data rows"
    ):
        problem = read_problem(people, **{table: path})  # type: ignore[arg-type]
    assert problem.locks == () and problem.pairs == ()
