"""Planning from calendars and ledger; the library API; re-invitation; one delivery at a time; expanded mode."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import pytest
from icalendar import Calendar
from invite_helpers import (
    calendar_part,
    expand_icaljs,
    invoke,
    ledger,
    parse,
    run_record,
    sessions,
    write_inputs,
)

from peermatch.invitations import (
    DeliveryStopped,
    InviteError,
    InviteOutcome,
    SmtpSettings,
    invite,
)
from peermatch.invitations.calendars import Invitee, UidCalendar
from peermatch.invitations.ledger import Ledger, LedgerEntry
from peermatch.invitations.planning import plan

SENDER = "office@example.org"

#: The fixtures folder, program_run and smtp_server.
pytest_plugins = ["invite_fixtures"]


def _entry(address: str, uid: str, method: str, sequence: int) -> LedgerEntry:
    return LedgerEntry(
        address, address[0].upper(), "", "C1", uid, method, sequence, "", "", "", "smtp"
    )  # type: ignore[arg-type]


def test_plan_covers_every_case() -> None:
    people = tuple(Invitee(f"{k}@x.org", k.upper()) for k in "abe")
    current = [UidCalendar("u", "C1", 2, people, b"", "")]
    entries = [
        _entry("A@X.ORG", "u", "REQUEST", 2),  # up to date (addresses compare case-folded)
        _entry("b@x.org", "u", "REQUEST", 1),  # older SEQUENCE: update
        _entry("c@x.org", "u", "REQUEST", 1),  # no longer an attendee: cancel
        _entry("d@x.org", "u", "CANCEL", 5),  # cancelled already: nothing
        _entry("e@x.org", "u", "CANCEL", 5),  # cancelled, now back: invited above the cancel
        _entry("f@x.org", "gone", "REQUEST", 0),  # cohort dissolved: cancel
    ]
    planned, skipped = plan(current, Ledger(entries))
    got = [(m.recipient, m.uid, m.method, m.sequence, m.reason) for m in planned]
    assert got == [
        ("c@x.org", "u", "CANCEL", 2, "removed"),
        ("f@x.org", "gone", "CANCEL", 1, "removed"),
        ("b@x.org", "u", "REQUEST", 2, "update"),
        ("e@x.org", "u", "REQUEST", 6, "reinvited"),
    ]
    assert [(m.recipient, m.reason) for m in skipped] == [("a@x.org", "unchanged")]
    fresh, none = plan(current, Ledger())
    assert [(m.recipient, m.method, m.sequence) for m in fresh] == [
        (p.address, "REQUEST", 2) for p in people
    ]
    assert none == []


def test_a_person_invited_again_after_a_cancel_gets_a_higher_sequence(folder: Path) -> None:
    invoke("invite", folder, "--from", SENDER, "--eml", folder.parent / "eml")
    data = json.loads((folder / "invitations.json").read_text(encoding="utf-8"))
    mine = next(e for e in data["sent"] if e["recipient"] == "p00@example.org")
    mine.update(method="CANCEL", sequence=3)
    (folder / "invitations.json").write_text(json.dumps(data), encoding="utf-8")
    again = folder.parent / "again"
    invoke("invite", folder, "--from", SENDER, "--eml", again)
    (path,) = again.glob("*.eml")
    msg = parse(path.read_bytes())
    assert msg["To"].addresses[0].addr_spec == "p00@example.org"
    cal = Calendar.from_ical(calendar_part(msg).get_payload(decode=True))
    assert {int(e["SEQUENCE"]) for e in cal.walk("VEVENT")} == {4}
    (entry,) = [e for e in ledger(folder) if e["recipient"] == "p00@example.org"]
    assert (entry["method"], entry["sequence"]) == ("REQUEST", 4)


def test_library_outcome_and_delivery_stopped(folder: Path, smtp_server) -> None:
    recorder, server = smtp_server(accept=3)
    host, port = server.split(":")
    smtp = SmtpSettings(host, int(port), "none", None, None)
    outcome = invite(folder, sender=SENDER, smtp=smtp)
    assert isinstance(outcome, InviteOutcome) and outcome.delivery == "smtp"
    assert len(recorder.messages) == 3
    assert len(outcome.sent) == 3 and outcome.sent == outcome.planned[:3]
    assert outcome.stopped is not None and "451" in outcome.stopped
    with pytest.raises(DeliveryStopped) as caught:
        outcome.raise_if_stopped()
    assert caught.value.exit_code == 6 and caught.value.outcome is outcome
    json.dumps(outcome.as_json())
    rest = invite(folder, sender=SENDER, smtp=SmtpSettings(host, int(port), "none"), dry_run=True)
    assert rest.planned == outcome.planned[3:] and len(rest.skipped) == 3
    assert "password" not in repr(SmtpSettings("h", 1, "ssl", "u", "secret")).replace(
        "password=***", ""
    )


def test_one_delivery_per_folder_at_a_time(folder: Path) -> None:
    with open(folder / ".invitations.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(InviteError, match="another 'peermatch invite'"):
            invite(folder, sender=SENDER)
    assert not (folder / "invitations.json").exists()


def test_expanded_mode_sends_one_message_per_session(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "inputs")
    out = tmp_path / "out"
    invoke("run", *inputs, "--out", out, "--deterministic", "--time-limit", 10, "-q", "--calendar-mode", "expanded")  # fmt: skip
    eml = tmp_path / "eml"
    invoke("invite", out, "--from", SENDER, "--eml", eml)
    record = run_record(out)
    people = sum(len(c["members"]) + 1 for c in record["solution"]["cohorts"])
    files = sorted(eml.glob("*.eml"))
    assert len(files) == 3 * people  # three sessions each
    starts = sessions(out)
    checked = 0
    seen = set()
    for path in files:
        msg = parse(path.read_bytes())
        part = calendar_part(msg)
        cal = Calendar.from_ical(part.get_payload(decode=True))
        assert str(cal["METHOD"]) == "REQUEST"
        (event,) = cal.walk("VEVENT")
        uid = str(event["UID"])
        seen.add((msg["To"].addresses[0].addr_spec, uid))
        cohort, _, number = (
            uid.removeprefix("circles-test-").removesuffix("@peermatch").partition("-session-")
        )
        if checked < 3:  # ical.js on a few: a node process each
            target = tmp_path / "one.ics"
            target.write_bytes(part.get_payload(decode=True))
            assert expand_icaljs(target) == [(uid, starts[cohort][int(number) - 1])]
            checked += 1
    assert len(seen) == len(files)
