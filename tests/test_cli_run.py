"""`peermatch run`: outputs, an independent re-check of every session, exit codes (signals: test_signals.py).

The session check reads only the written CSV files and the input files (with
the standard csv and tomllib modules and the availability parser) and
converts every session to each member's own zone on its date: it shares no
code with ``violations()``.
"""

from __future__ import annotations

import csv
import importlib
import json
import subprocess
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from click.testing import Result as CliResult

from helpers import PARTICIPANT_HEADER, participant_lines
from peermatch.availability import Window, parse_availability
from peermatch.cli import main
from peermatch.rules import Rule, Violation
from peermatch.solution import Result, Status

RUN_TIME_LIMIT = "5"


def _run_subprocess(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peermatch", "run", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _invoke(*args: str | Path) -> CliResult:
    result = CliRunner().invoke(main, ["run", *map(str, args)])
    # Never a traceback: the only exception allowed is click's own SystemExit.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return result


def _example_args(d: Path) -> list[str | Path]:
    return [
        d / "participants.csv",
        "--history", d / "history.csv",
        "--facilitators", d / "facilitators.csv",
        "--config", d / "program.toml",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def example_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    examples = Path(__file__).resolve().parents[1] / "data" / "examples"
    out = tmp_path_factory.mktemp("run") / "out"
    done = _run_subprocess(*_example_args(examples), "--out", out, "--time-limit", RUN_TIME_LIMIT)
    return out, done


def test_examples_run_writes_every_output(
    example_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, done = example_run
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for name in ("cohorts.csv", "unassigned.csv", "sessions.csv", "summary.json"):
        assert (out / name).is_file(), name
    cohorts = {row["cohort_id"] for row in _rows(out / "cohorts.csv")}
    calendars = {p.stem for p in (out / "calendars").glob("*.ics")}
    assert calendars == cohorts
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] in ("optimal", "feasible")
    assert isinstance(summary["gap"], float) and 0.0 <= summary["gap"] <= 1.0
    assert summary["objective"] >= summary["best_bound"]
    assert f"{len(cohorts)} cohorts" in done.stdout


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _ranges(texts: list[str]) -> list[tuple[date, date]]:
    out = []
    for text in texts:
        first, _, last = text.partition("..")
        out.append((date.fromisoformat(first), date.fromisoformat(last or first)))
    return out


def _covered(windows: tuple[Window, ...], start: datetime, end: datetime) -> bool:
    lo = start.hour * 60 + start.minute
    if end.date() == start.date():
        hi = end.hour * 60 + end.minute
    elif end.date() == start.date() + timedelta(days=1) and (end.hour, end.minute) == (0, 0):
        hi = 1440
    else:
        return False
    return any(w.day == start.weekday() and w.start <= lo and hi <= w.end for w in windows)


def test_every_session_fits_every_member_in_their_own_zone(
    example_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, done = example_run
    assert done.returncode == 0, done.stderr
    examples = Path(__file__).resolve().parents[1] / "data" / "examples"
    program = tomllib.loads((examples / "program.toml").read_text(encoding="utf-8"))["schedule"]
    default_zone = program["timezone"]
    default_windows = parse_availability(program["default_availability"])
    blackouts = _ranges(program["blackout_dates"])

    def people(path: Path) -> dict[str, tuple[str, tuple[Window, ...]]]:
        return {
            row["id"]: (
                row.get("timezone") or default_zone,
                parse_availability(row["availability"])
                if row.get("availability")
                else default_windows,
            )
            for row in _rows(path)
        }

    everyone = people(examples / "participants.csv") | people(examples / "facilitators.csv")
    members: dict[str, list[str]] = defaultdict(list)
    for row in _rows(out / "cohorts.csv"):
        members[row["cohort_id"]].append(row["participant_id"])
    sessions = _rows(out / "sessions.csv")
    per_cohort: dict[str, int] = defaultdict(int)
    checked = 0
    for row in sessions:
        per_cohort[row["cohort_id"]] += 1
        start, end = datetime.fromisoformat(row["start"]), datetime.fromisoformat(row["end"])
        assert start.utcoffset() is not None  # ISO 8601 with an offset
        assert end - start == timedelta(minutes=program["duration_minutes"])
        local_day = start.astimezone(ZoneInfo(row["timezone"])).date()
        assert not any(a <= local_day <= b for a, b in blackouts), row
        if row["moved_from"]:
            moved = date.fromisoformat(row["moved_from"])
            assert any(a <= moved <= b for a, b in blackouts), row
        assert row["facilitator_id"], row
        for pid in [*members[row["cohort_id"]], row["facilitator_id"]]:
            zone, windows = everyone[pid]
            tz = ZoneInfo(zone)
            assert _covered(windows, start.astimezone(tz), end.astimezone(tz)), (pid, zone, row)
            checked += 1
    assert set(per_cohort) == set(members)
    assert set(per_cohort.values()) == {program["sessions"]}
    assert checked >= 120 * program["sessions"]


# --- exit codes ----------------------------------------------------------------------------


def _lines(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_invalid_input_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    people = _lines(
        tmp_path,
        "p.csv",
        [PARTICIPANT_HEADER, *participant_lines(8), "p9,P9,not-an-email,O,2,,,,,"],
    )
    out = tmp_path / "out"
    result = _invoke(people, "--out", out, "--time-limit", "2")
    assert result.exit_code == 1
    assert "p.csv:10:email:" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ([], "--out"),  # missing --out
        (["--out", "{out}", "--time-limit", "0"], "--time-limit"),
        (["--out", "{out}", "--time-limit", "soon"], "--time-limit"),
        (["--out", "{out}", "--seed", "-1"], "--seed"),
        # Regression (issue 10): a seed beyond CP-SAT's 32 bits died with a TypeError.
        (["--out", "{out}", "--seed", "2147483648"], "--seed"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, extra: list[str], needle: str) -> None:
    people = _lines(tmp_path, "p.csv", [PARTICIPANT_HEADER, *participant_lines(8)])
    out = tmp_path / "out"
    result = _invoke(people, *[e.replace("{out}", str(out)) for e in extra])
    assert result.exit_code == 2
    assert needle in result.stderr
    assert not out.exists()


def test_out_pointing_at_an_unrelated_folder_exits_2_and_leaves_it_alone(tmp_path: Path) -> None:
    people = _lines(tmp_path, "p.csv", [PARTICIPANT_HEADER, *participant_lines(8)])
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.docx").write_bytes(b"precious")
    result = _invoke(people, "--out", mine, "--time-limit", "2")
    assert result.exit_code == 2
    assert str(mine) in result.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["chapter1.docx"]
    assert (mine / "chapter1.docx").read_bytes() == b"precious"


def test_infeasible_exits_3_naming_the_rule(tmp_path: Path) -> None:
    people = _lines(tmp_path, "p.csv", [PARTICIPANT_HEADER, *participant_lines(5)])
    out = tmp_path / "out"
    result = _invoke(people, "--out", out, "--time-limit", "2")
    assert result.exit_code == 3
    assert "min_size" in result.stderr
    assert not out.exists()
    # Level islands: the stderr names max_level_gap and the people.
    lines = participant_lines(10) + [
        line.replace(",2,", ",5,", 1).replace("p", "q", 1) for line in participant_lines(3)
    ]
    islands = _lines(tmp_path, "islands.csv", [PARTICIPANT_HEADER, *lines])
    result = _invoke(islands, "--out", out, "--time-limit", "2")
    assert result.exit_code == 3
    assert "[level]" in result.stderr and "max_level_gap" in result.stderr
    assert "q0" in result.stderr
    assert not out.exists()


def test_no_solution_in_time_exits_4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import peermatch.solvers.cpsat as cpsat

    def nothing(problem: object, params: object = None, **kw: object) -> Result:
        return Result(status=Status.UNKNOWN, runtime=1.0)

    monkeypatch.setattr(cpsat, "solve", nothing)
    people = _lines(tmp_path, "p.csv", [PARTICIPANT_HEADER, *participant_lines(8)])
    out = tmp_path / "out"
    result = _invoke(people, "--out", out, "--time-limit", "2")
    assert result.exit_code == 4
    assert "no solution found" in result.stderr
    assert not out.exists()


def test_a_solution_the_checker_rejects_exits_5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Regression: such a solve came back "unknown" and the CLI said "no solution
    # found within the time limit", which is not what happened.
    import peermatch.solvers.cpsat as cpsat

    broken = (Violation(Rule.SIZE, "2 members, outside 7..12", "C1"),)

    def rejected(problem: object, params: object = None, **kw: object) -> Result:
        return Result(status=Status.REJECTED, runtime=1.0, violations=broken)

    monkeypatch.setattr(cpsat, "solve", rejected)
    people = _lines(tmp_path, "p.csv", [PARTICIPANT_HEADER, *participant_lines(8)])
    out = tmp_path / "out"
    result = _invoke(people, "--out", out, "--time-limit", "2")
    assert result.exit_code == 5
    assert "internal error" in result.stderr and "no solution found" not in result.stderr
    assert "[size] cohort C1: 2 members, outside 7..12" in result.stderr
    assert not out.exists()


def test_scheduler_without_dask_exits_2_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    people = _lines(tmp_path, "p.csv", [PARTICIPANT_HEADER, *participant_lines(8)])
    out = tmp_path / "out"
    result = _invoke(people, "--out", out, "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2
    assert "--scheduler" in result.stderr and "peermatch[dask]" in result.stderr
    assert not out.exists()


def test_a_small_program_runs_in_process(tmp_path: Path) -> None:
    people = _lines(tmp_path, "p.csv", [PARTICIPANT_HEADER, *participant_lines(16)])
    out = tmp_path / "out"
    result = _invoke(people, "--out", out, "--time-limit", "2", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # --quiet: no progress
    assert len(_rows(out / "cohorts.csv")) == 16
    assert _rows(out / "unassigned.csv") == []
    # Re-running into its own earlier output is allowed (it is replaced whole).
    again = _invoke(people, "--out", out, "--time-limit", "2", "--quiet")
    assert again.exit_code == 0, again.stderr


def test_the_checker_runs_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Regression (issue 24): solve(), the command line and summary.json each ran the
    # checker on the same solution, about 9 s each at n = 100,000.
    checker = importlib.import_module("peermatch.violations")  # the module, not the function
    calls: list[int] = []
    real = checker.violations

    def counted(problem: object, solution: object) -> Iterator[Violation]:
        calls.append(1)

        return real(problem, solution)  # type: ignore[arg-type]

    monkeypatch.setattr(checker, "violations", counted)
    people = _lines(tmp_path, "p.csv", [PARTICIPANT_HEADER, *participant_lines(16)])
    out = tmp_path / "out"
    result = _invoke(people, "--out", out, "--time-limit", "2", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["violations"] == 0
    assert len(calls) == 1
