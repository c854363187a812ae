"""Fuzzing every reader: bad input gives a clean InputError naming the file (and row), or a ProblemData.

Never another exception. The budget is small by default (CI); raise it by hand with
``PEERMATCH_FUZZ_EXAMPLES=2000 python -m pytest tests/io/test_fuzz_readers.py``.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from helpers import PARTICIPANT_HEADER, REPO, participant_lines
from peermatch.errors import InputError
from peermatch.io import InputWarning, read_problem
from peermatch.model import ProblemData, check_references
from peermatch.presolve import presolve_checks
from peermatch.summary import population_summary, render_text
from strategies import (
    HEADER_WORDS,
    availability_fuzz,
    csv_bytes,
    level_texts,
    mutated_bytes,
    program_tomls,
    random_tables,
    toml_documents,
)

FUZZ = settings(
    max_examples=int(os.environ.get("PEERMATCH_FUZZ_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)

PEOPLE = [
    PARTICIPANT_HEADER + ",language",
    *(f"{line},fr" for line in participant_lines(8)),
    'p8,"Smith, Jo ""JJ""",jo@x.org,"Umbrella, Ltd",Manager,,,p0,America/New_York,'
    '"Mon 09:00-12:00; Wed 14:00-17:00",en',
]
PEOPLE_BYTES = ("\n".join(PEOPLE) + "\n").encode()
SEEDS = {
    "history": b"person_a,person_b,relation\np0,p1,colleagues\np2,p3,\n",
    "facilitators": b"id,name,email,organisation,timezone,availability,max_cohorts\n"
    b"f0,Fran,f0@c.org,Coach Co,Europe/Paris,Mon-Fri 08:30-18:00,2\n",
    "previous": b"cohort_id,participant_id,name\nC1,p0,A\nC1,p1,B\nC2,p2,C\n",
    "locks": b"participant_id,cohort_id\np0,A\np1,A\np2,B\n",
    "pairs": b"person_a,person_b,rule\np0,p1,together\np2,p3,apart\n",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def outcome(call: Callable[[], ProblemData]) -> ProblemData | InputError:
    """The reader's result or its InputError; any other exception fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        try:
            return call()
        except InputError as exc:
            return exc


def lines_of(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") + 1


def check(result: ProblemData | InputError, files: dict[str, bytes | None]) -> None:
    """A valid problem, or problems that each name one of ``files`` and a row inside it."""
    event("valid" if isinstance(result, ProblemData) else "InputError")
    if isinstance(result, ProblemData):
        issues = check_references(
            result.participants, result.facilitators, result.history, result.config
        )
        assert issues == []
        # What `peermatch validate` does next must not fail on what the readers accepted.
        render_text(population_summary(result))
        presolve_checks(result)
        return
    assert result.problems
    for problem in result.problems:
        assert problem.file in files, problem
        assert problem.message.strip(), problem
        assert "pydantic" not in problem.message and "Traceback" not in problem.message, problem
        data = files[problem.file]
        if problem.row is not None and data is not None:
            assert isinstance(problem.row, int) and 1 <= problem.row <= lines_of(data), problem


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@FUZZ
@given(data=mutated_bytes(PEOPLE_BYTES))
def test_mutated_participants_bytes(folder: Path, data: bytes) -> None:
    path = write(folder, "participants.csv", data)
    check(outcome(lambda: read_problem(path)), {str(path): data})


@FUZZ
@given(table=st.sampled_from(sorted(SEEDS)), st_data=st.data())
def test_mutated_optional_table_bytes(folder: Path, table: str, st_data: st.DataObject) -> None:
    data = st_data.draw(mutated_bytes(SEEDS[table]))
    people = write(folder, "participants.csv", PEOPLE_BYTES)
    path = write(folder, f"{table}.csv", data)
    options = {"previous": [path]} if table == "previous" else {table: path}
    result = outcome(lambda: read_problem(people, **options))  # type: ignore[arg-type]
    check(result, {str(path): data, str(people): PEOPLE_BYTES})


@FUZZ
@given(table=st.sampled_from(["participants", *sorted(SEEDS)]), rows=random_tables())
def test_random_headers_and_cells(folder: Path, table: str, rows: list[list[str]]) -> None:
    data = csv_bytes(rows)
    path = write(folder, f"{table}.csv", data)
    if table == "participants":
        result = outcome(lambda: read_problem(path))
        check(result, {str(path): data})
        return
    people = write(folder, "participants.csv", PEOPLE_BYTES)
    options = {"previous": [path]} if table == "previous" else {table: path}
    result = outcome(lambda: read_problem(people, **options))  # type: ignore[arg-type]
    check(result, {str(path): data, str(people): PEOPLE_BYTES})


@FUZZ
@given(
    levels=st.lists(level_texts, min_size=1, max_size=6),
    spans=st.lists(availability_fuzz, min_size=1, max_size=6),
    zones=st.lists(
        st.sampled_from(["", "UTC", "Europe/Paris", "Mars/Base", "../etc", "utc"])
        | st.text(max_size=8),
        min_size=1,
        max_size=6,
    ),
    ladder=st.none()
    | st.lists(
        st.sampled_from(["Manager", "VP", "Director", "manager", ""]) | st.text(max_size=6),
        max_size=5,
    ),
    capacity=st.sampled_from(["", "0", "2", "-1", "1.5", "two", "1e9", "99999999999999999999999"]),
)
def test_random_levels_availability_zones_and_capacity(
    folder: Path,
    levels: list[str],
    spans: list[str],
    zones: list[str],
    ladder: list[str] | None,
    capacity: str,
) -> None:
    rows = [PARTICIPANT_HEADER.split(",")]
    for i in range(6):
        rows.append([f"p{i}", f"P {i}", f"p{i}@x.org", f"O{i}", levels[i % len(levels)], "", "", "",
                     zones[i % len(zones)], spans[i % len(spans)]])  # fmt: skip
    data = csv_bytes(rows)
    path = write(folder, "participants.csv", data)
    hosts_data = csv_bytes([["id", "name", "email", "availability", "max_cohorts"],
                            ["f0", "F", "f@x.org", spans[-1], capacity]])  # fmt: skip
    hosts = write(folder, "facilitators.csv", hosts_data)
    toml = "" if ladder is None else f"[cohort]\nlevels = {ladder!r}\n".replace("'", '"')
    config = write(folder, "program.toml", toml.encode())
    result = outcome(lambda: read_problem(path, facilitators=hosts, config=config))
    check(result, {str(path): data, str(hosts): hosts_data, str(config): toml.encode()})


@FUZZ
@given(text=toml_documents() | program_tomls())
def test_random_toml(folder: Path, text: str) -> None:
    people = write(folder, "participants.csv", PEOPLE_BYTES)
    config = write(folder, "program.toml", text.encode())
    result = outcome(lambda: read_problem(people, config=config))
    check(result, {str(config): text.encode(), str(people): PEOPLE_BYTES})


EXAMPLE_TOML = (REPO / "data" / "examples" / "program.toml").read_bytes()


@FUZZ
@given(data=mutated_bytes(EXAMPLE_TOML))
def test_mutated_toml_bytes(folder: Path, data: bytes) -> None:
    people = write(folder, "participants.csv", PEOPLE_BYTES)
    config = write(folder, "program.toml", data)
    result = outcome(lambda: read_problem(people, config=config))
    check(result, {str(config): data, str(people): PEOPLE_BYTES})


_objects = st.one_of(
    st.none(),
    st.just(math.nan),
    st.just(pd.NA),
    st.just(pd.NaT),
    st.integers(-3, 10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=10),
    st.sampled_from(
        ["p0", "p1", "x@y.org", "Manager", "Mon-Fri 09:00-17:00", "UTC", "f0", "together"]
    ),
    st.just(date(2027, 1, 11)),
    st.just(datetime(2027, 1, 11, 9, 30)),
    st.just(pd.Timestamp("2027-01-11")),
)


@FUZZ
@given(
    table=st.sampled_from(
        ["participants", "history", "facilitators", "previous", "locks", "pairs"]
    ),
    columns=st.lists(st.sampled_from(HEADER_WORDS) | st.integers(0, 3), min_size=0, max_size=8),
    st_data=st.data(),
)
def test_random_dataframes(table: str, columns: list[object], st_data: st.DataObject) -> None:
    n = st_data.draw(st.integers(0, 4))
    cells = [
        st_data.draw(st.lists(_objects, min_size=len(columns), max_size=len(columns)))
        for _ in range(n)
    ]
    index = st_data.draw(st.sampled_from(["range", "text", "dup"]))
    labels: list[object] = {
        "range": list(range(n)),
        "text": [f"r{i}" for i in range(n)],
        "dup": [7] * n,
    }[index]
    frame = pd.DataFrame(cells, columns=pd.Index(columns, dtype=object), index=labels or None)
    people = pd.read_csv(pd.io.common.StringIO("\n".join(PEOPLE)), dtype=str, keep_default_na=False)
    name = {"previous": "previous cohorts"}.get(table, table) + " (DataFrame)"
    if table == "participants":
        result = outcome(lambda: read_problem(frame))
    else:
        options = {"previous": [frame]} if table == "previous" else {table: frame}
        result = outcome(lambda: read_problem(people, **options))  # type: ignore[arg-type]
    check(result, {name: None, "participants (DataFrame)": None})
