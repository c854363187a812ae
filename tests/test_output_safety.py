"""Hostile text in every input column reaches no output as a formula, a calendar property or broken JSON.

An organiser's files come from forms anyone can fill in. Every CSV written is
read back with the standard csv module and no cell may start with a formula
trigger unless it is a plain number; every calendar is parsed back and must
hold exactly the events, properties and attendees peermatch meant, with the
hostile text intact as text; an output given back as ``--previous`` must name
the very same (hostile) ids.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from icalendar import Calendar
from openpyxl.utils import get_column_letter

from peermatch.cli import main
from peermatch.io import read_previous
from peermatch.io.safecsv import is_plain_number, restore

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")

NAME = '=HYPERLINK("http://evil.example","click")'
ORG = "@SUM(A1:A9) Holdings"
NOTE = "+1 555 0100 call me"
# A CRLF in a name must not start a property of its own.
FAC_NAME = '-Fay "F"; ROLE=CHAIR:\r\nATTENDEE:mailto:evil@evil.example\r\nX-Y: z, \\'
PROGRAM = '=Leaders; Circle, "2027" \\ back\nEND:VCALENDAR'
# For report.html: markup in a name must reach the page as text.
SCRIPT = '=<script>alert("x")</script> <img src=x onerror=alert(1)>'
TOPIC = "@Feedback; candour, \\ and\r\nATTENDEE:mailto:evil@evil.example"


def _participants(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        pid = ["-P", "=P", "+P", "@P"][i % 4] + str(i)
        rows.append(
            [
                pid,
                {0: NAME, 2: SCRIPT}.get(i, f"{['-', '=', '@', '+'][i % 4]}Person {i}; x, y"),
                f"=1+{i}@example.org" if i % 2 else f"-p{i}@example.org",
                f"{ORG} {i}" if i % 2 else f"-Org {i}",
                ["-Manager", "=Director"][i % 2],
                f"+Industry {i % 3}",
                f"-Function {i % 2}",
                "=cmd|' /C calc'!A0" if i == 1 else "",
                NOTE if i % 3 else "-3",
            ]
        )
    return rows


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


CONFIG = f"""
[program]
name = {json.dumps(PROGRAM)}
id = "hostile-2027"

[cohort]
min_size = 3
max_size = 4
target_size = 4
max_level_gap = 1
levels = ["-Manager", "=Director"]

[diversity]
industry = 1.0
"@notes" = 0.5

