"""Invitation e-mails, built with the standard library's :mod:`email` package.

Structure (what makes Outlook and Gmail show the RSVP buttons)::

    multipart/mixed
      multipart/alternative
        text/plain                              the cohort, its people, the sessions
        text/html                               the same, HTML-escaped
        text/calendar; method=REQUEST; charset=UTF-8   (or method=CANCEL)
      application/ics; name=invite.ics          the same calendar, as an attachment

Every header is set through :class:`email.headerregistry.Address` and the
``SMTP`` policy, which encode display names per RFC 5322 and 2047 (a comma,
quotes or non-ASCII letters are quoted or encoded, never taken as a second
address). Control characters, CR and LF above all, are removed from every
name and subject first: no text of the organiser's can start a header of its
own. HTML bodies are rendered by jinja2 with autoescaping.

The session times are in the recipient's own time zone (the participant's or
facilitator's ``timezone``, else the program's).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment

from peermatch.errors import PeermatchError
from peermatch.invitations.planning import PlannedMessage
from peermatch.io.ical_events import natural_key
from peermatch.model import Facilitator, Participant, ProblemData
from peermatch.solution import Cohort

__all__ = [
    "AddressError",
    "Letter",
    "build_message",
    "letter",
    "mail_address",
    "parse_sender",
    "people_by_address",
]

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


class AddressError(PeermatchError):
    """An address that cannot be put in a mail header."""


def header_text(text: str) -> str:
    """``text`` for a header: every run of control characters (CR, LF, tab ...) one space."""
    return re.sub(r" {2,}", " ", _CONTROLS.sub(" ", text)).strip()


def mail_address(address: str, name: str = "") -> Address:
    """A header address with a safely encodable display name.

    Raises
    ------
    AddressError
        When ``address`` is not one ASCII ``local@domain`` address.
    """
    spec = address.strip()
    if _CONTROLS.search(spec) or not spec.isascii() or spec.count("@") != 1:
        raise AddressError(f"'{address}' is not an e-mail address peermatch can send to")
    try:
        found = Address(display_name=header_text(name), addr_spec=spec)
    except (ValueError, IndexError) as exc:
        raise AddressError(f"'{address}' is not an e-mail address: {exc}") from None
    if not found.username or not found.domain or "." not in found.domain:
        raise AddressError(f"'{address}' is not an e-mail address (local@domain.tld)")
    return found


def parse_sender(text: str) -> Address:
    """``--from``: ``organiser@example.org`` or ``Name <organiser@example.org>``.

    Raises
    ------
    AddressError
        When ``text`` is not exactly one address.
    """
    if _CONTROLS.search(text):
        raise AddressError("--from must be one address on one line")
    probe = EmailMessage(policy=SMTP)
    try:
        probe["From"] = text
        header = probe["From"]
        addresses = header.addresses
    except (ValueError, IndexError, TypeError) as exc:
        raise AddressError(f"--from '{text}' is not an e-mail address: {exc}") from None
    if len(addresses) != 1 or header.defects:
        raise AddressError(f"--from '{text}' must be one address like organiser@example.org")
    return mail_address(addresses[0].addr_spec, addresses[0].display_name)


@dataclass(frozen=True)
class Letter:
    """What the body of a message says; built by :func:`letter` from the folder."""

    program: str
    cohort_id: str
    facilitator: str | None
    members: tuple[tuple[str, str], ...]  # (name, organisation)
    sessions: tuple[tuple[int, str, str], ...]  # (number, when in the recipient's zone, topic)
    zone: str
    role: str  # "member", "facilitator" or "" (not a person of the folder any more)


def people_by_address(problem: ProblemData) -> dict[str, Participant | Facilitator]:
    """Case-folded address -> the person (a facilitator wins over a participant)."""
    found: dict[str, Participant | Facilitator] = {}
    for p in problem.participants:
        found[p.email.strip().casefold()] = p
    for f in problem.facilitators:
        found[f.email.strip().casefold()] = f
    return found


def _when(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    a, b = start.astimezone(zone), end.astimezone(zone)
    return f"{a:%a %d %b %Y}, {a:%H:%M}-{b:%H:%M}"


def letter(
    problem: ProblemData,
    cohorts: Mapping[str, Cohort],
    people: Mapping[str, Participant | Facilitator],
    item: PlannedMessage,
) -> Letter:
    """The body's facts for ``item``: its cohort as the folder says, times in the recipient's zone.

    ``people`` is :func:`people_by_address` of ``problem``.
    """
    person = people.get(item.recipient.strip().casefold())
    zone_name = problem.timezone_of(person) if person else problem.config.schedule.timezone
    zone = ZoneInfo(zone_name)
    cohort = cohorts.get(item.cohort_id)
    members: list[tuple[str, str]] = []
    sessions: list[tuple[int, str, str]] = []
    facilitator = None
    if cohort is not None:
        for pid in sorted(cohort.members, key=natural_key):
            p = problem.participants[problem.index[pid]]
            members.append((p.name, p.organisation))
        for s in cohort.sessions:
            topic = problem.config.schedule.topic(s.number) or ""
            sessions.append((s.number, _when(s.start, s.end, zone), topic))
        lead = cohort.facilitator_id
        if lead is not None and lead in problem.facilitator_index:
            facilitator = problem.facilitators[problem.facilitator_index[lead]].name
    role = "facilitator" if isinstance(person, Facilitator) else ("member" if person else "")
    return Letter(
        problem.config.program.name,
        item.cohort_id,
        facilitator,
        tuple(members),
        tuple(sessions),
        zone_name,
        role,
    )


_TEXT = """Dear {{ name }},
{% if cancel %}
you are no longer in cohort {{ l.cohort_id }} of {{ l.program }}: its sessions are cancelled for you, and your calendar program removes them when you open the attached cancellation. If you have been placed in another cohort, its invitation comes in a separate message.
{% else %}
{% if update %}cohort {{ l.cohort_id }} of {{ l.program }} has changed (its members or its sessions): this invitation replaces the one you had.{% elif l.role == "facilitator" %}you are the facilitator of cohort {{ l.cohort_id }} of {{ l.program }}.{% else %}you are invited to cohort {{ l.cohort_id }} of {{ l.program }}.{% endif %}
{% if l.facilitator %}Facilitator: {{ l.facilitator }}
{% endif %}
Sessions (times in {{ l.zone }}):
{% for n, when, topic in l.sessions %}  {{ n }}. {{ when }}{% if topic %} - {{ topic }}{% endif %}
{% endfor %}
Members:
{% for member, org in l.members %}  {{ member }} ({{ org }})
{% endfor %}
Accept the invitation to add every session to your calendar; the same calendar is attached as invite.ics.
{% endif %}"""

_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif">
<p>Dear {{ name }},</p>
{% if cancel %}
<p>you are no longer in cohort <strong>{{ l.cohort_id }}</strong> of {{ l.program }}: its sessions are cancelled for you, and your calendar program removes them when you open the attached cancellation. If you have been placed in another cohort, its invitation comes in a separate message.</p>
{% else %}
<p>{% if update %}cohort <strong>{{ l.cohort_id }}</strong> of {{ l.program }} has changed (its members or its sessions): this invitation replaces the one you had.{% elif l.role == "facilitator" %}you are the facilitator of cohort <strong>{{ l.cohort_id }}</strong> of {{ l.program }}.{% else %}you are invited to cohort <strong>{{ l.cohort_id }}</strong> of {{ l.program }}.{% endif %}</p>
{% if l.facilitator %}<p>Facilitator: {{ l.facilitator }}</p>{% endif %}
<h3>Sessions (times in {{ l.zone }})</h3>
<ol>{% for n, when, topic in l.sessions %}<li>{{ when }}{% if topic %}: {{ topic }}{% endif %}</li>{% endfor %}</ol>
<h3>Members</h3>
<ul>{% for member, org in l.members %}<li>{{ member }} ({{ org }})</li>{% endfor %}</ul>
<p>Accept the invitation to add every session to your calendar; the same calendar is attached as invite.ics.</p>
{% endif %}
</body></html>
"""

