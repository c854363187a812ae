"""`peermatch invite` against a real SMTP server: messages, calendars, ledger, resumption, .eml, dry run."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar
from invite_helpers import (
    HOSTILE,
    attachment,
    attendees,
    body,
    calendar_part,
    expand_icaljs,
    invoke,
    ledger,
    parse,
    run_record,
    sessions,
    uid_cohort,
)

SENDER = "Programme Office <office@example.org>"

#: The fixtures folder, program_run and smtp_server.
pytest_plugins = ["invite_fixtures"]


def _starts(cal: Calendar) -> list[datetime]:
    events = recurring_ical_events.of(cal).between(datetime(2026, 1, 1), datetime(2029, 1, 1))
    return sorted(e["DTSTART"].dt.astimezone(UTC) for e in events)


def test_one_invitation_per_recipient_and_cohort(folder: Path, smtp_server) -> None:
    recorder, server = smtp_server()
    text = invoke("invite", folder, "--from", SENDER, "--smtp", server)
    expected = attendees(folder)
    assert f"{len(expected)} messages sent" in text
    got = []
    starts = sessions(folder)
    for mail_from, rcpts, raw in recorder.messages:
        msg = parse(raw)
        (to,) = msg["To"].addresses
        assert rcpts == [to.addr_spec]
        assert mail_from == "office@example.org"
        assert msg["From"].addresses[0].display_name == "Programme Office"
        part = calendar_part(msg)
        assert part.get_param("method") == "REQUEST"
        assert part.get_content_charset() == "utf-8"
        data = part.get_payload(decode=True)
        assert attachment(msg).get_payload(decode=True) == data
        cal = Calendar.from_ical(data)
        assert str(cal["METHOD"]) == "REQUEST"
        (uid,) = {str(e["UID"]) for e in cal.walk("VEVENT")}
        cohort = uid_cohort(uid)
        # The folder's own calendar, byte for byte (same UID, SEQUENCE, VTIMEZONE).
        assert data == (folder / "calendars" / f"{cohort}.ics").read_bytes()
        master = next(e for e in cal.walk("VEVENT") if "RECURRENCE-ID" not in e)
        invited = {str(a).removeprefix("mailto:") for a in master["ATTENDEE"]}
        assert to.addr_spec in invited
        assert _starts(cal) == starts[cohort]
        got.append((to.addr_spec, cohort))
    assert len(got) == len(set(got))
    assert set(got) == expected
    # F1 leads two cohorts: two messages, one per cohort.
    assert sorted(c for a, c in got if a == "fay@coach.example") == ["C01", "C02"]


def test_body_gives_times_in_the_recipients_own_zone(folder: Path, smtp_server) -> None:
    recorder, server = smtp_server()
    invoke("invite", folder, "--from", SENDER, "--smtp", server)
    people = {p["email"]: p for p in run_record(folder)["problem"]["participants"]}
    starts = sessions(folder)
    checked = set()
    for _, (rcpt,), raw in recorder.messages:
        person = people.get(rcpt)
        if person is None:
            continue
        msg = parse(raw)
        cohort = _uid(msg)
        zone = ZoneInfo(person["timezone"])
        plain, html = body(msg, "plain"), body(msg, "html")
        for start in starts[cohort]:
            local = start.astimezone(zone)
            assert f"{local:%d %b %Y}, {local:%H:%M}-" in plain
            assert f"{local:%d %b %Y}, {local:%H:%M}-" in html
        assert "Trust" in plain and "Change" in plain
        assert f"times in {person['timezone']}" in plain
        checked.add(person["timezone"])
    assert checked == {"Europe/London", "Europe/Paris", "America/New_York"}


def _uid(msg: EmailMessage) -> str:
    """The cohort id of a message's calendar."""
    cal = Calendar.from_ical(calendar_part(msg).get_payload(decode=True))
    return uid_cohort(str(cal.walk("VEVENT")[0]["UID"]))


def test_icaljs_reads_the_invitation_calendar(folder: Path, smtp_server, tmp_path: Path) -> None:
    recorder, server = smtp_server()
    invoke("invite", folder, "--from", SENDER, "--smtp", server)
    starts = sessions(folder)
    seen = set()
    for _, _, raw in recorder.messages:
        msg = parse(raw)
        cohort = _uid(msg)
        if cohort in seen:
            continue
        seen.add(cohort)
        path = tmp_path / f"{cohort}.ics"
        path.write_bytes(calendar_part(msg).get_payload(decode=True))
        occurrences = expand_icaljs(path)
        assert {uid for uid, _ in occurrences} == {f"circles-test-{cohort}@peermatch"}
        assert [start for _, start in occurrences] == starts[cohort]
    assert seen == set(starts)


