"""program.toml: defaults, every key of the contract, and each kind of mistake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from peermatch.errors import InputError
from peermatch.io import read_config
from peermatch.io.config import key_line
from peermatch.model import ProgramConfig

Writer = Callable[..., Path]


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        read_config(path)
    return [str(p) for p in info.value.problems]


def test_empty_file_gives_the_contract_defaults(write_file: Writer) -> None:
    assert read_config(write_file("program.toml", "")) == ProgramConfig()


def test_example_program_sets_every_key(examples_dir: Path) -> None:
    config = read_config(examples_dir / "program.toml")
    assert config.program.id == "circles-2027"
    assert config.cohort.levels is not None and len(config.cohort.levels) == 5
    assert config.diversity == {"industry": 1.0, "function": 1.0, "language": 0.25}
    assert config.similarity == ()
    assert config.schedule.is_blackout(date(2027, 8, 9))
    assert len(config.schedule.topics) == config.schedule.sessions
    assert config.calendar.mode == "series"
    text = (examples_dir / "program.toml").read_text()
    for table, model in ProgramConfig.model_fields.items():
        assert f"[{table}]" in text
        sub = model.annotation
        for key in getattr(sub, "model_fields", {}):
            assert key_line(text, [table, key]) is not None, f"{table}.{key} not exercised"


def test_toml_dates_and_list_availability_are_accepted(write_file: Writer) -> None:
    path = write_file(
        "p.toml",
        '[schedule]\nstart_date = 2027-02-01\nblackout_dates = [2027-04-02, "2027-05-01..2027-05-03"]\n'
        'default_availability = ["Mon 09:00-12:00", "Tue 10:00-16:00"]\n',
    )
    schedule = read_config(path).schedule
    assert schedule.start_date == date(2027, 2, 1)
    assert schedule.is_blackout(date(2027, 4, 2)) and schedule.is_blackout(date(2027, 5, 2))
    assert len(schedule.default_availability) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[cohort]\nmin_size = 9\nmax_size = 8\n",
            ":1:cohort: min_size (9) is larger than max_size (8)",
        ),
        (
            "[diversity]\nindustry = -1.0\n",
            ":1:diversity: diversity weight of 'industry' must be a number >= 0",
        ),
        (
            "\n[cohort]\nmin_sise = 7\n",
            ":3:cohort.min_sise: unknown key 'min_sise' in [cohort] (known keys: ",
        ),
        ("[cohorts]\n", ":1:cohorts: unknown table or key 'cohorts'"),
        ("min_size = 7\n", ":1:min_size: unknown table or key 'min_size' (known tables: "),
        (
            '[schedule]\nstart_date = "2027-02-30"\n',
            ":2:schedule.start_date: '2027-02-30' is not a date",
        ),
        (
            '[schedule]\nblackout_dates = ["2027-5-1"]\n',
            ":2:schedule.blackout_dates: '2027-5-1' is not a date",
        ),
        (
            '[schedule]\nblackout_dates = ["2027-05-09..2027-05-01"]\n',
            ":2:schedule.blackout_dates: blackout range 2027-05-09..2027-05-01 ends before it starts",
        ),
        ('[cohort]\nmin_size = "7"\n', ':2:cohort.min_size: must be a whole number, not "7"'),
        ("[solver]\nseed = true\n", ":2:solver.seed: must be a whole number, not true"),
        (
            "[solver]\ntime_limit_seconds = 0\n",
            ":2:solver.time_limit_seconds: must be more than 0.0, not 0",
        ),
        ("[schedule]\nsessions = 2.5\n", ":2:schedule.sessions: must be a whole number, not 2.5"),
        (
            '[diversity]\nindustry = "high"\n',
            ":2:diversity.industry: the weight of 'industry' must be a number",
        ),
        (
            '[schedule]\ntimezone = "Mars/Base"\n',
            ":2:schedule.timezone: 'Mars/Base' is not an IANA time zone",
        ),
        ('[calendar]\nmode = "daily"\n', ":2:calendar.mode: must be one of 'series' or 'expanded'"),
        ('[similarity]\nattributes = "language"\n', ":2:similarity.attributes: must be a list"),
        (
            "[similarity]\nattribute = []\n",
            ":2:similarity.attribute: unknown key 'attribute' in [similarity]",
        ),
        ("cohort = 3\n", ":1:cohort: must be a table ([cohort]), not a single value"),
        ("[cohort\nmin_size = 7\n", ":1:: is not valid TOML: "),
        (
            '[schedule]\ndefault_availability = "Mon 17:00-09:00"\n',
            ":2:schedule.default_availability: 'Mon 17:00-09:00' ends before it starts",
        ),
    ],
)
def test_each_mistake_names_file_line_and_key(write_file: Writer, text: str, expected: str) -> None:
    path = write_file("program.toml", text)
    found = problems_of(path)
    assert any(f.startswith(f"{path}{expected}") for f in found), found
    assert not any("pydantic" in f or "http" in f for f in found)


def test_every_config_problem_is_listed_at_once(write_file: Writer) -> None:
    path = write_file(
        "program.toml",
        "[cohort]\nmin_size = 9\nmax_size = 8\ncolour = 'red'\n[solver]\nseed = -1\n[extra]\n",
    )
    found = problems_of(path)
    assert [f.split(": ")[0] for f in found] == [
        f"{path}:1:cohort",
        f"{path}:4:cohort.colour",
        f"{path}:6:solver.seed",
        f"{path}:7:extra",
    ]


def test_key_line_finds_dotted_and_table_keys() -> None:
    text = "# c\n[cohort]\nmin_size = 7\n\n[schedule]\ncohort.x = 1\nsessions=3\n"
    assert key_line(text, ["cohort"]) == 2
    assert key_line(text, ["schedule", "sessions"]) == 7
    assert key_line(text, ["solver", "seed"]) is None
    assert key_line("cohort.min_size = 3\n", ["cohort", "min_size"]) == 1


@pytest.mark.parametrize("start", ["9999-12-01", "0001-01-01", "1899-12-31", "3000-01-01"])
def test_a_start_date_near_the_calendars_end_is_refused(write_file: Writer, start: str) -> None:
    # Regression (reader fuzzing, issue 10): validate and run died of an OverflowError
    # computing a series that runs past 9999-12-31 or starts before year 1's sessions.
    path = write_file("program.toml", f"[schedule]\nstart_date = {start}\n")
    assert problems_of(path) == [
        f"{path}:2:schedule.start_date: start_date {start} must lie between 1900-01-01 and 2999-12-31"
    ]


def test_a_seed_beyond_32_bits_is_refused(write_file: Writer) -> None:
    # Regression (issue 10): CP-SAT's seed is 32-bit; a larger one died in solve() with a TypeError.
    path = write_file("program.toml", "[solver]\nseed = 2147483648\n")
    assert problems_of(path) == [
        f"{path}:2:solver.seed: must be at most 2147483647, not 2147483648"
    ]
    assert (
        read_config(write_file("ok.toml", "[solver]\nseed = 2147483647\n")).solver.seed == 2**31 - 1
    )
