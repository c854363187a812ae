"""The calendars an invitation carries, derived from the output folder's own calendars.

Each cohort's ``calendars/COHORT.ics`` is read with icalendar and split by
UID: in series mode (the default) a cohort calendar holds one UID, so one
invitation per recipient and cohort; in expanded mode every session has its
own UID and, because iTIP (RFC 5546) allows a single UID per REQUEST and
Outlook imports only the first of several, each session is its own
invitation. A REQUEST carries exactly the folder's events (same UIDs,
SEQUENCE, DTSTAMP, VTIMEZONEs): when the file already is a one-UID
``METHOD:REQUEST`` calendar its bytes are sent unchanged.

A CANCEL is built from a *template*: the UID's master event without its
attendees, with the VTIMEZONEs it needs, kept in the ledger each time a
REQUEST is recorded. So a person can be told that a cohort which no longer
exists (dissolved by a repair) is cancelled for them, with the dates they
were sent. The CANCEL names only that person as ATTENDEE (RFC 5546 3.2.5:
removing an attendee) and carries ``STATUS:CANCELLED``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from icalendar import Calendar, Event, vCalAddress

from peermatch.errors import PeermatchError
from peermatch.io.ical import PRODID, calendar_bytes
from peermatch.io.ical_events import clean_text
from peermatch.io.writers import calendar_path

__all__ = [
    "Invitee",
    "UidCalendar",
    "cancel_calendar",
    "digest",
    "folder_calendars",
]


class CalendarError(PeermatchError):
    """A cohort's calendar is missing from the folder or is not a calendar."""


@dataclass(frozen=True)
class Invitee:
    """An ATTENDEE of a calendar: the address (``mailto:`` removed) and the CN."""

    address: str
    name: str

    @property
    def key(self) -> str:
        """The address as the ledger compares it (case-folded)."""
        return self.address.casefold()


@dataclass(frozen=True)
class UidCalendar:
    """One UID of a cohort's calendar, ready to be sent as a REQUEST.

    Attributes
    ----------
    uid, cohort_id, sequence
        The events' UID, the cohort they belong to, their SEQUENCE (the highest of the UID's events).
    attendees
        Every ATTENDEE of the master event, in the calendar's order.
    request
        The bytes of a ``METHOD:REQUEST`` calendar with this UID's events and VTIMEZONEs.
    template
        A cancellation template (see the module's docstring).
    """

    uid: str
    cohort_id: str
    sequence: int
    attendees: tuple[Invitee, ...]
    request: bytes
    template: str


def digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data`` (the ledger's digest of a message's calendar)."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _address(value: object) -> str:
    text = str(value)
    return text[7:] if text.lower().startswith("mailto:") else text


def _attendees(event: Event) -> tuple[Invitee, ...]:
    raw = event.get("ATTENDEE", [])
    found = raw if isinstance(raw, list) else [raw]
    return tuple(Invitee(_address(a), str(getattr(a, "params", {}).get("CN", ""))) for a in found)


def _shell(source: Calendar, method: str) -> Calendar:
    """A VCALENDAR with ``source``'s header properties and ``method``."""
    cal = Calendar()
    cal.add("PRODID", source.get("PRODID", PRODID))
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", method)
    if "X-WR-CALNAME" in source:
        cal["X-WR-CALNAME"] = source["X-WR-CALNAME"]
    return cal


def _split(cohort_id: str, data: bytes) -> list[UidCalendar]:
    cal = Calendar.from_ical(data)
    zones = list(cal.walk("VTIMEZONE"))
    events: dict[str, list[Event]] = {}
    for event in cal.walk("VEVENT"):
        assert isinstance(event, Event)
        events.setdefault(str(event["UID"]), []).append(event)
    single = len(events) == 1 and str(cal.get("METHOD", "")).upper() == "REQUEST"
    out = []
    for uid, own in events.items():
        master = next((e for e in own if "RECURRENCE-ID" not in e), own[0])
        if single:
            request = data
        else:
            shell = _shell(cal, "REQUEST")
            for component in [*zones, *own]:
                shell.add_component(component)
            request = calendar_bytes(shell)
        template = _shell(cal, "CANCEL")
        for zone in zones:
            template.add_component(zone)
        bare = Event()
        for key, value in master.property_items(recursive=False):
            if key not in ("BEGIN", "END", "ATTENDEE"):
                bare.add(key, value, encode=False)
        template.add_component(bare)
        out.append(
            UidCalendar(
                uid=uid,
                cohort_id=cohort_id,
                sequence=max(int(e.get("SEQUENCE", 0)) for e in own),
                attendees=_attendees(master),
                request=request,
                template=calendar_bytes(template).decode("utf-8"),
            )
        )
    return out


def folder_calendars(out_dir: Path, cohort_ids: Iterable[str]) -> list[UidCalendar]:
    """Every UID of the cohorts' calendars in ``out_dir``, cohort by cohort.

    Raises
    ------
    CalendarError
        When a cohort's calendar file is missing or does not parse.
    """
    found: list[UidCalendar] = []
    for cohort_id in cohort_ids:
        path = out_dir / calendar_path(cohort_id)
        try:
            found.extend(_split(cohort_id, path.read_bytes()))
        except OSError as exc:
            raise CalendarError(
                f"{path}: cannot read cohort {cohort_id}'s calendar: {exc.strerror or exc}"
            ) from None
        except (ValueError, KeyError) as exc:
            raise CalendarError(f"{path}: not a calendar peermatch can read: {exc}") from None
    return found


def cancel_calendar(
    template: str, sequence: int, invitee: Invitee, stamp: datetime, uid: str
) -> bytes:
    """A ``METHOD:CANCEL`` calendar for one person, from a template (see the module docstring).

    Parameters
    ----------
    template
        The template kept for the UID; an empty string gives a minimal event
        (UID, DTSTAMP, SEQUENCE, STATUS, ATTENDEE), which every client accepts.
    sequence
        The cancellation's SEQUENCE (above what the person was sent).
    invitee
        The person who is no longer invited.
    stamp
        The DTSTAMP (the time of the cancellation).
    uid
        The UID cancelled (used when the template is empty).
    """
    if template:
        cal = Calendar.from_ical(template)
    else:
        cal = _shell(Calendar(), "CANCEL")
        cal.add_component(Event())
    event = next(iter(cal.walk("VEVENT")))
    for key in ("UID", "SEQUENCE", "DTSTAMP", "STATUS", "ATTENDEE"):
        event.pop(key, None)
    event.add("UID", uid)
    event.add("DTSTAMP", stamp)
    event.add("SEQUENCE", sequence)
    event.add("STATUS", "CANCELLED")
    attendee = vCalAddress(f"mailto:{clean_text(invitee.address)}")
    attendee.params["CN"] = clean_text(invitee.name)
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    event.add("ATTENDEE", attendee)
    return calendar_bytes(cal)
