"""RFC 5545 calendars of a cohort's (or a facilitator's) sessions.

Two shapes, chosen by ``[calendar] mode`` in ``program.toml``:

``series``
    One master VEVENT per cohort whose ``RRULE:FREQ=WEEKLY;INTERVAL=<cadence>;
    COUNT=<sessions>`` runs over the *nominal* dates, plus one override VEVENT
    (same UID, ``RECURRENCE-ID`` = the nominal start) for every session that
    differs from what the rule alone would give: a session moved off a
    blackout date, and any session whose title or description differs from the
    master's. Each title carries its session number, so in practice every
    session after the first is an override. ``EXDATE`` is never used: with
    ``COUNT`` an excluded date is not replaced, so it would drop a session.
``expanded``
    One VEVENT per session, each with its own UID.

Identity and re-runs
    UIDs depend only on the program id, the cohort id and (expanded mode) the
    session number: ``<program>-<cohort>@peermatch`` and
    ``<program>-<cohort>-session-<n>@peermatch``. Importing a re-run's file
    therefore updates the events instead of duplicating them. ``SEQUENCE`` is
    0 for a run; ``peermatch repair`` raises it above the earlier calendar's
    for a cohort whose events changed (``sequence=``); ``DTSTAMP`` is ``SOURCE_DATE_EPOCH`` when that variable is set
    (reproducible output), else the time of the run in UTC, so a later run
    still wins over an earlier one in clients that compare DTSTAMP.

Time zones
    Every DTSTART/DTEND/RECURRENCE-ID carries the TZID of the cohort's slot
    zone, and every TZID has a VTIMEZONE generated from this machine's IANA
    database for the years the series spans. The one exception is a wall time
    that does not name a single instant in that zone (inside a daylight-saving
    gap, or the second pass through a repeated hour): such an end or start is
    written in UTC (``...Z``) so that no reader can shift it by an hour.

People
    Members are ATTENDEEs (``ROLE=REQ-PARTICIPANT``). The facilitator is the
    ORGANIZER and also an ATTENDEE with ``ROLE=CHAIR``. Without facilitators
    the organizer is the program itself, ``mailto:noreply@<program id>.invalid``
    (the reserved ``.invalid`` domain: replies cannot go astray).

``METHOD:REQUEST`` is set on a cohort calendar only when it holds a single UID
(series mode): iTIP (RFC 5546, 3.2.2) allows one UID per REQUEST, and Outlook
imports only the first event of a multi-UID REQUEST. Expanded cohort calendars
and facilitator calendars are plain calendars without METHOD.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vRecur,
    vText,
)

from peermatch.model import Facilitator, Participant, ProblemData
from peermatch.schedule import SessionTime, Slot
from peermatch.solution import Cohort

__all__ = [
    "PRODID",
    "calendar_bytes",
    "cohort_calendar",
    "cohort_events",
    "dtstamp",
    "facilitator_calendar",
    "natural_key",
    "organizer_address",
    "session_uid",
    "vtimezone",
]

#: The PRODID of every calendar peermatch writes.
PRODID = "-//peermatch//peermatch cohort sessions//EN"

_MODES = ("series", "expanded")

# RFC 5545 3.3.11 and 3.1: no control character but HTAB in TEXT or a parameter.
# icalendar escapes ; , \\ and newlines (and quotes CN, RFC 6868) but passes these on.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    """``text`` without the control characters no calendar may hold (newlines are kept)."""
    return _CONTROLS.sub("", text)


def dtstamp() -> datetime:
    """The DTSTAMP of this run: ``SOURCE_DATE_EPOCH`` when set, else now (UTC, whole seconds).

    Returns
    -------
    datetime.datetime
        An aware UTC datetime.

    Raises
    ------
    ValueError
        When ``SOURCE_DATE_EPOCH`` is set but is not a non-negative integer.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or not raw.strip():
        return datetime.now(UTC).replace(microsecond=0)
    try:
        seconds = int(raw.strip())
    except ValueError:
        raise ValueError(f"SOURCE_DATE_EPOCH='{raw}' is not an integer number of seconds") from None
    if seconds < 0:
        raise ValueError(f"SOURCE_DATE_EPOCH='{raw}' is negative")
    return datetime.fromtimestamp(seconds, UTC)


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


