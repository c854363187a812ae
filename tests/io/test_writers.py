"""write_outputs: the contract's files, byte-deterministic, written whole or not at all."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import recurring_ical_events
from icalendar import Calendar

from peermatch.io import outdir, writers
from peermatch.io.writers import OutputError, render_outputs, write_outputs
from peermatch.model import (
    CalendarSettings,
    Facilitator,
    Participant,
    ProblemData,
    ProgramConfig,
    ProgramInfo,
    ScheduleRules,
)
from peermatch.schedule import Slot, session_times
from peermatch.solution import (
    Cohort,
    FacilitatorPressure,
    Result,
    SearchStatistics,
    Solution,
    Statistics,
    Status,
    Unassigned,
)
from peermatch.violations import violations

EPOCH = "1800000000"
TRICKY = 'Doe, Jane "JD"'
UNICODE = "Zoë Ångström-Łukasiewicz"


@pytest.fixture(autouse=True)
def _fixed_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def sample(*, facilitators: bool = True, unassigned: bool = True) -> tuple[ProblemData, Result]:
    """Three cohorts (C2, C10, C3, listed out of order) with people in Europe and America."""
    zones = ["Europe/London", "America/New_York", "Europe/Berlin"]
    people = []
    for i in range(1, 13):
        attrs = {"Language": "en" if i % 2 else "fr", "Region": f"R{i % 3}"}
        people.append(
            Participant(
                id=f"p{i}",
                name={1: TRICKY, 2: UNICODE}.get(i, f"Person {i}"),
                email=f"p{i}@example.org",
                organisation=f"Org {i}, Ltd" if i == 3 else f"Org {i}",
                level=2 if i % 4 else 3,
                level_label="Senior Manager" if i == 5 else None,
                industry="Retail" if i % 2 else None,
                function="HR" if i % 3 else "Finance",
                timezone=zones[i % 3],
                attributes=attrs,
            )
        )
    rules = ScheduleRules(
        start_date=date(2027, 1, 11),
        cadence_weeks=6,
        sessions=8,
        duration_minutes=120,
        timezone="Europe/London",
        blackout_dates=["2027-04-05"],
        topics=["Trust", "Feedback, candour"],
    )
    facs = (
        (
            Facilitator(id="f2", name="Fay Two", email="f2@coach.example"),
            Facilitator(id="f1", name="Finn Ønë", email="f1@coach.example", max_cohorts=2),
        )
        if facilitators
        else ()
    )
    problem = ProblemData(
        participants=people,
        facilitators=facs,
        config=ProgramConfig(
            program=ProgramInfo(name="Leaders' Circle", id="lc-2027"), schedule=rules
        ),
    )
    slots = {
        "C2": Slot(zone="Europe/London", weekday=0, start_minute=14 * 60),
        "C10": Slot(zone="America/New_York", weekday=2, start_minute=10 * 60),
        "C3": Slot(zone="Europe/London", weekday=3, start_minute=13 * 60),
    }
    members = {"C2": ("p10", "p2", "p1"), "C10": ("p4", "p5", "p6"), "C3": ("p7", "p8", "p9")}
    leaders = {"C2": "f1", "C10": "f2", "C3": "f1"}
    if not unassigned:
        members["C3"] = ("p7", "p8", "p9", "p3", "p11", "p12")
    cohorts = tuple(
        Cohort(
            id=cid,
            members=members[cid],
            slot=slot,
            facilitator_id=leaders[cid] if facilitators else None,
            sessions=session_times(rules, slot),
        )
        for cid, slot in slots.items()
    )
    left = (
        (
            Unassigned(participant_id="p12", reason="no cohort fits, availability"),
            Unassigned(participant_id="p11", reason="level gap"),
            Unassigned(participant_id="p3", reason='org "clash", again'),
        )
        if unassigned
        else ()
    )
    result = Result(
        status=Status.FEASIBLE,
        objective=12.0,
        best_bound=10.5,
        gap=0.125,
        runtime=1.234,
        solution=Solution(cohorts=cohorts, unassigned=left),
        first_solution_time=0.2,
        seed=7,
        workers=4,
        stats=Statistics(
            cp_sat_status="FEASIBLE",
            lns=SearchStatistics(iterations=42, improvements=3, solver_time=1.5),
            facilitators=FacilitatorPressure(4, 3, False, 0, 1),
        ),
    )
    return problem, result


METRICS = {"cohorts": {"C2": {"diversity": 0.5}, "C10": {"diversity": 1.0}}, "note": "ünï"}


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def siblings(root: Path) -> list[str]:
    return sorted(p.name for p in root.parent.iterdir() if p != root)


# -- content -----------------------------------------------------------------------------------


def test_files_and_layout(tmp_path: Path) -> None:
    problem, result = sample()
    out = tmp_path / "out"
    written = write_outputs(out, problem, result, metrics=METRICS)
    names = [p.relative_to(out).as_posix() for p in written]
    assert names == sorted(names)
    assert set(names) == {
        "cohorts.csv",
        "cohorts.xlsx",
        "unassigned.csv",
        "sessions.csv",
        "summary.json",
        "run.json",
        "report.html",
        "calendars/C2.ics",
        "calendars/C3.ics",
        "calendars/C10.ics",
        "calendars/facilitators/f1.ics",
        "calendars/facilitators/f2.ics",
    }
    assert set(tree(out)) == set(names)
    assert siblings(out) == []  # no temporary folder left behind


def test_cohorts_csv(tmp_path: Path) -> None:
    problem, result = sample()
    write_outputs(tmp_path / "out", problem, result)
    raw = (tmp_path / "out" / "cohorts.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    header = raw.split(b"\n", 1)[0].decode()
    assert header == (
        "cohort_id,participant_id,name,email,organisation,level,industry,function,language,region"
    )
    rows = read_csv(tmp_path / "out" / "cohorts.csv")
    # Cohorts and members in natural id order.
    assert [(r["cohort_id"], r["participant_id"]) for r in rows] == [
        ("C2", "p1"),
        ("C2", "p2"),
        ("C2", "p10"),
        ("C3", "p7"),
        ("C3", "p8"),
        ("C3", "p9"),
        ("C10", "p4"),
        ("C10", "p5"),
        ("C10", "p6"),
    ]
    by_id = {r["participant_id"]: r for r in rows}
    assert by_id["p1"]["name"] == TRICKY and by_id["p2"]["name"] == UNICODE
    assert '"Doe, Jane ""JD"""' in raw.decode("utf-8")
    assert UNICODE.encode("utf-8") in raw
    assert by_id["p5"]["level"] == "Senior Manager" and by_id["p4"]["level"] == "3"
    assert by_id["p6"]["industry"] == "" and by_id["p7"]["industry"] == "Retail"
    assert by_id["p6"]["function"] == "Finance" and by_id["p4"]["function"] == "HR"
    assert by_id["p8"]["language"] == "fr" and by_id["p8"]["region"] == "R2"


