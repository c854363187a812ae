"""The VEVENTs of a cohort's sessions (see :mod:`peermatch.io.ical` for the shapes and rules).

Also the identities calendars and files share: UIDs, the organizer used
without facilitators, the natural order of ids. Every text and name goes
through :func:`clean_text` (icalendar escapes the rest; see
:mod:`peermatch.io.ical`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Event, vCalAddress, vRecur

from peermatch.model import Facilitator, Participant, ProblemData
from peermatch.schedule import SessionTime, Slot
from peermatch.solution import Cohort

__all__ = [
    "MODES",
    "EventSpec",
    "clean_text",
    "cohort_event_specs",
    "cohort_events",
    "event_of",
    "natural_key",
    "organizer_address",
    "session_uid",
]

#: The calendar shapes (``[calendar] mode``).
MODES = ("series", "expanded")

# RFC 5545 3.3.11 and 3.1: no control character but HTAB in TEXT or a parameter.
# icalendar escapes ; , \\ and newlines (and quotes CN, RFC 6868) but passes these on.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """``text`` without the control characters no calendar may hold (newlines are kept)."""
    return _CONTROLS.sub("", text)


def session_uid(problem: ProblemData, cohort_id: str, number: int | None = None) -> str:
    """The UID of a cohort's series (``number=None``) or of one session (expanded mode).

    >>> from peermatch.model import Participant, ProblemData
    >>> p = ProblemData(participants=[Participant(id="a", name="A", email="a@x.org",
    ...                                           organisation="X", level=1)])
    >>> session_uid(p, "C01"), session_uid(p, "C01", 3)
    ('peermatch-C01@peermatch', 'peermatch-C01-session-3@peermatch')
    """
    base = f"{problem.config.program.id}-{cohort_id}"
    return f"{base}@peermatch" if number is None else f"{base}-session-{number}@peermatch"


def organizer_address(problem: ProblemData) -> str:
    """The organizer used when a cohort has no facilitator: ``mailto:noreply@<program id>.invalid``."""
    # Program ids may hold '_' and '.', which a host label may not; keep it a valid domain.
    label = re.sub(r"[^a-z0-9-]+", "-", problem.config.program.id.lower()).strip("-") or "peermatch"
    return f"mailto:noreply@{label}.invalid"


def _exact_local(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether ``moment``'s wall time in ``zone`` names that instant and no other."""
    local = moment.astimezone(zone).replace(tzinfo=None)
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return first == second == moment.astimezone(UTC)


def _when(moment: datetime, zone: ZoneInfo) -> datetime:
    """The datetime to write: local with TZID when unambiguous, else UTC."""
    if _exact_local(moment, zone):
        # Normalise through UTC: astimezone() to the same tzinfo object returns it unchanged.
        return moment.astimezone(UTC).astimezone(zone)
    return moment.astimezone(UTC)


def _nominal_start(session: SessionTime, slot: Slot) -> datetime:
    """The start the weekly rule gives this session: its nominal date at the slot's time."""
    day = session.moved_from or session.start.date()
    h, m = divmod(slot.start_minute, 60)
    # fold=0 mirrors how peermatch.schedule builds starts and how RFC 5545 reads a
    # DTSTART wall time that falls in a daylight-saving gap or overlap.
    return datetime(day.year, day.month, day.day, h, m, tzinfo=ZoneInfo(slot.zone))


def _elapsed(session: SessionTime) -> timedelta:
    return session.end.astimezone(UTC) - session.start.astimezone(UTC)


def _spans_change(session: SessionTime) -> bool:
    return session.start.utcoffset() != session.end.utcoffset()


def _address(email: str, name: str, **params: str) -> vCalAddress:
    addr = vCalAddress(f"mailto:{clean_text(email)}")
    addr.params["CN"] = clean_text(name)
    for key, value in params.items():
        addr.params[key.replace("_", "-").upper()] = value
    return addr


def _member(p: Participant) -> vCalAddress:
    return _address(
        p.email,
        p.name,
        cutype="INDIVIDUAL",
        role="REQ-PARTICIPANT",
        partstat="NEEDS-ACTION",
        rsvp="TRUE",
    )