[schedule]
start_date = "2027-01-11"
sessions = 3
cadence_weeks = 2
topics = [{json.dumps(TOPIC)}, "=2+5", "-"]
"""


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[list[str]]]:
    d = tmp_path_factory.mktemp("hostile")
    people = _participants(12)
    participants = _write(
        d / "participants.csv",
        ["id", "name", "email", "organisation", "level", "industry", "function",
         "manager_id", "@Notes"],
        people,
    )  # fmt: skip
    facilitators = _write(
        d / "facilitators.csv",
        ["id", "name", "email", "organisation", "max_cohorts"],
        [
            ["=F1", FAC_NAME, "-fay@coach.example", "+Coaching; Ltd", "2"],
            ["@F2", "@Finn", "=finn@coach.example", "-Other", "2"],
        ],
    )
    config = d / "program.toml"
    config.write_text(CONFIG, encoding="utf-8")
    out = d / "out"
    result = CliRunner().invoke(
        main,
        ["run", str(participants), "--facilitators", str(facilitators), "--config", str(config),
         "--out", str(out), "--time-limit", "2", "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return out, participants, people


def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_no_csv_cell_can_run_as_a_formula(hostile_run: tuple[Path, Path, list[list[str]]]) -> None:
    out, _, _ = hostile_run
    files = sorted(out.rglob("*.csv"))
    assert {p.name for p in files} == {"cohorts.csv", "sessions.csv", "unassigned.csv"}
    for path in files:
        rows = _cells(path)
        width = len(rows[0])
        for row in rows:
            assert len(row) == width, (path.name, row)
            for cell in row:
                risky = cell.lstrip(" ")[:1] in TRIGGERS and cell.lstrip(" ") != ""
                assert not risky or is_plain_number(cell), (path.name, cell)


def test_hostile_values_are_kept_as_text(hostile_run: tuple[Path, Path, list[list[str]]]) -> None:
    out, _, people = hostile_run
    rows = _cells(out / "cohorts.csv")
    header = rows[0]
    assert header[-1] == "'@notes"  # extra attribute columns: the header is text too
    by_id = {r[1]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert set(by_id) == {"'" + p[0] for p in people}
    first = by_id["'-P0"]
    assert first["name"] == "'" + NAME and first["organisation"] == "'-Org 0"
    assert first["email"] == "'-p0@example.org" and first["level"] == "'-Manager"
    assert first["industry"] == "'+Industry 0" and first["'@notes"] == "-3"  # a number stays
    assert by_id["'=P1"]["'@notes"] == "'" + NOTE and by_id["'=P1"]["organisation"] == f"'{ORG} 1"
    sessions = _cells(out / "sessions.csv")
    topics = {r[-1] for r in sessions[1:]}
    assert topics == {"'" + TOPIC, "'=2+5", "'-"}
    assert {r[5] for r in sessions[1:]} <= {"'=F1", "'@F2"}


def test_outputs_read_back_name_the_same_ids(
    hostile_run: tuple[Path, Path, list[list[str]]], tmp_path: Path
) -> None:
    out, participants, people = hostile_run
    ids = {p[0] for p in people}
    links = read_previous(out / "cohorts.csv", ids)
    placed = {m for link in links for m in (link.a, link.b)}
    assert placed == ids  # every id maps back (cohorts of 3 or 4: everyone has a cohort-mate)
    by_cohort: dict[str, set[str]] = {}
    for row in _cells(out / "cohorts.csv")[1:]:
        by_cohort.setdefault(row[0], set()).add(row[1][1:])
    assert {frozenset((link.a, link.b)) for link in links} == {
        frozenset((a, b))
        for members in by_cohort.values()
        for a in members
        for b in members
        if a < b
    }
    result = CliRunner().invoke(
        main,
        ["validate", str(participants), "--previous", str(out / "cohorts.csv"),
         "--config", str(participants.parent / "program.toml")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{len(links)} history links" in result.output


def _unescape(text: str) -> str:
    """RFC 5545 3.3.11 TEXT unescaping, written out here rather than taken from icalendar."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], text)


def _unfolded(raw: bytes) -> list[str]:
    return raw.decode("utf-8").replace("\r\n ", "").split("\r\n")


def test_calendars_hold_hostile_text_as_text(
    hostile_run: tuple[Path, Path, list[list[str]]],
) -> None:
    out, _, people = hostile_run
    emails = {p[2] for p in people} | {"-fay@coach.example", "=finn@coach.example"}
    # RFC 6868 has one newline (^n): a CRLF in a name comes back as "\n".
    names = {p[1] for p in people} | {FAC_NAME.replace("\r\n", "\n"), "@Finn"}
    allowed = {
        "BEGIN", "END", "PRODID", "VERSION", "CALSCALE", "METHOD", "X-WR-CALNAME", "TZID",
        "DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "TZNAME", "UID", "DTSTAMP", "SEQUENCE",
        "ORGANIZER", "ATTENDEE", "DTEND", "RRULE", "SUMMARY", "DESCRIPTION", "RECURRENCE-ID",
    }  # fmt: skip
    calendars = sorted(out.rglob("*.ics"))
    assert calendars
    descriptions: list[str] = []
    for path in calendars:
        raw = path.read_bytes()
        for line in _unfolded(raw)[:-1]:
            name = line.split(":", 1)[0].split(";", 1)[0]
            assert name in allowed, (path.name, line)
        cal = Calendar.from_ical(raw)
        # icalendar leaves an X- property's TEXT escaped on reading; calendar clients do not.
        assert _unescape(str(cal["X-WR-CALNAME"])).startswith(PROGRAM + ":")
        for event in cal.walk("VEVENT"):
            attendees = event.get("ATTENDEE")
            attendees = attendees if isinstance(attendees, list) else [attendees]
            for a in [*attendees, event["ORGANIZER"]]:
                assert str(a).removeprefix("mailto:") in emails or "noreply" in str(a), str(a)
                cn = a.params["CN"]
                assert cn in names or cn == PROGRAM, cn
            assert "evil@evil.example" not in {str(a) for a in attendees}
            assert str(event["SUMMARY"]).startswith(PROGRAM + ": cohort ")
            description = str(event["DESCRIPTION"])
            assert description.startswith(PROGRAM + "\n")
            descriptions.append(description)
    for topic in (TOPIC.replace("\r\n", "\n"), "=2+5", "-"):
        assert any(f"Topic: {topic}\n" in d for d in descriptions), topic