def test_unassigned_csv(tmp_path: Path) -> None:
    problem, result = sample()
    write_outputs(tmp_path / "a", problem, result)
    rows = read_csv(tmp_path / "a" / "unassigned.csv")
    assert rows == [
        {"participant_id": "p3", "reason": 'org "clash", again'},
        {"participant_id": "p11", "reason": "level gap"},
        {"participant_id": "p12", "reason": "no cohort fits, availability"},
    ]
    problem, result = sample(unassigned=False)
    write_outputs(tmp_path / "b", problem, result)
    assert (tmp_path / "b" / "unassigned.csv").read_bytes() == b"participant_id,reason\n"


def test_sessions_csv(tmp_path: Path) -> None:
    problem, result = sample()
    write_outputs(tmp_path / "out", problem, result)
    raw = (tmp_path / "out" / "sessions.csv").read_bytes()
    assert raw.split(b"\n", 1)[0] == (
        b"cohort_id,session,start,end,timezone,facilitator_id,moved_from,topic"
    )
    rows = read_csv(tmp_path / "out" / "sessions.csv")
    assert len(rows) == 3 * 8
    assert [r["cohort_id"] for r in rows[::8]] == ["C2", "C3", "C10"]
    assert [r["session"] for r in rows[:8]] == [str(n) for n in range(1, 9)]
    c2 = rows[:8]
    assert c2[0]["start"] == "2027-01-11T14:00:00+00:00"
    assert c2[0]["end"] == "2027-01-11T16:00:00+00:00"
    assert c2[0]["timezone"] == "Europe/London" and c2[0]["facilitator_id"] == "f1"
    assert c2[0]["topic"] == "Trust" and c2[1]["topic"] == "Feedback, candour"
    assert c2[2]["topic"] == ""
    # Session 3 was on the blackout Monday 5 April (summer time): moved a week on.
    assert c2[2]["moved_from"] == "2027-04-05"
    assert c2[2]["start"] == "2027-04-12T14:00:00+01:00"
    assert all(r["moved_from"] == "" for r in rows if r is not c2[2])
    c10 = rows[16:]
    assert {r["timezone"] for r in c10} == {"America/New_York"}
    assert c10[0]["start"] == "2027-01-13T10:00:00-05:00"
    assert c10[3]["start"].endswith("-04:00")
    # Every row is an exact session of the cohort, as an aware instant.
    cohorts = {c.id: c for c in result.solution.cohorts}
    for r in rows:
        s = cohorts[r["cohort_id"]].sessions[int(r["session"]) - 1]
        assert datetime.fromisoformat(r["start"]) == s.start
        assert datetime.fromisoformat(r["end"]) == s.end


