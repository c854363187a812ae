"""Helpers of the ``invite`` tests: the small program's inputs, the command line, the SMTP
handler, reading messages back (the fixtures are in :mod:`invite_fixtures`)."""

from __future__ import annotations

import csv
import email
import email.policy
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from peermatch.cli import main

ZONES = ("Europe/London", "Europe/Paris", "America/New_York")
#: Hostile names, each held by one participant: header and HTML safety end to end.
HOSTILE = {
    "p01": 'Ünal "Uni" Öztürk, Jr.',
    "p04": "Eve\r\nBcc: victim@evil.example",
    "p05": "<script>alert(1)</script> Smith",
}
PROGRAM = """[program]
name = "Circles Test"
id = "circles-test"
[cohort]
min_size = 7
max_size = 9
target_size = 8
[schedule]
start_date = "2027-03-01"
cadence_weeks = 2
sessions = 3
duration_minutes = 90
timezone = "Europe/London"
default_availability = "Mon-Fri 09:00-17:00"
topics = ["Trust", "Feedback", "Change"]
"""


def invoke(*args: object, code: int = 0) -> str:
    """Run the command line; assert its exit status and that no traceback was printed."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def write_inputs(folder: Path, drop: frozenset[str] = frozenset()) -> list[Path]:
    """participants.csv (24 people, one organisation each), facilitators.csv, program.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "participants.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "email", "organisation", "level", "timezone"])
        for i in range(24):
            pid = f"p{i:02d}"
            if pid in drop:
                continue
            org = "Org <b>&amp; Co</b>" if pid == "p05" else f"Org {i}"
            w.writerow([pid, HOSTILE.get(pid, f"Person {i}"), f"{pid}@example.org", org, 2, ZONES[i % 3]])  # fmt: skip
    with (folder / "facilitators.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "email", "organisation", "timezone", "max_cohorts"])
        w.writerow(["F1", "Fay Lead", "fay@coach.example", "Coach Co", "Europe/London", 2])
        w.writerow(["F2", "Gus Guide", "gus@coach.example", "Coach Co", "Europe/Paris", 1])
    (folder / "program.toml").write_text(PROGRAM, encoding="utf-8")
    return [
        folder / "participants.csv",
        "--facilitators", folder / "facilitators.csv",
        "--config", folder / "program.toml",
    ]  # fmt: skip


@dataclass
class Recorder:
    """An SMTP handler that keeps every message, and answers 451 after the first ``accept``."""

    accept: int | None = None
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refused: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.accept is not None and len(self.messages) >= self.accept:
            self.refused += 1
            return "451 4.3.0 mailbox busy, try again later"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 OK"


JS_DIR = Path(__file__).resolve().parents[1] / "js"


def expand_icaljs(path: Path) -> list[tuple[str, datetime]]:
    """(UID, start in UTC) of every occurrence in ``path``, read by ical.js (node)."""
    node = shutil.which("node")
    if not node or not (JS_DIR / "node_modules" / "ical.js" / "package.json").is_file():
        pytest.skip("node or tests/js/node_modules/ical.js is missing (run .ci/install-node-deps)")
    env = {**os.environ, "TZ": "Pacific/Chatham"}  # a floating time would land here and show
    proc = subprocess.run(
        [node, str(JS_DIR / "expand.mjs"), str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return sorted(
        (o["uid"], datetime.fromisoformat(o["start"].replace("Z", "+00:00")))
        for o in json.loads(proc.stdout)
    )


def parse(raw: bytes) -> EmailMessage:
    """A received message, parsed back with the standard library (policy default)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def calendar_part(msg: EmailMessage) -> EmailMessage:
    """The text/calendar part inside the multipart/alternative."""
    assert msg.get_content_type() == "multipart/mixed"
    alternative = next(
        p for p in msg.iter_parts() if p.get_content_type() == "multipart/alternative"
    )
    kinds = [p.get_content_type() for p in alternative.iter_parts()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    return next(p for p in alternative.iter_parts() if p.get_content_type() == "text/calendar")


def attachment(msg: EmailMessage) -> EmailMessage:
    """The invite.ics attachment."""
    found = [p for p in msg.iter_attachments() if p.get_filename() == "invite.ics"]
    assert len(found) == 1
    return found[0]


def body(msg: EmailMessage, kind: str) -> str:
    """The text/plain or text/html body, decoded."""
    part = msg.get_body(preferencelist=(kind,))
    assert part is not None and part.get_content_type() == f"text/{kind}"
    return str(part.get_content())


def sessions(out: Path) -> dict[str, list[datetime]]:
    """Cohort id -> its session starts (sessions.csv), in UTC."""
    found: dict[str, list[datetime]] = {}
    with (out / "sessions.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            start = datetime.fromisoformat(row["start"]).astimezone(UTC)
            found.setdefault(row["cohort_id"], []).append(start)
    return found


def run_record(out: Path) -> dict[str, Any]:
    """run.json of a folder."""
    return json.loads((out / "run.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def attendees(out: Path) -> set[tuple[str, str]]:
    """(address, cohort id) of every member and facilitator, from run.json."""
    record = run_record(out)
    email_of = {p["id"]: p["email"] for p in record["problem"]["participants"]}
    email_of.update({f["id"]: f["email"] for f in record["problem"]["facilitators"]})
    found = set()
    for cohort in record["solution"]["cohorts"]:
        for pid in [*cohort["members"], cohort["facilitator_id"]]:
            found.add((email_of[pid], cohort["id"]))
    return found


def uid_cohort(uid: str) -> str:
    """The cohort id of a series UID (``circles-test-C01@peermatch``)."""
    assert uid.startswith("circles-test-") and uid.endswith("@peermatch")
    return uid.removeprefix("circles-test-").removesuffix("@peermatch")


def ledger(out: Path) -> list[dict[str, Any]]:
    """The entries of the folder's invitations.json."""
    data = json.loads((out / "invitations.json").read_text(encoding="utf-8"))
    assert data["format"] == "peermatch-invitations"
    return data["sent"]  # type: ignore[no-any-return]