def _chair(f: Facilitator) -> vCalAddress:
    # NEEDS-ACTION, not ACCEPTED: peermatch proposes the facilitator, it cannot answer for them.
    return _address(
        f.email, f.name, cutype="INDIVIDUAL", role="CHAIR", partstat="NEEDS-ACTION", rsvp="TRUE"
    )


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for ids in natural order (``C2`` before ``C10``), ties broken by the text.

    Calendars and CSV files list cohorts and people in this order.

    >>> sorted(["C10", "C2", "c1"], key=natural_key)
    ['C2', 'C10', 'c1']
    """
    parts = re.split(r"(\d+)", text)
    key: list[tuple[int, int | str]] = [
        (0, int(p)) if p.isdigit() else (1, p) for p in parts if p != ""
    ]
    key.append((2, text))
    return tuple(key)


def _texts(problem: ProblemData, cohort: Cohort, session: SessionTime) -> tuple[str, str]:
    """SUMMARY and DESCRIPTION of one session."""
    program = problem.config.program
    rules = problem.config.schedule
    total = len(cohort.sessions) or rules.sessions
    summary = f"{program.name}: cohort {cohort.id}, session {session.number} of {total}"
    lines = [f"{program.name}", f"Cohort {cohort.id}, session {session.number} of {total}."]
    topic = rules.topic(session.number)
    if topic:
        lines.append(f"Topic: {topic}")
    facilitator = _facilitator(problem, cohort)
    if facilitator is not None:
        lines.append(f"Facilitator: {facilitator.name}")
    if session.moved_from is not None:
        lines.append(f"Moved from {session.moved_from.isoformat()} (a blackout date).")
    return summary, "\n".join(lines)


def _facilitator(problem: ProblemData, cohort: Cohort) -> Facilitator | None:
    if cohort.facilitator_id is None:
        return None
    try:
        return problem.facilitators[problem.facilitator_index[cohort.facilitator_id]]
    except KeyError:
        raise ValueError(
            f"cohort {cohort.id}: facilitator '{cohort.facilitator_id}' is not in the problem"
        ) from None


def _people(problem: ProblemData, cohort: Cohort) -> list[Participant]:
    missing = [m for m in cohort.members if m not in problem.index]
    if missing:
        raise ValueError(f"cohort {cohort.id}: {', '.join(missing)} are not participants")
    return [problem.participants[problem.index[m]] for m in sorted(cohort.members, key=natural_key)]


def _addresses(problem: ProblemData, cohort: Cohort) -> list[tuple[str, vCalAddress]]:
    """A cohort's ORGANIZER and ATTENDEEs, built once for all its events (none alters them)."""
    facilitator = _facilitator(problem, cohort)
    if facilitator is not None:
        organizer = _address(facilitator.email, facilitator.name)
    else:
        organizer = vCalAddress(organizer_address(problem))
        organizer.params["CN"] = clean_text(problem.config.program.name)
    out = [("ORGANIZER", organizer)]
    if facilitator is not None:
        out.append(("ATTENDEE", _chair(facilitator)))
    out += [("ATTENDEE", _member(person)) for person in _people(problem, cohort)]
    return out


#: One VEVENT's properties in the order they are added: ``(name, value, encode)``, as
#: ``Event.add(name, value, encode=encode)`` takes them. :func:`cohort_events` builds the
#: events from them; :func:`peermatch.io.ical.calendar_files` serialises them directly.
EventSpec = list[tuple[str, Any, bool]]


def _base_event(
    addresses: list[tuple[str, vCalAddress]], uid: str, stamp: datetime, sequence: int = 0
) -> EventSpec:
    spec: EventSpec = [("UID", uid, True), ("DTSTAMP", stamp, True), ("SEQUENCE", sequence, True)]
    # Built and encoded once by _addresses.
    spec += [(name, address, False) for name, address in addresses]
    return spec


def _set_times(event: EventSpec, session: SessionTime, zone: ZoneInfo) -> None:
    event.append(("DTSTART", _when(session.start, zone), True))
    event.append(("DTEND", _when(session.end, zone), True))


def _set_texts(event: EventSpec, summary: str, description: str) -> None:
    event.append(("SUMMARY", clean_text(summary), True))
    event.append(("DESCRIPTION", clean_text(description), True))