def test_summary_json(tmp_path: Path) -> None:
    problem, result = sample()
    write_outputs(tmp_path / "out", problem, result, metrics=METRICS)
    raw = (tmp_path / "out" / "summary.json").read_bytes()
    assert raw.endswith(b"}\n") and "ünï".encode() in raw
    data = json.loads(raw)
    assert data["status"] == "feasible"
    assert data["objective"] == 12.0 and data["best_bound"] == 10.5 and data["gap"] == 0.125
    assert data["runtime"] == 1.234 and data["first_solution_time"] == 0.2
    assert data["seed"] == 7 and data["workers"] == 4
    assert data["cohorts"] == 3 and data["placed"] == 9 and data["unassigned"] == 3
    assert data["participants"] == 12
    assert data["metrics"] == METRICS
    assert data["calendar_mode"] == "series"
    # The typed statistics keep summary.json's flat keys (unset figures left out).
    assert data["stats"] == {
        "cohorts_with_a_single_possible_facilitator": 1,
        "cp_sat_status": "FEASIBLE",
        "facilitator_capacity": 4,
        "facilitator_seats_used": 3,
        "facilitators_binding": False,
        "lns_final_neighbourhood": 0,
        "lns_improvements": 3,
        "lns_iterations": 42,
        "lns_solver_time": 1.5,
        "first_complete_time": None,
        "people_without_a_free_facilitator": 0,
    }
    # The sample is not a sound solution (three-member cohorts, off-hours sessions...):
    # the count is what the independent checker finds.
    found = list(violations(problem, result.solution))
    assert {v.rule for v in found} == {"size", "schedule", "availability"}
    assert data["violations"] == len(found) == 6


def test_summary_marks_an_interrupted_solve(tmp_path: Path) -> None:
    problem, result = sample()
    write_outputs(tmp_path / "a", problem, result)
    data = json.loads((tmp_path / "a" / "summary.json").read_bytes())
    assert data["interrupted"] is False and data["interrupted_by"] is None
    stopped = Result(**{**result.__dict__, "interrupted": "SIGTERM"})
    write_outputs(tmp_path / "b", problem, stopped)
    data = json.loads((tmp_path / "b" / "summary.json").read_bytes())
    assert data["interrupted"] is True and data["interrupted_by"] == "SIGTERM"
    assert data["status"] == "feasible"


def test_summary_nan_and_unserialisable_metrics(tmp_path: Path) -> None:
    problem, result = sample()
    odd = Result(**{**result.__dict__, "gap": float("nan"), "best_bound": float("-inf")})
    write_outputs(tmp_path / "out", problem, odd)
    data = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert data["gap"] is None and data["best_bound"] is None
    with pytest.raises(ValueError, match="JSON"):
        write_outputs(tmp_path / "bad", problem, result, metrics={"x": object()})
    assert not (tmp_path / "bad").exists() and siblings(tmp_path / "bad") == ["out"]


@pytest.mark.parametrize("mode", ["series", "expanded"])
def test_every_calendar_expands_to_sessions_csv(tmp_path: Path, mode: str) -> None:
    problem, result = sample()
    out = tmp_path / "out"
    write_outputs(out, problem, result, calendar_mode=mode)
    rows = read_csv(out / "sessions.csv")

    def instants(pred) -> list[tuple[datetime, datetime]]:
        return sorted(
            (
                datetime.fromisoformat(r["start"]).astimezone(UTC),
                datetime.fromisoformat(r["end"]).astimezone(UTC),
            )
            for r in rows
            if pred(r)
        )

    def expand(path: Path) -> list[tuple[datetime, datetime]]:
        cal = Calendar.from_ical(path.read_bytes())
        events = recurring_ical_events.of(cal).between(datetime(2000, 1, 1), datetime(2100, 1, 1))
        return sorted(
            (e.decoded("DTSTART").astimezone(UTC), e.decoded("DTEND").astimezone(UTC))
            for e in events
        )

    for cid in ("C2", "C3", "C10"):
        assert expand(out / "calendars" / f"{cid}.ics") == instants(
            lambda r, cid=cid: r["cohort_id"] == cid
        )
    for fid in ("f1", "f2"):
        assert expand(out / "calendars" / "facilitators" / f"{fid}.ics") == instants(
            lambda r, fid=fid: r["facilitator_id"] == fid
        )