def test_refusal_after_k_stops_with_exit_6_and_a_rerun_sends_the_rest(
    folder: Path, smtp_server
) -> None:
    k = 5
    busy, server = smtp_server(accept=k)
    text = invoke("invite", folder, "--from", SENDER, "--smtp", server, code=6)
    total = len(attendees(folder))
    assert f"after {k} of {total} messages" in text
    assert "451" in text and "run the same command again" in text
    assert len(busy.messages) == k and busy.refused == 1
    entries = ledger(folder)
    assert len(entries) == k
    first = {
        (parse(raw)["To"].addresses[0].addr_spec, _uid(parse(raw))) for *_, raw in busy.messages
    }
    assert {(e["recipient"], e["cohort_id"]) for e in entries} == first
    # Each entry's digest is the sha256 of the calendar the server accepted.
    digests = {
        "sha256:" + hashlib.sha256(calendar_part(parse(raw)).get_payload(decode=True)).hexdigest()
        for *_, raw in busy.messages
    }
    assert {e["digest"] for e in entries} == digests
    assert all(e["method"] == "REQUEST" and e["sequence"] == 0 for e in entries)

    willing, server = smtp_server()
    invoke("invite", folder, "--from", SENDER, "--smtp", server)
    rest = {
        (parse(raw)["To"].addresses[0].addr_spec, _uid(parse(raw))) for *_, raw in willing.messages
    }
    assert len(willing.messages) == total - k
    assert rest.isdisjoint(first)
    assert rest | first == attendees(folder)
    assert len(ledger(folder)) == total


def test_a_second_run_sends_nothing(folder: Path, smtp_server) -> None:
    recorder, server = smtp_server()
    invoke("invite", folder, "--from", SENDER, "--smtp", server)
    before = (folder / "invitations.json").read_bytes()
    again, server = smtp_server()
    text = invoke("invite", folder, "--from", SENDER, "--smtp", server)
    assert again.messages == []
    assert f"0 messages sent (0 cancellations); {len(recorder.messages)} already sent" in text
    assert (folder / "invitations.json").read_bytes() == before


def test_hostile_names_are_encoded_and_add_no_header(folder: Path, smtp_server) -> None:
    recorder, server = smtp_server()
    invoke("invite", folder, "--from", SENDER, "--smtp", server)
    by_rcpt = {rcpts[0]: raw for _, rcpts, raw in recorder.messages}
    for pid, name in HOSTILE.items():
        raw = by_rcpt[f"{pid}@example.org"]
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii()  # RFC 2047 encoded words, no raw UTF-8 in headers
        msg = parse(raw)
        assert msg.defects == []
        # The CR/LF in a name started no header line: every line is a known header or a fold.
        assert not any(line.lower().startswith(b"bcc") for line in head.split(b"\r\n"))
        (to,) = msg["To"].addresses
        assert to.addr_spec == f"{pid}@example.org"
        assert to.display_name == " ".join(name.split())
        assert sorted(msg.keys()) == sorted(
            ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]
        )
    html = body(parse(by_rcpt["p05@example.org"]), "html")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Smith" in html
    assert "Org &lt;b&gt;&amp;amp; Co&lt;/b&gt;" in html


def test_eml_files_parse_and_a_rerun_writes_nothing(folder: Path, tmp_path: Path) -> None:
    eml = tmp_path / "eml"
    text = invoke("invite", folder, "--from", SENDER, "--eml", eml)
    files = sorted(eml.glob("*.eml"))
    assert len(files) == len(attendees(folder)) and f"{len(files)} messages written" in text
    found = set()
    for path in files:
        msg = parse(path.read_bytes())
        assert msg["X-Unsent"] == "1"
        assert calendar_part(msg).get_param("method") == "REQUEST"
        found.add((msg["To"].addresses[0].addr_spec, _uid(msg)))
        assert path.name.startswith(_uid(msg) + "_")
    assert found == attendees(folder)
    assert len(ledger(folder)) == len(files)
    invoke("invite", folder, "--from", SENDER, "--eml", eml)
    assert sorted(eml.glob("*.eml")) == files


def test_eml_default_folder_and_identical_bytes_under_a_fixed_clock(
    folder: Path, program_run: Path, tmp_path: Path
) -> None:
    invoke("invite", folder, "--from", SENDER)
    other = tmp_path / "again"
    shutil.copytree(program_run, other)
    invoke("invite", other, "--from", SENDER)
    first = {p.name: p.read_bytes() for p in (folder / "invitations").glob("*.eml")}
    second = {p.name: p.read_bytes() for p in (other / "invitations").glob("*.eml")}
    assert first and first == second
    assert b"Date: Fri, 01 Jan 2027 00:00:00 +0000" in next(iter(first.values()))


def test_dry_run_sends_and_writes_nothing(folder: Path, smtp_server) -> None:
    recorder, server = smtp_server()
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    text = invoke("invite", folder, "--from", SENDER, "--smtp", server, "--dry-run")
    assert recorder.messages == []
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    lines = [line for line in text.splitlines() if line.startswith("REQUEST 0 cohort ")]
    assert len(lines) == len(attendees(folder))
    assert any("cohort C02 to Fay Lead <fay@coach.example>" in line for line in lines)
    assert "nothing was sent or written" in text
    # A name's CR/LF is a space on the terminal too.
    assert "\r" not in text and "to Eve Bcc: victim@evil.example <p04@example.org>" in text
