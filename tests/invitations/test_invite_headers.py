"""Header safety of invitation e-mails (any name, any cohort id), addresses, and the command's errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invite_helpers import (
    calendar_part,
    invoke,
    parse,
)

from peermatch.invitations.messages import (
    AddressError,
    Letter,
    build_message,
    header_text,
    parse_sender,
)
from peermatch.invitations.planning import PlannedMessage

CALENDAR = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nMETHOD:REQUEST\r\n"
    b"BEGIN:VEVENT\r\nUID:u@peermatch\r\nDTSTAMP:20270101T000000Z\r\nSEQUENCE:0\r\n"
    b"DTSTART:20270301T140000Z\r\nDTEND:20270301T153000Z\r\nSUMMARY:S\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)
HEADERS = ["Content-Type", "Date", "From", "MIME-Version", "Message-ID", "Subject", "To"]

#: The fixtures folder, program_run and smtp_server.
pytest_plugins = ["invite_fixtures"]


def _message(name: str, cohort: str, program: str = "Circles", member: str = "M") -> bytes:
    item = PlannedMessage("ana@example.org", name, cohort, "u@peermatch", "REQUEST", 0, "new")
    facts = Letter(
        program, cohort, member, ((member, member),), ((1, "Mon", member),), "UTC", "member"
    )
    msg = build_message(
        item,
        CALENDAR,
        facts,
        sender=parse_sender("Office <office@example.org>"),
        when=datetime(2027, 1, 1, tzinfo=UTC),
        calendar_digest="sha256:0",
    )
    return msg.as_bytes()


def _squeeze(text: str) -> str:
    return "".join(header_text(text).split())


@settings(max_examples=200, deadline=None)
@given(
    name=st.text(max_size=80), cohort=st.text(min_size=1, max_size=30), program=st.text(max_size=40)
)
def test_no_name_or_cohort_id_can_add_a_header(name: str, cohort: str, program: str) -> None:
    raw = _message(name, cohort, program, member=name)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    msg = parse(raw)
    assert sorted(msg.keys()) == HEADERS
    (to,) = msg["To"].addresses
    assert to.addr_spec == "ana@example.org"
    # Text survives; whitespace next to RFC 2047 encoded words may not (the email
    # package's folding), which is cosmetic.
    assert _squeeze(to.display_name) == _squeeze(header_text(name))
    assert _squeeze(msg["Subject"]) == _squeeze(f"{program}: Invitation: cohort {cohort}")
    assert calendar_part(msg).get_payload(decode=True) == CALENDAR


@pytest.mark.parametrize(
    "name",
    [
        "Doe, Jane",
        'Jane "JD" Doe',
        "Zoë Ñúñez-Łukasiewicz",
        "Eve\r\nBcc: victim@evil.example",
        "Eve\nTo: other@evil.example",
        "=?utf-8?q?Mallory?= <mallory@evil.example>",
        "a@b.example, c@d.example",
    ],
)
def test_hostile_display_names_stay_one_address(name: str) -> None:
    raw = _message(name, "C01\r\nX-Evil: 1")
    msg = parse(raw)
    assert sorted(msg.keys()) == HEADERS
    (to,) = msg["To"].addresses
    assert to.addr_spec == "ana@example.org"
    # A name that spells an RFC 2047 encoded word is decoded by the email package
    # (a display name only: the address stays the one peermatch put there).
    assert to.display_name == " ".join(name.replace("=?utf-8?q?Mallory?=", "Mallory").split())
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert not any(line.startswith((b"Bcc", b"X-Evil")) for line in head.split(b"\r\n"))


def test_sender_forms() -> None:
    assert parse_sender("office@example.org").addr_spec == "office@example.org"
    named = parse_sender('"Office, Programme" <office@example.org>')
    assert (named.display_name, named.addr_spec) == ("Office, Programme", "office@example.org")
    for bad in ("", "office", "a@b.example, c@d.example", "x@y.example\r\nBcc: z@evil.example"):
        with pytest.raises(AddressError):
            parse_sender(bad)


def test_bad_from_and_not_a_folder_exit_1(folder: Path, tmp_path: Path) -> None:
    text = invoke("invite", folder, "--from", "not an address", code=1)
    assert "--from" in text
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "summary.json" in invoke("invite", empty, "--from", "office@example.org", code=1)


def test_bad_recipient_address_exits_1_before_sending(folder: Path) -> None:
    # An address peermatch's own validation would refuse, in a calendar edited by hand.
    calendar = folder / "calendars"
    for path in calendar.glob("*.ics"):
        data = path.read_bytes().replace(b"mailto:p00@example.org", b"mailto:nobody-at-example.org")
        path.write_bytes(data)
    text = invoke("invite", folder, "--from", "office@example.org", code=1)
    assert "nobody-at-example.org" in text and "nothing was sent" in text
    assert not (folder / "invitations.json").exists()
    assert not (folder / "invitations").exists()


def test_a_damaged_ledger_exits_1(folder: Path) -> None:
    (folder / "invitations.json").write_text("{not json", encoding="utf-8")
    text = invoke("invite", folder, "--from", "office@example.org", code=1)
    assert "invitations.json" in text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--smtp", "localhost", "--starttls", "--ssl"], "exclude each other"),
        (["--ssl"], "need --smtp"),
        (["--smtp", "localhost", "--user", "me"], "--starttls or --ssl"),
        (["--smtp", "localhost", "--ssl", "--user", "me"], "PEERMATCH_SMTP_PASSWORD"),
        (["--smtp", "localhost:notaport"], "port"),
        (["--smtp", "localhost", "--eml", "x"], "not with --smtp"),
    ],
)
def test_usage_errors_exit_2(
    folder: Path, args: list[str], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PEERMATCH_SMTP_PASSWORD", raising=False)
    text = invoke("invite", folder, "--from", "office@example.org", *args, code=2)
    assert says in text
