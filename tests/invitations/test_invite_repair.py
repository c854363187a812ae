"""After a repair that moves one person and removes one, `invite` sends only the differences."""

from __future__ import annotations

import csv
from pathlib import Path

from icalendar import Calendar
from invite_helpers import (
    attendees,
    calendar_part,
    invoke,
    ledger,
    parse,
    write_inputs,
)

SENDER = "office@example.org"

#: The fixtures folder, program_run and smtp_server.
pytest_plugins = ["invite_fixtures"]


def _cohorts(out: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with (out / "cohorts.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            found.setdefault(row["cohort_id"], set()).add(row["email"])
    return found


def _received(
    messages: list[tuple[str, list[str], bytes]],
) -> list[tuple[str, str, str, int, Calendar]]:
    """(recipient, cohort, method, sequence, calendar) of each message."""
    out = []
    for _, (rcpt,), raw in messages:
        part = calendar_part(parse(raw))
        cal = Calendar.from_ical(part.get_payload(decode=True))
        assert str(cal["METHOD"]) == part.get_param("method")
        (uid,) = {str(e["UID"]) for e in cal.walk("VEVENT")}
        (sequence,) = {int(e["SEQUENCE"]) for e in cal.walk("VEVENT")}
        cohort = uid.removeprefix("circles-test-").removesuffix("@peermatch")
        out.append((rcpt, cohort, str(cal["METHOD"]), sequence, cal))
    return out


def test_after_a_repair_moved_and_removed_get_cancel_changed_get_update(
    folder: Path, smtp_server, tmp_path: Path
) -> None:
    first_server, server = smtp_server()
    invoke("invite", folder, "--from", SENDER, "--smtp", server)
    assert len(first_server.messages) == len(attendees(folder))

    before = _cohorts(folder)
    a, b, c = sorted(before)
    mover = sorted(before[a])[0]
    leaver = sorted(before[b])[0]
    locks = tmp_path / "locks.csv"
    locks.write_text(f"participant_id,cohort_id\n{mover.split('@')[0]},{b}\n", encoding="utf-8")
    inputs = write_inputs(tmp_path / "inputs", drop=frozenset({leaver.split("@")[0]}))
    repaired = tmp_path / "repaired"
    invoke("repair", "--previous-run", folder, *inputs, "--locks", locks, "--out", repaired, "--time-limit", 10)  # fmt: skip
    # The repair did what the test asks of it: one move, one removal, the third cohort untouched.
    after = _cohorts(repaired)
    assert after == {a: before[a] - {mover}, b: before[b] - {leaver} | {mover}, c: before[c]}
    assert (repaired / "invitations.json").read_bytes() == (
        folder / "invitations.json"
    ).read_bytes()
    unchanged = f"calendars/{c}.ics"
    assert (repaired / unchanged).read_bytes() == (folder / unchanged).read_bytes()

    recorder, server = smtp_server()
    text = invoke("invite", repaired, "--from", SENDER, "--smtp", server)
    got = _received(recorder.messages)
    cancels = {(r, co, s) for r, co, m, s, _ in got if m == "CANCEL"}
    requests = {(r, co, s) for r, co, m, s, _ in got if m == "REQUEST"}
    assert cancels == {(mover, a, 1), (leaver, b, 1)}
    lead = {co: r for r, co in attendees(repaired) if r.endswith("@coach.example")}
    expected = {(r, co, 1) for co in (a, b) for r in after[co] | {lead[co]}}
    assert requests == expected
    assert len(got) == len(cancels) + len(requests) == 2 + len(expected)
    assert "2 cancellations" in text
    assert all(co != c for _, co, *_ in got)  # the unchanged cohort: nothing
    subjects = {
        (rcpt[0], parse(raw)["Subject"].split(": ")[1]) for _, rcpt, raw in recorder.messages
    }
    for rcpt, co, method, _, _ in got:
        kind = "Cancelled" if method == "CANCEL" else "Invitation" if rcpt == mover else "Updated"
        assert (rcpt, kind) in subjects, (rcpt, co, method)
    for rcpt, _, method, sequence, cal in got:
        event = next(e for e in cal.walk("VEVENT") if "RECURRENCE-ID" not in e)
        if method == "CANCEL":
            assert str(event["STATUS"]) == "CANCELLED"
            invited = event["ATTENDEE"]
            invited = invited if isinstance(invited, list) else [invited]
            assert [str(x) for x in invited] == [f"mailto:{rcpt}"]  # only the person removed
            assert len(cal.walk("VEVENT")) == 1
            assert "DTSTART" in event  # the dates they had, from the ledger's template
        else:
            assert sequence > 0
    # The ledger now says what each has: a second run sends nothing.
    entries = {(e["recipient"], e["cohort_id"]): e for e in ledger(repaired)}
    assert entries[(mover, a)]["method"] == "CANCEL" and entries[(mover, b)]["method"] == "REQUEST"
    again, server = smtp_server()
    invoke("invite", repaired, "--from", SENDER, "--smtp", server)
    assert again.messages == []