# -- time zones ---------------------------------------------------------------------------------


def _transitions(zone: ZoneInfo, lo: datetime, hi: datetime) -> list[datetime]:
    """UTC instants in [lo, hi) at which the zone's UTC offset or abbreviation changes."""
    out: list[datetime] = []
    step = timedelta(hours=1)
    t = lo
    key = _zone_state(zone, t)
    while t < hi:
        nxt = min(t + step, hi)
        if _zone_state(zone, nxt) != key:
            # Bisect to the second: transitions are not always on the hour (e.g. Lord Howe).
            a, b = t, nxt
            while b - a > timedelta(seconds=1):
                mid = a + (b - a) / 2
                mid = mid.replace(microsecond=0)
                if mid <= a:
                    break
                if _zone_state(zone, mid) == key:
                    a = mid
                else:
                    b = mid
            out.append(b)
            key = _zone_state(zone, b)
        t = nxt
    return out


def _zone_state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, timedelta, str]:
    local = instant.astimezone(zone)
    return local.utcoffset() or timedelta(0), local.dst() or timedelta(0), local.tzname() or ""


def _observance(
    zone: ZoneInfo, instant: datetime, offset_from: timedelta
) -> TimezoneStandard | TimezoneDaylight:
    offset_to, dst, name = _zone_state(zone, instant)
    sub = TimezoneDaylight() if dst else TimezoneStandard()
    # RFC 5545 3.6.5: an observance's DTSTART is the onset in the local time of the
    # offset in force *before* it (TZOFFSETFROM). icalendar 7's Timezone.from_tzinfo
    # writes the wall time after the change for spring transitions, an hour late,
    # which is why this module builds VTIMEZONEs itself.
    sub.add("DTSTART", (instant + offset_from).replace(tzinfo=None))
    sub.add("TZOFFSETFROM", offset_from)
    sub.add("TZOFFSETTO", offset_to)
    sub.add("TZNAME", name or _offset_name(offset_to))
    return sub


def _offset_name(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}{m:02d}"


