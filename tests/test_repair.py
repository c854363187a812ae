"""`peermatch repair`: fewest moves, kept ids and UIDs, changes.csv, SEQUENCE, calendars re-read."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import openpyxl
import pytest
import recurring_ical_events
from click.testing import CliRunner
from icalendar import Calendar

from peermatch.cli import main

LIMIT = "3"
JS_DIR = Path(__file__).resolve().parent / "js"


def _invoke(*args: object) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def _inputs(examples: Path, participants: Path) -> list[object]:
    return [
        participants,
        "--history", examples / "history.csv",
        "--facilitators", examples / "facilitators.csv",
        "--config", examples / "program.toml",
    ]  # fmt: skip


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _cohorts(out: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in _rows(out / "cohorts.csv"):
        found.setdefault(row["cohort_id"], set()).add(row["participant_id"])
    return found


def _edit_people(
    examples: Path, path: Path, leave: int, join: int, who: str = "", **edit: str
) -> set[str]:
    """participants.csv without ``leave`` (unlinked) people, with ``join`` new ones, ``who`` edited."""
    rows = _rows(examples / "participants.csv")
    linked = (examples / "history.csv").read_text() + " ".join(r["manager_id"] for r in rows)
    gone = {r["id"] for r in rows if r["id"] not in linked}
    gone = set(sorted(gone)[:leave])
    kept = [dict(r, **edit) if r["id"] == who else r for r in rows if r["id"] not in gone]
    for k in range(join):
        new = dict(rows[10 + 20 * k], id=f"N{k + 1:03d}", name=f"New {k}", manager_id="")
        new["email"] = f"new{k}@example.org"
        kept.append(new)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    return gone


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    examples = Path(__file__).resolve().parents[1] / "data" / "examples"
    out = tmp_path_factory.mktemp("repair") / "first"
    _invoke(
        "run",
        *_inputs(examples, examples / "participants.csv"),
        "--out",
        out,
        "--time-limit",
        LIMIT,
        "-q",
    )
    return examples, out


def _moves(before: dict[str, set[str]], after: dict[str, set[str]]) -> int:
    """The fewest people who changed cohort, under the best renaming of the new cohorts."""
    graph = nx.Graph()
    for a, old in before.items():
        for b, new in after.items():
            if old & new:
                graph.add_edge(("old", a), ("new", b), weight=len(old & new))
    matching = nx.max_weight_matching(graph)
    stay = sum(graph.edges[u, v]["weight"] for u, v in matching)
    present = set().union(*after.values())
    return sum(len(old & present) for old in before.values()) - stay


def test_repair_moves_fewest_and_keeps_uids(first_run: tuple[Path, Path], tmp_path: Path) -> None:
    examples, first = first_run
    people = tmp_path / "participants.csv"
    gone = _edit_people(examples, people, leave=3, join=5)
    out = tmp_path / "repaired"
    text = _invoke(
        "repair",
        "--previous-run",
        first,
        *_inputs(examples, people),
        "--out",
        out,
        "--time-limit",
        LIMIT,
        "--deterministic",  # reproducible: the repair was deterministic by default
    )
    assert "fewest possible" in text
    summary = json.loads((out / "summary.json").read_text())
    moved = summary["stats"]["repair_moved"]
    assert summary["stats"]["repair_moved_optimal"] == 1
    changes = _rows(out / "changes.csv")
    assert {r["participant_id"] for r in changes if r["change"] == "left"} == gone
    assert {r["participant_id"] for r in changes if r["change"] == "joined"} == {
        f"N{k:03d}" for k in range(1, 6)
    }
    assert sum(r["change"] == "moved" for r in changes) == moved
    assert all(r["reason"] for r in changes)
    # The report shows the repair's changes too, and the workbook holds changes.csv as a sheet.
    assert "joined the program" in (out / "report.html").read_text(encoding="utf-8")
    book = openpyxl.load_workbook(out / "cohorts.xlsx", read_only=True)
    assert book.sheetnames == ["Cohorts", "Sessions", "Unassigned", "Changes"]
    sheet = [["" if v is None else str(v) for v in row] for row in book["Changes"].values]
    assert sheet == [list(changes[0]), *(list(r.values()) for r in changes)]
    book.close()
    before, after = _cohorts(first), _cohorts(out)
    # Moved, counted independently: earlier members now in another cohort of the same id.
    assert (
        sum(
            1
            for c, ms in before.items()
            for m in ms
            if m not in gone and m not in after.get(c, set())
        )
        == moved
    )
    scratch = tmp_path / "scratch"
    _invoke("run", *_inputs(examples, people), "--out", scratch, "--time-limit", LIMIT, "-q")
    from_scratch = _moves(before, _cohorts(scratch))
    assert moved < from_scratch
    assert from_scratch >= 20  # a new run reshuffles many people
    # Unchanged cohorts: byte-identical calendars (UIDs included); every kept id keeps its UID.
    kept = [c for c in before if before[c] == after.get(c)]
    assert kept
    for c in kept:
        assert (out / "calendars" / f"{c}.ics").read_bytes() == (
            first / "calendars" / f"{c}.ics"
        ).read_bytes()
    for c in set(before) & set(after):
        assert _uids(out / "calendars" / f"{c}.ics") == _uids(first / "calendars" / f"{c}.ics")


def _uids(path: Path) -> set[bytes]:
    return set(re.findall(rb"^UID:(.*)\r$", path.read_bytes(), re.M))


def _sequences(data: bytes) -> set[int]:
    return {int(s) for s in re.findall(rb"^SEQUENCE:(\d+)\r$", data, re.M)}


def _sessions(out: Path, cohort: str) -> list[tuple[datetime, datetime]]:
    return sorted(
        (
            datetime.fromisoformat(r["start"]).astimezone(UTC),
            datetime.fromisoformat(r["end"]).astimezone(UTC),
        )
        for r in _rows(out / "sessions.csv")
        if r["cohort_id"] == cohort
    )


def _icaljs(path: Path) -> list[tuple[datetime, datetime]] | None:
    node = shutil.which("node")
    if not node or not (JS_DIR / "node_modules" / "ical.js").is_dir():
        if os.environ.get("CI"):
            pytest.fail("node and tests/js/node_modules/ical.js are needed in CI")
        return None
    proc = subprocess.run(
        [node, str(JS_DIR / "expand.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return sorted((parse(o["start"]), parse(o["end"])) for o in json.loads(proc.stdout))


def test_a_changed_slot_raises_sequence_and_readers_see_new_dates(
    first_run: tuple[Path, Path], tmp_path: Path
) -> None:
    examples, first = first_run
    sessions = _rows(first / "sessions.csv")
    cohort = sessions[0]["cohort_id"]
    member = sorted(_cohorts(first)[cohort])[0]
    day = datetime.fromisoformat(sessions[0]["start"]).strftime("%a")
    others = [d for d in ("Mon", "Tue", "Wed", "Thu", "Fri") if d != day]
    people = tmp_path / "participants.csv"
    # The member can no longer come on the cohort's weekday: keeping them means a new slot.
    windows = "; ".join(f"{d} 08:00-18:00" for d in others)
    _edit_people(examples, people, leave=0, join=0, who=member, availability=windows)
    out = tmp_path / "repaired"
    _invoke(
        "repair",
        "--previous-run",
        first,
        *_inputs(examples, people),
        "--out",
        out,
        "--time-limit",
        LIMIT,
        "--deterministic",  # reproducible: the repair was deterministic by default
    )
    assert _cohorts(out)[cohort] == _cohorts(first)[cohort]  # nobody moved: the cohort moved
    new = (out / "calendars" / f"{cohort}.ics").read_bytes()
    old = (first / "calendars" / f"{cohort}.ics").read_bytes()
    assert _sequences(old) == {0} and _sequences(new) == {1}
    assert re.findall(rb"^UID:.*$", new, re.M)[0] == re.findall(rb"^UID:.*$", old, re.M)[0]
    expected = _sessions(out, cohort)
    assert expected != _sessions(first, cohort)
    events = recurring_ical_events.of(Calendar.from_ical(new)).between(
        datetime(1990, 1, 1), datetime(2100, 1, 1)
    )
    got = sorted(
        (e.decoded("DTSTART").astimezone(UTC), e.decoded("DTEND").astimezone(UTC)) for e in events
    )
    assert got == expected
    by_js = _icaljs(out / "calendars" / f"{cohort}.ics")
    if by_js is not None:
        assert by_js == expected
    changes = _rows(out / "changes.csv")
    assert changes == []


def test_repair_honours_locks_and_rejects_a_breaking_pair(
    first_run: tuple[Path, Path], tmp_path: Path
) -> None:
    examples, first = first_run
    people = tmp_path / "participants.csv"
    _edit_people(examples, people, leave=0, join=2)
    before = _cohorts(first)
    target = sorted(before)[1]
    locks = tmp_path / "locks.csv"
    locks.write_text(f"participant_id,cohort_id\nN001,{target}\n")
    out = tmp_path / "repaired"
    _invoke(
        "repair",
        "--previous-run",
        first,
        *_inputs(examples, people),
        "--locks",
        locks,
        "--out",
        out,
        "--time-limit",
        LIMIT,
        "--deterministic",  # reproducible: the repair was deterministic by default
    )
    assert "N001" in _cohorts(out)[target]
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("person_a,person_b,rule\nP095,P031,together\n")
    bad = CliRunner().invoke(
        main,
        [
            str(a)
            for a in (
                "repair",
                "--previous-run",
                first,
                *_inputs(examples, people),
                "--pairs",
                pairs,
                "--out",
                tmp_path / "x",
            )
        ],
    )
    assert bad.exit_code == 1 and "[neutrality]" in bad.stderr
    assert not (tmp_path / "x").exists()


def test_a_repair_the_rules_forbid_names_the_rule_and_people(
    first_run: tuple[Path, Path], tmp_path: Path
) -> None:
    examples, first = first_run
    rows = _rows(examples / "participants.csv")
    people = tmp_path / "participants.csv"
    # Everyone at level 5 stays, with only two people at level 4 left to sit with.
    seniors = [r for r in rows if r["level"] in ("5", "Vice President")]
    kept = seniors[:4] + [r for r in rows if r["level"] in ("1", "Team Lead")][:10]
    with people.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(dict(r, manager_id="") for r in kept)
    config = examples / "program.toml"
    result = CliRunner().invoke(
        main,
        [
            str(a)
            for a in (
                "repair",
                "--previous-run",
                first,
                people,
                "--config",
                config,
                "--out",
                tmp_path / "x",
            )
        ],
    )
    assert result.exit_code == 3, result.output
    assert "[level]" in result.stderr and seniors[0]["id"] in result.stderr
    assert not (tmp_path / "x").exists()


def test_merge_below_dissolves_a_shrunk_cohort_and_moves_no_one_else_needlessly(
    first_run: tuple[Path, Path], tmp_path: Path
) -> None:
    examples, first = first_run
    before = _cohorts(first)
    rows = _rows(examples / "participants.csv")
    linked = (examples / "history.csv").read_text() + " ".join(r["manager_id"] for r in rows)
    # The cohort with the most people who can leave without breaking a reference.
    free = {c: sorted(m for m in ms if m not in linked) for c, ms in before.items()}
    shrunk = max(sorted(free), key=lambda c: len(free[c]))
    assert len(free[shrunk]) >= 4 and len(before[shrunk]) - 4 < 6
    gone = set(free[shrunk][:4])
    people = tmp_path / "participants.csv"
    with people.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["id"] not in gone)
    out = tmp_path / "merged"
    _invoke(
        "repair", "--previous-run", first, *_inputs(examples, people),
        "--out", out, "--time-limit", LIMIT, "--merge-below", "6",
        "--deterministic",  # reproducible: the repair was deterministic by default
    )  # fmt: skip
    after = _cohorts(out)
    assert shrunk not in after  # dissolved
    stayed = before[shrunk] - gone
    changes = {r["participant_id"]: r for r in _rows(out / "changes.csv")}
    for pid in stayed:
        assert changes[pid]["change"] == "moved"
        assert changes[pid]["reason"] == f"cohort {shrunk} merged: fewer than 6 members"
    others_moved = [
        pid for pid, r in changes.items() if r["change"] == "moved" and pid not in stayed
    ]
    # Other cohorts have room for the few people of the merged one: nobody else needs to move.
    assert others_moved == []
    scratch = tmp_path / "scratch"
    _invoke(
        "run", *_inputs(examples, people), "--out", scratch, "--time-limit", LIMIT,
        "--deterministic", "-q",
    )  # fmt: skip
    assert _moves(before, _cohorts(scratch)) >= 5 * len(stayed)