def event_of(spec: EventSpec) -> Event:
    """The icalendar VEVENT of ``spec``."""
    event = Event()
    for name, value, encode in spec:
        event.add(name, value, encode=encode)
    return event


def _check_cohort(cohort: Cohort) -> ZoneInfo:
    if cohort.slot is None or not cohort.sessions:
        raise ValueError(f"cohort {cohort.id} has no slot or no sessions to put in a calendar")
    numbers = [s.number for s in cohort.sessions]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"cohort {cohort.id}: sessions are not numbered 1..{len(numbers)}")
    return ZoneInfo(cohort.slot.zone)


def cohort_events(
    problem: ProblemData, cohort: Cohort, mode: str, stamp: datetime, sequence: int = 0
) -> list[Event]:
    """The VEVENTs of one cohort, as :func:`cohort_calendar` and :func:`facilitator_calendar` use them.

    Built from :func:`cohort_event_specs` (which documents the parameters).
    """
    return [event_of(spec) for spec in cohort_event_specs(problem, cohort, mode, stamp, sequence)]


def cohort_event_specs(
    problem: ProblemData, cohort: Cohort, mode: str, stamp: datetime, sequence: int = 0
) -> list[EventSpec]:
    """The properties of one cohort's VEVENTs (see :func:`cohort_events`).

    Parameters
    ----------
    problem, cohort
        As for :func:`cohort_calendar`.
    mode
        ``"series"``: the master VEVENT first, then its overrides in session
        order. ``"expanded"``: one VEVENT per session, in session order.
    stamp
        The DTSTAMP of every event (UTC).
    sequence
        The events' SEQUENCE: 0, or above the earlier one when a repair changed them.

    Returns
    -------
    list of EventSpec
        Each event's ``(name, value, encode)`` properties in the order they are added.

    Raises
    ------
    ValueError
        When the mode is unknown, the cohort has no slot or sessions, its
        sessions are not numbered 1..n, or it names unknown people.
    """
    if mode not in MODES:
        raise ValueError(f"calendar mode must be one of {', '.join(MODES)}, not '{mode}'")
    zone = _check_cohort(cohort)
    slot = cohort.slot
    assert slot is not None  # checked above
    sessions = cohort.sessions
    addresses = _addresses(problem, cohort)
    events: list[EventSpec] = []
    if mode == "expanded":
        for s in sessions:
            uid = session_uid(problem, cohort.id, s.number)
            event = _base_event(addresses, uid, stamp, sequence)
            _set_times(event, s, zone)
            _set_texts(event, *_texts(problem, cohort, s))
            events.append(event)
        return events

    rules = problem.config.schedule
    uid = session_uid(problem, cohort.id)
    first = sessions[0]
    nominal_first = _nominal_start(first, slot)
    # Elapsed lengths, through UTC: subtracting two datetimes that share a tzinfo
    # object gives their wall-clock difference, which is wrong across a DST change.
    master_length = _elapsed(first)
    master = _base_event(addresses, uid, stamp, sequence)
    # The master's DTSTART is the rule's first occurrence, a local wall time by
    # definition (the rule repeats wall times), so it is written with TZID as is.
    master.append(("DTSTART", nominal_first, True))
    master.append(("DTEND", _when(nominal_first.astimezone(UTC) + master_length, zone), True))
    rule = {"FREQ": "WEEKLY", "INTERVAL": rules.cadence_weeks, "COUNT": len(sessions)}
    master.append(("RRULE", vRecur(rule), True))
    master_texts = _texts(problem, cohort, first)
    _set_texts(master, *master_texts)
    events.append(master)
    for s in sessions:
        nominal = _nominal_start(s, slot)
        texts = _texts(problem, cohort, s)
        # Readers disagree on whether an occurrence lasts DTEND - DTSTART in wall
        # time or in elapsed time; both agree unless a DST change falls inside the
        # master or this session, so such a session gets its own explicit DTEND.
        same_length = (
            _elapsed(s) == master_length and not _spans_change(first) and not _spans_change(s)
        )
        if s.moved_from is None and same_length and texts == master_texts:
            continue
        override = _base_event(addresses, uid, stamp, sequence)
        override.append(("RECURRENCE-ID", nominal, True))
        _set_times(override, s, zone)
        _set_texts(override, *texts)
        events.append(override)
    return events