_TEXT_ENV = Environment(autoescape=False, keep_trailing_newline=True)
_HTML_ENV = Environment(autoescape=True, keep_trailing_newline=True)
_TEXT_TEMPLATE = _TEXT_ENV.from_string(_TEXT)
_HTML_TEMPLATE = _HTML_ENV.from_string(_HTML)


def subject(item: PlannedMessage, facts: Letter) -> str:
    """The Subject: what happened to which cohort of which program."""
    if item.method == "CANCEL":
        what = f"Cancelled: cohort {item.cohort_id}"
    elif item.reason == "update":
        what = f"Updated: cohort {item.cohort_id}"
    else:
        what = f"Invitation: cohort {item.cohort_id}"
    return header_text(f"{facts.program}: {what}")


def message_id(item: PlannedMessage, calendar_digest: str, sender: Address) -> str:
    """A Message-ID that is the same for the same message (a resend after a failure is one)."""
    key = "\n".join([item.uid, item.recipient.casefold(), item.method, str(item.sequence)])
    token = hashlib.sha256(f"{key}\n{calendar_digest}".encode()).hexdigest()[:32]
    try:
        domain = sender.domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = "peermatch.invalid"
    return f"<{token}@{domain}>"


def build_message(
    item: PlannedMessage,
    calendar: bytes,
    facts: Letter,
    *,
    sender: Address,
    when: datetime,
    calendar_digest: str,
) -> EmailMessage:
    """The e-mail for one planned message (structure in the module docstring).

    Parameters
    ----------
    item
        Who gets what.
    calendar
        The iCalendar bytes (UTF-8) of the message.
    facts
        The body's facts (:func:`letter`).
    sender
        The From address.
    when
        The Date header (aware).
    calendar_digest
        The calendar's digest (part of the Message-ID).

    Raises
    ------
    AddressError
        When the recipient's address cannot be used.
    """
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = mail_address(item.recipient, item.name)
    title = subject(item, facts)
    msg["Subject"] = title
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id(item, calendar_digest, sender)
    context = {
        "l": facts,
        "name": header_text(item.name) or item.recipient,
        "cancel": item.method == "CANCEL",
        "update": item.reason == "update",
        "subject": title,
    }
    msg.set_content(_TEXT_TEMPLATE.render(context), cte="quoted-printable")
    msg.add_alternative(_HTML_TEMPLATE.render(context), subtype="html", cte="quoted-printable")
    text = calendar.decode("utf-8")
    method = {"method": item.method}
    # base64 keeps the calendar's CRLF lines and folding exactly as written.
    msg.add_alternative(text, subtype="calendar", charset="UTF-8", cte="base64", params=method)
    msg.add_attachment(
        calendar,
        maintype="application",
        subtype="ics",
        filename="invite.ics",
        params={**method, "name": "invite.ics"},  # older clients read the name from here
    )
    # Boundaries from the Message-ID, not random: the same message gives the same bytes.
    # "=_" never occurs in quoted-printable or base64 text, so no part can contain them.
    token = str(msg["Message-ID"]).strip("<>").split("@")[0][:24]
    for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_peermatch_{token}_{n}")
    return msg
