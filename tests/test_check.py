"""`peermatch check`: hand-edited cohorts (CSV or XLSX) re-checked, and written back with --write."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from click.testing import Result as CliResult
from icalendar import Calendar

from conftest import PARTICIPANT_HEADER
from peermatch.cli import main
from peermatch.io.safecsv import restore
from peermatch.report import read_folder

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}


def _invoke(*args: object) -> CliResult:
    result = CliRunner().invoke(main, [str(a) for a in args], env=EPOCH)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def _people(n: int, orgs: int) -> list[str]:
    # Ids start with formula characters: cohorts.csv neutralises them ('=p1), check reads them back.
    return [
        f"{'=-'[i % 2]}p{i},Person {i},p{i}@example.org,Org {i % orgs},2,Industry {i % 3},"
        f"Function {i % 4},,Europe/London,Mon-Fri 09:00-17:00"
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def base_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 people of 12 organisations (two each) in 3 cohorts of 8: one per organisation."""
    d = tmp_path_factory.mktemp("check")
    people = d / "participants.csv"
    people.write_text("\n".join([PARTICIPANT_HEADER, *_people(24, 12)]) + "\n", encoding="utf-8")
    config = d / "program.toml"
    config.write_text("[cohort]\nmin_size = 7\nmax_size = 9\ntarget_size = 8\n", encoding="utf-8")
    out = d / "base"
    done = _invoke("run", people, "--config", config, "--out", out, "--time-limit", "2",
                   "--deterministic", "-q")  # fmt: skip
    assert done.exit_code == 0, done.output
    return out