def test_report_html_shows_markup_as_text(
    hostile_run: tuple[Path, Path, list[list[str]]],
) -> None:
    out, _, _ = hostile_run
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_summary_json_is_json(hostile_run: tuple[Path, Path, list[list[str]]]) -> None:
    out, _, people = hostile_run
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert data["program"] == {"id": "hostile-2027", "name": PROGRAM}
    assert data["participants"] == len(people) == data["placed"] + data["unassigned"]


def test_tab_cr_and_control_characters_from_the_library(tmp_path: Path) -> None:
    """Values the CSV readers would strip can still come through the library: tabs, CRs, controls."""
    from datetime import date

    from peermatch.io.writers import write_outputs
    from peermatch.model import Participant, ProblemData, ProgramConfig, ScheduleRules
    from peermatch.schedule import Slot, session_times
    from peermatch.solution import Cohort, Result, Solution, Status, Unassigned

    rules = ScheduleRules(start_date=date(2027, 1, 11), sessions=2, topics=["\t=1+1", "\r@x"])
    people = [
        Participant(id=f"p{i}", name=f"Ann\x0bLee\x1b[31m {i}", email=f"p{i}@example.org",
                    organisation=f"O{i}", level=1, attributes={"notes": "a\tb"})
        for i in range(4)
    ]  # fmt: skip
    problem = ProblemData(participants=people, config=ProgramConfig(schedule=rules))
    slot = Slot(zone="Europe/London", weekday=0, start_minute=600)
    cohort = Cohort(id="\t-C1", members=("p0", "p1", "p2"), slot=slot,
                    sessions=session_times(rules, slot))  # fmt: skip
    solution = Solution(
        cohorts=(cohort,), unassigned=(Unassigned(participant_id="p3", reason="\r=cmd|' /C calc'"),)
    )
    write_outputs(tmp_path / "out", problem, Result(status=Status.FEASIBLE, solution=solution))
    out = tmp_path / "out"
    assert _cells(out / "unassigned.csv")[1] == ["p3", "'\r=cmd|' /C calc'"]
    assert {r[0] for r in _cells(out / "cohorts.csv")[1:]} == {"'\t-C1"}
    assert [r[-1] for r in _cells(out / "sessions.csv")[1:]] == ["'\t=1+1", "'\r@x"]
    (ics,) = (out / "calendars").glob("*.ics")
    raw = ics.read_bytes()
    assert b"\x0b" not in raw and b"\x1b" not in raw  # RFC 5545: no controls in TEXT
    cal = Calendar.from_ical(raw)
    cns = {str(a.params["CN"]) for e in cal.walk("VEVENT") for a in e["ATTENDEE"]}
    assert cns == {f"AnnLee[31m {i}" for i in range(3)}