def test_mode_from_config_and_no_facilitators(tmp_path: Path) -> None:
    problem, result = sample(facilitators=False)
    problem = problem.replace(
        config=problem.config.model_copy(update={"calendar": CalendarSettings(mode="expanded")})
    )
    write_outputs(tmp_path / "out", problem, result)
    assert not (tmp_path / "out" / "calendars" / "facilitators").exists()
    ics = (tmp_path / "out" / "calendars" / "C2.ics").read_bytes()
    assert b"RRULE" not in ics and b"lc-2027-C2-session-8@peermatch" in ics
    assert b"mailto:noreply@lc-2027.invalid" in ics
    rows = read_csv(tmp_path / "out" / "sessions.csv")
    assert {r["facilitator_id"] for r in rows} == {""}
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["calendar_mode"] == (
        "expanded"
    )


# -- determinism ---------------------------------------------------------------------------------


def test_byte_identical_across_runs(tmp_path: Path) -> None:
    problem, result = sample()
    write_outputs(tmp_path / "a", problem, result, metrics=METRICS)
    problem2, result2 = sample()  # rebuilt from scratch, as a re-run would
    write_outputs(tmp_path / "b", problem2, result2, metrics=METRICS)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def _write_in_subprocess(out: Path, hashseed: str) -> None:
    # Another interpreter with another string-hash seed: catches any set-order leak.
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]); import test_writers as t; "
        "p, r = t.sample(); t.write_outputs(sys.argv[1], p, r, metrics=t.METRICS)"
    )
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "SOURCE_DATE_EPOCH": EPOCH}
    subprocess.run(
        [sys.executable, "-c", code, str(out), str(Path(__file__).parent)],
        check=True,
        env=env,
        timeout=120,
    )


def test_byte_identical_across_interpreters(tmp_path: Path) -> None:
    _write_in_subprocess(tmp_path / "a", "1")
    _write_in_subprocess(tmp_path / "b", "2")
    problem, result = sample()
    write_outputs(tmp_path / "c", problem, result, metrics=METRICS)
    assert tree(tmp_path / "a") == tree(tmp_path / "b") == tree(tmp_path / "c")


def test_render_outputs_matches_files(tmp_path: Path) -> None:
    problem, result = sample()
    files = render_outputs(problem, result, metrics=METRICS)
    write_outputs(tmp_path / "out", problem, result, metrics=METRICS)
    assert tree(tmp_path / "out") == files


# -- the output folder ---------------------------------------------------------------------------


def test_creates_parents_and_accepts_an_empty_folder(tmp_path: Path) -> None:
    problem, result = sample()
    write_outputs(tmp_path / "deep" / "er" / "out", problem, result)
    assert (tmp_path / "deep" / "er" / "out" / "summary.json").is_file()
    (tmp_path / "empty").mkdir()
    write_outputs(tmp_path / "empty", problem, result)
    assert (tmp_path / "empty" / "summary.json").is_file()
    assert siblings(tmp_path / "empty") == ["deep"]


def test_refuses_a_folder_that_is_not_an_output(tmp_path: Path) -> None:
    problem, result = sample()
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.docx").write_bytes(b"precious")
    with pytest.raises(OutputError, match="does not look like a peermatch output"):
        write_outputs(out, problem, result)
    assert tree(out) == {"chapter1.docx": b"precious"}
    assert siblings(out) == []
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        write_outputs(afile, problem, result)
    assert afile.read_text() == "x"


def test_replaces_a_previous_output_whole(tmp_path: Path) -> None:
    problem, result = sample()
    out = tmp_path / "out"
    write_outputs(out, problem, result)
    (out / "calendars" / "C99.ics").write_bytes(b"stale cohort from an earlier run")
    problem2, result2 = sample(facilitators=False, unassigned=False)
    write_outputs(out, problem2, result2)
    assert tree(out) == render_outputs(problem2, result2)  # the stale calendar is gone
    assert siblings(out) == []


def test_follows_a_symlinked_output_folder(tmp_path: Path) -> None:
    problem, result = sample()
    real = tmp_path / "real"
    write_outputs(real, problem, result)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    problem2, result2 = sample(unassigned=False)
    write_outputs(link, problem2, result2)
    assert link.is_symlink() and tree(real) == render_outputs(problem2, result2)


