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

Text
    Names, organisations, topics and the program name are the organiser's
    text, so hostile text must stay text. icalendar escapes ``;``, ``,``,
    ``\\`` and newlines in TEXT values (RFC 5545 3.3.11) and quotes
    parameter values such as ``CN``, writing newlines and quotes in them as
    RFC 6868 ``^n`` and ``^'``; peermatch drops the control characters no
    calendar may hold and writes ``X-WR-CALNAME`` as TEXT too (icalendar
    would write an X- property raw). No value can end a line or start a
    property of its own.

``METHOD:REQUEST`` is set on a cohort calendar only when it holds a single UID
(series mode): iTIP (RFC 5546, 3.2.2) allows one UID per REQUEST, and Outlook
imports only the first event of a multi-UID REQUEST. Expanded cohort calendars
and facilitator calendars are plain calendars without METHOD.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar, Event, Timezone, vText
from icalendar.caselessdict import canonsort_keys

from peermatch.io.ical_events import (
    EventSpec,
    clean_text,
    cohort_event_specs,
    cohort_events,
    natural_key,
    organizer_address,
    session_uid,
)
from peermatch.io.vtimezone import vtimezone
from peermatch.model import ProblemData
from peermatch.solution import Cohort

__all__ = [
    "PRODID",
    "calendar_bytes",
    "calendar_files",
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


def _calendar(name: str, events: Sequence[Event], method: str | None) -> Calendar:
    cal = _header(name, method)
    for event in events:
        cal.add_component(event)
    tzids, years = _zones(cal, events)
    if tzids:
        # VTIMEZONEs first, before the events that refer to them.
        cal.subcomponents[0:0] = [vtimezone(tzid, min(years), max(years)) for tzid in tzids]
    return cal


def _header(name: str, method: str | None) -> Calendar:
    """A VCALENDAR with its properties and no component yet."""
    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    if method:
        cal.add("METHOD", method)
    # As TEXT: icalendar would write an X- property's value unescaped (a newline in
    # the program name would then end the line and start a property of its own).
    cal.add("X-WR-CALNAME", vText(clean_text(name)))
    return cal


def _zones(cal: Calendar, events: Sequence[Event]) -> tuple[list[str], list[int]]:
    """The TZIDs a VTIMEZONE is needed for (``cal`` holds ``events``), and the years used."""
    years = [
        event.decoded(key).year
        for event in events
        for key in ("DTSTART", "DTEND", "RECURRENCE-ID")
        if key in event
    ]
    # Ask icalendar which TZIDs it will write: it writes UTC-like zones as "Z", and
    # those need no VTIMEZONE. Sorted, not set order: output must be byte-identical.
    return sorted(cal.get_used_tzids() - {"UTC"}), years


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


@dataclass(frozen=True)
class _Block:
    """One cohort's events, serialised once, with what its calendars need to know of them."""

    events: bytes
    tzids: frozenset[str]
    years: tuple[int, ...]
    uids: int


_END = b"END:VCALENDAR\r\n"


#: The properties whose lines :func:`_spec_block` serialises once per value: those of
#: :data:`_REUSED` (the texts differ in every event).
_DATED = ("DTSTART", "DTEND", "RECURRENCE-ID")


def _spec_key(name: str, value: Any) -> tuple[Any, ...]:
    """What a property's line depends on, from the value given to ``Event.add``."""
    if isinstance(value, datetime):
        # By wall time and zone name: aware date-times in other zones compare equal.
        return (name, "datetime", value.isoformat(), str(value.tzinfo))
    if isinstance(value, (str, int)):
        return (name, type(value).__name__, value)
    return _line_key(name, value)


#: Plain TEXT properties: ``Event.add`` stores them as a ``vText`` without parameters,
#: whose line is the name, a colon and the escaped text.
_TEXTS = frozenset({"SUMMARY", "DESCRIPTION"})


def _spec_line(name: str, value: Any, encode: bool) -> tuple[bytes, str | None]:
    """One property's serialised line, as :func:`calendar_bytes` writes it, and its TZID."""
    if encode and name in _TEXTS and type(value) is str:
        raw = name.encode("ascii") + b":" + vText(value).to_ical()
        return (raw if len(raw) < 75 else _fold(raw)), None
    holder = Event()
    holder.add(name, value, encode=encode)
    stored = holder[name]
    raw = holder.content_line(name, stored).encode("utf-8")
    tzid = stored.params.get("TZID") if hasattr(stored, "params") else None
    return (raw if len(raw) < 75 else _fold(raw)), tzid


_EVENT_BEGIN, _EVENT_END = b"BEGIN:VEVENT\r\n", b"END:VEVENT\r\n"


def _spec_block(specs: Sequence[EventSpec], lines: dict[Any, Any]) -> _Block:
    """A cohort's events, serialised, from their specs (no icalendar event is built).

    Each line is built by icalendar as before, but the shared ones once per value
    (a person's, a slot's session times), in the order icalendar writes an event's
    properties (its canonical order, then by name; a repeated property's values in
    the order added). Building every event in icalendar was most of the writing of
    n = 30,000 (issue 25); the bytes are those of :func:`calendar_bytes` of
    the events (tested).
    """
    body: list[bytes] = []
    tzids: set[str] = set()
    years: list[int] = []
    uids: set[str] = set()
    for spec in specs:
        by_name: dict[str, list[tuple[Any, bool]]] = {}
        for name, value, encode in spec:
            by_name.setdefault(name, []).append((value, encode))
        body.append(_EVENT_BEGIN)
        for name in canonsort_keys(list(by_name), Event.canonical_order):
            for value, encode in by_name[name]:
                key = _spec_key(name, value) if name in _REUSED else None
                hit = lines.get(key) if key is not None else None
                if hit is None:
                    hit = _spec_line(name, value, encode)
                    if key is not None:
                        lines[key] = hit
                body.append(hit[0] + b"\r\n")
                if hit[1] is not None:
                    tzids.add(hit[1])
                if name in _DATED:
                    years.append(value.year)
        body.append(_EVENT_END)
        uids.update(str(value) for name, value, _ in spec if name == "UID")
    zones = sorted(tzids - {"UTC"})
    return _Block(b"".join(body), frozenset(zones), tuple(years), len(uids))


def _assemble(
    name: str, blocks: Sequence[_Block], method: str | None, zones: dict[Any, bytes]
) -> bytes:
    """The bytes :func:`calendar_bytes` gives for these events: header, VTIMEZONEs, events.

    ``zones`` keeps each serialised VTIMEZONE (by zone and years): thousands of
    calendars share a handful, and a VTIMEZONE's lines follow the header's.
    """
    tzids = sorted(set().union(*(b.tzids for b in blocks)))
    years = [y for b in blocks for y in b.years]
    timezones = []
    for tzid in tzids:
        key = (tzid, min(years), max(years))
        if key not in zones:
            zones[key] = calendar_bytes(vtimezone(*key))
        timezones.append(zones[key])
    head = calendar_bytes(_header(name, method))
    assert head.endswith(_END)
    return head[: -len(_END)] + b"".join(timezones) + b"".join(b.events for b in blocks) + _END


def calendar_files(
    problem: ProblemData,
    cohorts: Sequence[Cohort],
    mode: str = "series",
    *,
    stamp: datetime | None = None,
    sequences: Mapping[str, int] | None = None,
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Every cohort's and every facilitator's calendar, as bytes, each event serialised once.

    The same bytes as :func:`calendar_bytes` of :func:`cohort_calendar` and
    :func:`facilitator_calendar` (tested), but a facilitator's calendar reuses
    the serialised events of the cohorts they lead instead of building and
    serialising them again: icalendar's serialisation was most of the writing
    time of a large program (issue 11).

    Returns
    -------
    tuple of dict
        Cohort id -> bytes, and facilitator id -> bytes (facilitators who lead a cohort).
    """
    when = stamp or dtstamp()
    seq = sequences or {}
    program = problem.config.program.name
    lines: dict[Any, Any] = {}
    zones: dict[Any, bytes] = {}
    blocks = {
        c.id: _spec_block(cohort_event_specs(problem, c, mode, when, seq.get(c.id, 0)), lines)
        for c in cohorts
    }
    by_cohort = {
        c.id: _assemble(
            f"{program}: cohort {c.id}",
            [blocks[c.id]],
            "REQUEST" if blocks[c.id].uids == 1 else None,
            zones,
        )
        for c in cohorts
    }
    led: dict[str, list[Cohort]] = {}
    for c in cohorts:
        if c.facilitator_id:
            led.setdefault(c.facilitator_id, []).append(c)
    by_facilitator = {}
    for fid, theirs in led.items():
        if fid not in problem.facilitator_index:
            raise ValueError(f"'{fid}' is not a facilitator")
        name = problem.facilitators[problem.facilitator_index[fid]].name
        ordered = sorted(theirs, key=lambda c: natural_key(c.id))
        by_facilitator[fid] = _assemble(
            f"{program}: {name}", [blocks[c.id] for c in ordered], None, zones
        )
    return by_cohort, by_facilitator


#: Properties whose serialised lines :func:`calendar_bytes` may reuse: a person's line is
#: the same in each of their cohort's events and in their facilitator's calendar, a
#: cohort's events share their UID, SEQUENCE and the run's DTSTAMP, and the cohorts of
#: one slot share their session times and weekly rule (the times were a third of the
#: calendars' lines still serialised at n = 30,000, issue 25).
_REUSED = frozenset(
    {"ATTENDEE", "ORGANIZER", "UID", "SEQUENCE", "DTSTAMP"}
    | {"DTSTART", "DTEND", "RECURRENCE-ID", "RRULE"}
)


def _line_key(name: str, value: Any) -> tuple[Any, ...]:
    """What a reused line's bytes depend on: name, value type, value and parameters.

    A date-time counts by its wall time and zone name, not its instant (two
    aware date-times in other zones compare equal but are written differently).
    """
    dt = getattr(value, "dt", None)
    shown = str(value) if dt is None else (dt.isoformat(), str(getattr(dt, "tzinfo", None)))
    return (name, type(value).__name__, shown, tuple(getattr(value, "params", {}).items()))


def calendar_bytes(
    cal: Calendar | Event | Timezone, lines: dict[Any, bytes] | None = None
) -> bytes:
    """Serialise a calendar: CRLF line ends, lines folded at 75 octets, UTF-8.

    The same bytes as ``cal.to_ical()``, but a line shorter than the fold
    limit skips icalendar's character-by-character folding, which was half
    the writing time of a large program (issue 11).

    ``lines``, when given, keeps the serialised lines of :data:`_REUSED`
    properties (by value and parameters) for the next calls: a person's line
    is built once, not once per session (most of the calendars' time at
    n = 30,000).
    """
    parts = []
    for name, value in cal.property_items():
        key = None
        if lines is not None and name in _REUSED:
            key = _line_key(name, value)
            hit = lines.get(key)
            if hit is not None:
                parts.append(hit)
                continue
        raw = cal.content_line(name, value).encode("utf-8")
        raw = raw if len(raw) < 75 else _fold(raw)
        if key is not None:
            lines[key] = raw  # type: ignore[index]
        parts.append(raw)
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