def _icaljs_texts(path: Path) -> dict[str, Any]:
    """The calendar's texts and people as ical.js (Thunderbird's parser) reads them."""
    js = Path(__file__).resolve().parent / "js"
    node = shutil.which("node")
    if not node or not (js / "node_modules" / "ical.js" / "package.json").is_file():
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail("node or ical.js is missing; CI must run .ci/install-node-deps first")
        pytest.skip("node or tests/js/node_modules/ical.js is missing (run .ci/install-node-deps)")
    proc = subprocess.run(
        [node, str(js / "texts.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_a_second_parser_reads_the_same_texts(
    hostile_run: tuple[Path, Path, list[list[str]]],
) -> None:
    """ical.js, not icalendar, unescapes what peermatch escaped: the very same hostile texts."""
    out, _, people = hostile_run
    names = {p[1] for p in people} | {FAC_NAME.replace("\r\n", "\n"), "@Finn", PROGRAM}
    emails = {p[2] for p in people} | {"-fay@coach.example", "=finn@coach.example"}
    topics = {TOPIC.replace("\r\n", "\n"), "=2+5", "-"}
    found: set[str] = set()
    for path in sorted(out.rglob("*.ics")):
        data = _icaljs_texts(path)
        assert _unescape(data["calname"]).startswith(PROGRAM + ": ")  # an X- property: raw
        for event in data["events"]:
            assert set(event["properties"]) <= {
                "attendee", "description", "dtend", "dtstamp", "dtstart", "organizer",
                "recurrence-id", "rrule", "sequence", "summary", "uid",
            }  # fmt: skip
            assert event["summary"].startswith(PROGRAM + ": cohort ")
            for person in [event["organizer"], *event["attendees"]]:
                assert person["cn"] in names, person
                address = person["value"].removeprefix("mailto:")
                assert address in emails or address.startswith("noreply@"), person
            found |= {t for t in topics if f"\nTopic: {t}\n" in event["description"]}
    assert found == topics


def test_the_report_reads_changes_csv_back_as_written(
    hostile_run: tuple[Path, Path, list[list[str]]],
) -> None:
    """changes.csv (repair) is written through the same helper; the report must undo it."""
    from peermatch.io.safecsv import csv_bytes
    from peermatch.report.folder import CHANGES_FILE, parse_folder

    out, _, _ = hostile_run
    files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    rows = [["-P0", "moved", "=C1", "@C2", NOTE], ["=P1", "left", "+C3", "", "-3"]]
    header = ["participant_id", "change", "from_cohort", "to_cohort", "reason"]
    files[CHANGES_FILE] = csv_bytes(header, rows)
    assert files[CHANGES_FILE].splitlines()[1] == b"'-P0,moved,'=C1,'@C2,'+1 555 0100 call me"
    folder = parse_folder(files)
    assert [list(c.values()) for c in folder.changes] == rows


def test_the_workbook_holds_the_csv_tables_as_text_never_a_formula(
    hostile_run: tuple[Path, Path, list[list[str]]],
) -> None:
    out, _, _ = hostile_run
    # Not data_only: a formula cell would read as its formula, with data_type "f".
    book = openpyxl.load_workbook(out / "cohorts.xlsx")
    assert book.sheetnames == ["Cohorts", "Sessions", "Unassigned"]
    for sheet, name in zip(book.worksheets, ("cohorts", "sessions", "unassigned"), strict=True):
        # Line breaks are Excel's (\n); everything else exactly the CSV's value.
        expected = [
            [restore(c).replace("\r\n", "\n") for c in row] for row in _cells(out / f"{name}.csv")
        ]
        cells = list(sheet.iter_rows())
        assert [["" if c.value is None else str(c.value) for c in row] for row in cells] == [
            row + [""] * (sheet.max_column - len(row)) for row in expected
        ]
        assert not [c.coordinate for row in cells for c in row if c.data_type == "f"]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(expected[0]))}{len(expected)}"
    names = [row[2].value for row in book["Cohorts"].iter_rows(min_row=2)]
    assert NAME in names  # the hostile name is a text cell holding exactly that text
    [cell] = [row[2] for row in book["Cohorts"].iter_rows(min_row=2) if row[2].value == NAME]
    assert cell.data_type == "s"
    with zipfile.ZipFile(out / "cohorts.xlsx") as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(re.search(rb"<f[ >]", archive.read(n)) for n in sheets)