def test_failure_mid_write_keeps_the_old_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, result = sample()
    out = tmp_path / "out"
    write_outputs(out, problem, result)
    before = tree(out)
    real_write = outdir._write_file
    calls = []

    def flaky(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(outdir, "_write_file", flaky)
    problem2, result2 = sample(unassigned=False)
    with pytest.raises(OSError, match="No space"):
        write_outputs(out, problem2, result2)
    assert len(calls) == 4
    assert tree(out) == before
    assert siblings(out) == []


def test_failure_mid_write_to_a_new_folder_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, result = sample()

    def broken(path: Path, data: bytes) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(outdir, "_write_file", broken)
    with pytest.raises(OSError):
        write_outputs(tmp_path / "out", problem, result)
    assert list(tmp_path.iterdir()) == []


def test_failure_at_the_swap_puts_the_old_output_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, result = sample()
    out = tmp_path / "out"
    write_outputs(out, problem, result)
    before = tree(out)
    real_rename = os.rename

    def rename(src, dst) -> None:
        # Let the old output move aside, then fail to move the new one in.
        if "peermatch-tmp" in Path(src).name:
            raise OSError(18, "Invalid cross-device link")
        real_rename(src, dst)

    monkeypatch.setattr(writers.os, "rename", rename)
    with pytest.raises(OSError, match="cross-device"):
        write_outputs(out, problem, result)
    monkeypatch.setattr(writers.os, "rename", real_rename)
    assert tree(out) == before
    assert siblings(out) == []


def test_nothing_written_without_a_solution(tmp_path: Path) -> None:
    problem, _ = sample()
    with pytest.raises(ValueError, match="no solution"):
        write_outputs(tmp_path / "out", problem, Result(status=Status.INFEASIBLE))
    assert list(tmp_path.iterdir()) == []


def test_ids_that_collide_as_file_names(tmp_path: Path) -> None:
    problem, result = sample()
    sol = result.solution
    clash = sol.model_copy(
        update={
            "cohorts": (
                sol.cohorts[0].model_copy(update={"id": "A/1"}),
                sol.cohorts[1].model_copy(update={"id": "A_1"}),
                sol.cohorts[2],
            )
        }
    )
    with pytest.raises(ValueError, match="same calendar file"):
        write_outputs(tmp_path / "out", problem, Result(**{**result.__dict__, "solution": clash}))
    assert list(tmp_path.iterdir()) == []


def test_csv_round_trip_of_awkward_text(tmp_path: Path) -> None:
    problem, result = sample()
    write_outputs(tmp_path / "out", problem, result)
    text = (tmp_path / "out" / "cohorts.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    names = {r[1]: r[2] for r in rows[1:]}
    orgs = {r[1]: r[4] for r in rows[1:]}
    assert names["p1"] == TRICKY and names["p2"] == UNICODE
    assert all(len(r) == len(rows[0]) for r in rows)
    assert "Org 3, Ltd" not in orgs.values()  # p3 is unassigned here
    problem2, result2 = sample(unassigned=False)
    write_outputs(tmp_path / "out", problem2, result2)
    rows = read_csv(tmp_path / "out" / "cohorts.csv")
    assert {r["participant_id"]: r["organisation"] for r in rows}["p3"] == "Org 3, Ltd"


def test_old_output_is_never_deleted_when_it_cannot_be_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, result = sample()
    out = tmp_path / "out"
    write_outputs(out, problem, result)
    before = tree(out)
    real_rename = os.rename

    def rename(src, dst) -> None:
        # The new output cannot move in, and the old one cannot move back either.
        if "peermatch-tmp" in Path(src).name or Path(dst) == out:
            raise OSError(13, "Permission denied")
        real_rename(src, dst)

    monkeypatch.setattr(writers.os, "rename", rename)
    with pytest.raises(OSError, match="Permission") as info:
        write_outputs(out, problem, result)
    monkeypatch.setattr(writers.os, "rename", real_rename)
    kept = [p for p in tmp_path.iterdir() if "peermatch-old" in p.name]
    assert len(kept) == 1 and tree(kept[0] / "out") == before
    assert info.value.__notes__ == [f"peermatch: the previous output is kept in {kept[0] / 'out'}"]
    assert not any("peermatch-tmp" in p.name for p in tmp_path.iterdir())


def test_cohorts_csv_reads_back_as_previous_cohorts(tmp_path: Path) -> None:
    """The contract feeds cohorts.csv to a later wave: the reader must accept ours."""
    from peermatch.io import read_previous

    problem, result = sample()
    write_outputs(tmp_path / "out", problem, result)
    links = read_previous(tmp_path / "out" / "cohorts.csv")
    pairs = {frozenset((link.a, link.b)) for link in links}
    expected = {
        frozenset((a, b))
        for c in result.solution.cohorts
        for i, a in enumerate(c.members)
        for b in c.members[i + 1 :]
    }
    assert pairs == expected