def _copy(base: Path, to: Path) -> Path:
    shutil.copytree(base, to)
    return to


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _org_mates(out: Path) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two people of one organisation, (id, cohort) each, in different cohorts (ids as meant)."""
    folder = read_folder(out)
    assert folder.solution is not None
    where = folder.solution.cohort_of()
    by_org: dict[str, list[str]] = {}
    for p in folder.problem.participants:
        by_org.setdefault(p.organisation, []).append(p.id)
    a, b = by_org["Org 1"]
    assert where[a] != where[b]  # at most one per organisation and cohort
    return (a, where[a]), (b, where[b])


def _edit_csv(out: Path, moves: dict[str, str]) -> None:
    """Edit out/cohorts.csv as a spreadsheet user would: change the cohort_id cells of people."""
    rows = _rows(out / "cohorts.csv")
    for row in rows:
        # The ids were written neutralised ('=p1): a user edits the row they see.
        pid = restore(row["participant_id"])
        row["cohort_id"] = moves.get(pid, row["cohort_id"])
    _write_rows(out / "cohorts.csv", rows)


def _calendars(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "calendars").glob("*.ics"))}


def _uids_and_sequences(data: bytes) -> tuple[set[str], set[int]]:
    events = Calendar.from_ical(data).walk("VEVENT")
    return {str(e["UID"]) for e in events}, {int(e.get("SEQUENCE", 0)) for e in events}


def test_an_untouched_folder_checks_clean(base_run: Path, tmp_path: Path) -> None:
    out = _copy(base_run, tmp_path / "out")
    result = _invoke("check", out)
    assert result.exit_code == 0, result.output
    assert "every rule holds" in result.stdout and "nothing changed" in result.stdout
    xlsx = _invoke("check", out, "--cohorts", out / "cohorts.xlsx")
    assert xlsx.exit_code == 0 and xlsx.stdout == result.stdout


def test_two_people_of_one_organisation_together_exit_3_naming_both(
    base_run: Path, tmp_path: Path
) -> None:
    out = _copy(base_run, tmp_path / "out")
    (a, _), (b, b_cohort) = _org_mates(out)
    _edit_csv(out, {a: b_cohort})
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = _invoke("check", out, "--write")
    assert result.exit_code == 3, result.output
    broken = [line for line in result.stderr.splitlines() if "[organisation]" in line]
    assert broken and f"cohort {b_cohort}" in broken[0]
    assert f"{a} (Person 1, Org 1)" in result.stderr and f"{b} (Person 13, Org 1)" in result.stderr
    assert "nothing was written" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_valid_edit_is_written_back_whole(base_run: Path, tmp_path: Path) -> None:
    out = _copy(base_run, tmp_path / "out")
    (out / "invitations.json").write_text('{"sent": []}\n', encoding="utf-8")
    (a, a_cohort), (b, b_cohort) = _org_mates(out)
    _edit_csv(out, {a: b_cohort, b: a_cohort})  # swap the two: every rule still holds
    old = _calendars(out)
    dry = _invoke("check", out)
    assert dry.exit_code == 0, dry.output
    assert (
        "every rule holds" in dry.stdout and "2 moved" in dry.stdout and "objective" in dry.stdout
    )
    assert _calendars(out) == old  # without --write nothing is written
    done = _invoke("check", out, "--write")
    assert done.exit_code == 0, done.output
    new = _calendars(out)
    assert new.keys() == old.keys()
    changed = {name for name in old if new[name] != old[name]}
    assert changed == {f"{a_cohort}.ics", f"{b_cohort}.ics"}
    for name in changed:
        (old_uids, old_seq), (new_uids, new_seq) = map(_uids_and_sequences, (old[name], new[name]))
        assert new_uids == old_uids and new_seq == {max(old_seq) + 1}
    assert {(restore(r["participant_id"]), r["change"], r["from_cohort"], r["to_cohort"], r["reason"])
            for r in _rows(out / "changes.csv")} == {
        (a, "moved", a_cohort, b_cohort, "moved by hand"),
        (b, "moved", b_cohort, a_cohort, "moved by hand"),
    }  # fmt: skip
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "moved by hand" in report and a in report
    folder = read_folder(out)  # run.json holds the edited state
    assert folder.solution is not None and folder.solution.cohort_of()[a] == b_cohort
    book = openpyxl.load_workbook(out / "cohorts.xlsx")
    assert book.sheetnames == ["Cohorts", "Sessions", "Unassigned", "Changes"]
    assert (out / "invitations.json").read_text(encoding="utf-8") == '{"sent": []}\n'
    again = _invoke("check", out)
    assert again.exit_code == 0 and "nothing changed" in again.stdout


def test_editing_the_workbook_works_the_same(base_run: Path, tmp_path: Path) -> None:
    (a, a_cohort), (b, b_cohort) = _org_mates(base_run)
    by_csv = _copy(base_run, tmp_path / "csv")
    _edit_csv(by_csv, {a: b_cohort, b: a_cohort})
    assert _invoke("check", by_csv, "--write").exit_code == 0
    by_book = _copy(base_run, tmp_path / "book")
    book = openpyxl.load_workbook(by_book / "cohorts.xlsx")
    sheet = book["Cohorts"]
    for row in sheet.iter_rows(min_row=2):
        row[0].value = {a: b_cohort, b: a_cohort}.get(row[1].value, row[0].value)
    book.save(by_book / "cohorts.xlsx")
    done = _invoke("check", by_book, "--cohorts", by_book / "cohorts.xlsx", "--write")
    assert done.exit_code == 0, done.output

    def files(out: Path) -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    assert files(by_book) == files(by_csv)


def test_unknown_people_and_cohorts_and_repeats_exit_1(base_run: Path, tmp_path: Path) -> None:
    (a, a_cohort), (b, _) = _org_mates(base_run)
    folder = read_folder(base_run)
    assert folder.solution is not None
    cohorts = ", ".join(sorted(c.id for c in folder.solution.cohorts))
    edited = tmp_path / "edited.csv"
    edited.write_text(
        f"cohort_id,participant_id\n{a_cohort},'{a}\n{a_cohort},'{a}\n"
        f"{a_cohort},nobody\nC99,'{b}\n",
        encoding="utf-8",
    )
    result = _invoke("check", base_run, "--cohorts", edited)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[:3] == [
        f"{edited}:3:participant_id: '{a}' appears twice (also on row 2)",
        f"{edited}:4:participant_id: 'nobody' is not a participant of this run",
        f"{edited}:5:cohort_id: cohort 'C99' does not exist in this run (its cohorts: "
        f"{cohorts}); a new cohort needs a slot and sessions: use peermatch run or repair",
    ]