@lru_cache(maxsize=256)
def _vtimezone_ical(tzid: str, first_year: int, last_year: int) -> bytes:
    zone = ZoneInfo(tzid)
    # Local midnights, so the first observance starts on 1 January in the zone itself.
    lo = datetime(first_year, 1, 1, tzinfo=zone).astimezone(UTC)
    hi = datetime(last_year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    tz = Timezone()
    tz.add("TZID", tzid)
    start_offset = _zone_state(zone, lo)[0]
    # The first observance starts at the beginning of the covered range; clients only
    # need offsets for the instants the calendar uses, all of which lie inside it.
    tz.add_component(_observance(zone, lo, start_offset))
    previous = start_offset
    for instant in _transitions(zone, lo, hi):
        tz.add_component(_observance(zone, instant, previous))
        previous = _zone_state(zone, instant)[0]
    return tz.to_ical()


def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for ``tzid`` valid from 1 January ``first_year`` to 31 December ``last_year``.

    Built from this machine's IANA database (``zoneinfo``): one STANDARD or
    DAYLIGHT observance for the start of the range and one per change of UTC
    offset inside it, so that the file is self-contained for its whole span.

    Parameters
    ----------
    tzid
        An IANA zone name, also used as the TZID.
    first_year, last_year
        The calendar years to cover (inclusive).
    """
    # A fresh component each time: the cache holds bytes, so no caller can alter another's.
    tz = Timezone.from_ical(_vtimezone_ical(tzid, first_year, last_year))
    assert isinstance(tz, Timezone)
    return tz


# -- events -------------------------------------------------------------------------------------


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
    addr = vCalAddress(f"mailto:{_clean(email)}")
    addr.params["CN"] = _clean(name)
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


def _base_event(
    problem: ProblemData, cohort: Cohort, uid: str, stamp: datetime, sequence: int = 0
) -> Event:
    event = Event()
    event.add("UID", uid)
    event.add("DTSTAMP", stamp)
    event.add("SEQUENCE", sequence)
    facilitator = _facilitator(problem, cohort)
    if facilitator is not None:
        organizer = _address(facilitator.email, facilitator.name)
    else:
        organizer = vCalAddress(organizer_address(problem))
        organizer.params["CN"] = _clean(problem.config.program.name)
    event.add("ORGANIZER", organizer)
    if facilitator is not None:
        event.add("ATTENDEE", _chair(facilitator))
    for person in _people(problem, cohort):
        event.add("ATTENDEE", _member(person))
    return event


def _set_times(event: Event, session: SessionTime, zone: ZoneInfo) -> None:
    event.add("DTSTART", _when(session.start, zone))
    event.add("DTEND", _when(session.end, zone))


def _set_texts(event: Event, summary: str, description: str) -> None:
    event.add("SUMMARY", _clean(summary))
    event.add("DESCRIPTION", _clean(description))


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
    list of icalendar.Event

    Raises
    ------
    ValueError
        When the mode is unknown, the cohort has no slot or sessions, its
        sessions are not numbered 1..n, or it names unknown people.
    """
    if mode not in _MODES:
        raise ValueError(f"calendar mode must be one of {', '.join(_MODES)}, not '{mode}'")
    zone = _check_cohort(cohort)
    slot = cohort.slot
    assert slot is not None  # checked above
    sessions = cohort.sessions
    events: list[Event] = []
    if mode == "expanded":
        for s in sessions:
            uid = session_uid(problem, cohort.id, s.number)
            event = _base_event(problem, cohort, uid, stamp, sequence)
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
    master = _base_event(problem, cohort, uid, stamp, sequence)
    # The master's DTSTART is the rule's first occurrence, a local wall time by
    # definition (the rule repeats wall times), so it is written with TZID as is.
    master.add("DTSTART", nominal_first)
    master.add("DTEND", _when(nominal_first.astimezone(UTC) + master_length, zone))
    master.add(
        "RRULE",
        vRecur({"FREQ": "WEEKLY", "INTERVAL": rules.cadence_weeks, "COUNT": len(sessions)}),
    )
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
        override = _base_event(problem, cohort, uid, stamp, sequence)
        override.add("RECURRENCE-ID", nominal)
        _set_times(override, s, zone)
        _set_texts(override, *texts)
        events.append(override)
    return events


def _calendar(name: str, events: Sequence[Event], method: str | None) -> Calendar:
    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    if method:
        cal.add("METHOD", method)
    # As TEXT: icalendar would write an X- property's value unescaped (a newline in
    # the program name would then end the line and start a property of its own).
    cal.add("X-WR-CALNAME", vText(_clean(name)))
    for event in events:
        cal.add_component(event)
    years = [
        event.decoded(key).year
        for event in events
        for key in ("DTSTART", "DTEND", "RECURRENCE-ID")
        if key in event
    ]
    # Ask icalendar which TZIDs it will write: it writes UTC-like zones as "Z", and
    # those need no VTIMEZONE. Sorted, not set order: output must be byte-identical.
    tzids = sorted(cal.get_used_tzids() - {"UTC"})
    if tzids:
        lo, hi = min(years), max(years)
        # VTIMEZONEs first, before the events that refer to them.
        cal.subcomponents[0:0] = [vtimezone(tzid, lo, hi) for tzid in tzids]
    return cal


def cohort_calendar(
    problem: ProblemData,
    cohort: Cohort,
    mode: str = "series",
    *,
    stamp: datetime | None = None,
    sequence: int = 0,
) -> Calendar:
    """The calendar of one cohort's sessions, to send to its members.

    Parameters
    ----------
    problem
        The problem the cohort belongs to (people, program, schedule).
    cohort
        A cohort with its slot and sessions (see :func:`peermatch.schedule.session_times`).
    mode
        ``"series"`` (one recurring event plus overrides) or ``"expanded"``
        (one event per session).
    stamp
        The DTSTAMP; :func:`dtstamp` when ``None``.
    sequence
        The events' SEQUENCE (a repair raises it on a changed cohort, so that
        calendar clients update the events they hold instead of adding new ones).

    Returns
    -------
    icalendar.Calendar
        One VCALENDAR with a VTIMEZONE per TZID used.

    Raises
    ------
    ValueError
        When the mode is unknown, or the cohort has no slot or sessions, or
        names people who are not in the problem.
    """
    events = cohort_events(problem, cohort, mode, stamp or dtstamp(), sequence)
    uids = {str(e["UID"]) for e in events}
    name = f"{problem.config.program.name}: cohort {cohort.id}"
    return _calendar(name, events, "REQUEST" if len(uids) == 1 else None)


def facilitator_calendar(
    problem: ProblemData,
    facilitator_id: str,
    cohorts: Iterable[Cohort],
    mode: str = "series",
    *,
    stamp: datetime | None = None,
    sequences: Mapping[str, int] | None = None,
) -> Calendar:
    """The calendar of every session a facilitator leads, with the cohorts' own UIDs.

    The events are exactly those of the cohorts' calendars (same UIDs, same
    content), so importing both never shows a session twice.

    Parameters
    ----------
    problem
        The problem (for the facilitator's name and the members).
    facilitator_id
        Whose calendar; cohorts led by someone else are ignored.
    cohorts
        The solution's cohorts.
    mode, stamp
        As for :func:`cohort_calendar`.
    sequences
        Cohort id -> SEQUENCE of its events (0 when absent), as in the cohorts' calendars.

    Raises
    ------
    ValueError
        When ``facilitator_id`` is unknown or leads none of ``cohorts``.
    """
    if facilitator_id not in problem.facilitator_index:
        raise ValueError(f"'{facilitator_id}' is not a facilitator")
    facilitator = problem.facilitators[problem.facilitator_index[facilitator_id]]
    led = sorted(
        (c for c in cohorts if c.facilitator_id == facilitator_id), key=lambda c: natural_key(c.id)
    )
    if not led:
        # An empty VCALENDAR is not valid RFC 5545 (it needs one component).
        raise ValueError(f"facilitator {facilitator_id} leads no cohort")
    when = stamp or dtstamp()
    seq = sequences or {}
    events = [e for c in led for e in cohort_events(problem, c, mode, when, seq.get(c.id, 0))]
    return _calendar(f"{problem.config.program.name}: {facilitator.name}", events, None)


def calendar_bytes(cal: Calendar) -> bytes:
    """Serialise a calendar: CRLF line ends, lines folded at 75 octets, UTF-8.

    The same bytes as ``cal.to_ical()``, but a line shorter than the fold
    limit skips icalendar's character-by-character folding, which was half
    the writing time of a large program (issue 11).
    """
    parts = []
    for line in cal.content_lines():
        if line:
            raw = line.encode("utf-8")
            parts.append(raw if len(raw) < 75 else _fold(raw))
    return b"\r\n".join(parts) + b"\r\n"


def _fold(raw: bytes) -> bytes:
    """icalendar's folding of one UTF-8 line, by slices instead of character by character.

    Each line takes the longest run of whole characters within 74 octets; an escape
    character (backslash or caret) that would end a line moves to the next one.
    """
    out, start = [], 0
    while len(raw) - start > 74:
        end = start + 74
        while raw[end] & 0xC0 == 0x80:  # never split a character's continuation bytes
            end -= 1
        if raw[end - 1] in b"\\^":
            end -= 1
        out.append(raw[start:end])
        start = end
    out.append(raw[start:])
    return b"\r\n ".join(out)
