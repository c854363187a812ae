"""VTIMEZONE components built from this machine's IANA database (``zoneinfo``).

icalendar 7's ``Timezone.from_tzinfo`` writes the wall time *after* the
change as a spring transition's DTSTART, an hour late; RFC 5545 3.6.5 wants
the onset in the local time of the offset in force before it (TZOFFSETFROM).
So peermatch builds its VTIMEZONEs itself: one STANDARD or DAYLIGHT
observance for the start of the covered range and one per change of UTC
offset (or abbreviation) inside it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

__all__ = ["vtimezone"]


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
