"""Session series on real dates, and who can attend them.

A cohort meets on a weekly :class:`Slot`: a weekday and a start time in an
anchor time zone, plus a week offset within the first cadence period (used to
stagger cohorts that share a facilitator). Its series starts on the first
such weekday on or after ``start_date + offset weeks`` and repeats every
``cadence_weeks``. A session whose nominal date is a blackout date moves to
the same weekday of the next week that is free; the series keeps its full
number of sessions and its later sessions keep their nominal dates.

Availability is always checked on the actual dates: each session's start and
end are converted to the attendee's own zone (so daylight-saving changes in
either zone are honoured) and must lie in one of their weekly windows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from peermatch.availability import DAY_NAMES, Window, windows_contain
from peermatch.model import ScheduleRules

__all__ = [
    "SessionTime",
    "Slot",
    "attends",
    "local_span",
    "series_dates",
    "session_times",
    "slot_grid",
]

#: How many weeks a blackout may push one session before the series is declared impossible.
MAX_SHIFT_WEEKS = 26


class Slot(BaseModel):
    """A weekly meeting slot: ``weekday`` (0 = Monday) at ``start_minute`` in ``zone``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    zone: str
    weekday: int = Field(ge=0, le=6)
    start_minute: int = Field(ge=0, lt=1440)
    week_offset: int = Field(default=0, ge=0)

    def __str__(self) -> str:
        h, m = divmod(self.start_minute, 60)
        week = f" (week +{self.week_offset})" if self.week_offset else ""
        return f"{DAY_NAMES[self.weekday]} {h:02d}:{m:02d} {self.zone}{week}"

    @property
    def sort_key(self) -> tuple[int, int, int, str]:
        return (self.week_offset, self.weekday, self.start_minute, self.zone)


class SessionTime(BaseModel):
    """One session of a series: number (1-based), aware start and end, and its nominal date if moved."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: int
    start: datetime
    end: datetime
    moved_from: date | None = None


@lru_cache(maxsize=4096)
def series_dates(
    rules: ScheduleRules, weekday: int, week_offset: int = 0
) -> tuple[tuple[date, date], ...]:
    """``(actual, nominal)`` dates of every session of a series on ``weekday``.

    The nominal dates follow the cadence from the first ``weekday`` on or after
    ``start_date + week_offset`` weeks; a nominal date on a blackout date (or
    already taken by a moved session) moves a week at a time until it is free.

    Raises
    ------
    ValueError
        When a session cannot leave the blackout dates within ``MAX_SHIFT_WEEKS``.
    """
    anchor = rules.start_date + timedelta(weeks=week_offset)
    first = anchor + timedelta(days=(weekday - anchor.weekday()) % 7)
    out: list[tuple[date, date]] = []
    taken: set[date] = set()
    for k in range(rules.sessions):
        nominal = first + k * rules.period
        day, shifts = nominal, 0
        while rules.is_blackout(day) or day in taken:
            day += timedelta(weeks=1)
            shifts += 1
            if shifts > MAX_SHIFT_WEEKS:
                raise ValueError(
                    f"session {k + 1} on {nominal} cannot leave the blackout dates "
                    f"within {MAX_SHIFT_WEEKS} weeks"
                )
        taken.add(day)
        out.append((day, nominal))
    return tuple(out)


@lru_cache(maxsize=65536)
def _series(rules: ScheduleRules, slot: Slot) -> tuple[SessionTime, ...]:
    zone = ZoneInfo(slot.zone)
    h, m = divmod(slot.start_minute, 60)
    out: list[SessionTime] = []
    for k, (day, nominal) in enumerate(series_dates(rules, slot.weekday, slot.week_offset)):
        # fold=0: a wall time in a DST gap or overlap is read as the earlier offset,
        # which is what calendar clients do for DTSTART with a TZID.
        start = datetime(day.year, day.month, day.day, h, m, tzinfo=zone)
        # Elapsed time, not wall time: aware + timedelta in Python is wall-clock arithmetic.
        end = (start.astimezone(UTC) + timedelta(minutes=rules.duration_minutes)).astimezone(zone)
        out.append(
            SessionTime(
                number=k + 1, start=start, end=end, moved_from=nominal if day != nominal else None
            )
        )
    return tuple(out)


def session_times(rules: ScheduleRules, slot: Slot) -> tuple[SessionTime, ...]:
    """The sessions of a series that meets on ``slot`` under ``rules``.

    Start and end are aware datetimes in the slot's zone. The duration is
    elapsed time, so a session spanning a daylight-saving change still lasts
    ``duration_minutes``.
    """
    return _series(rules, slot)


def _offset_change(start: datetime, end: datetime, zone: ZoneInfo) -> datetime:
    """The first instant in ``(start, end]`` (to the minute) where ``zone``'s offset differs from start's."""
    old = start.astimezone(zone).utcoffset()
    lo, hi = start.astimezone(UTC), end.astimezone(UTC)
    while hi - lo > timedelta(minutes=1):
        mid = lo + timedelta(minutes=(hi - lo) // timedelta(minutes=1) // 2)
        if mid.astimezone(zone).utcoffset() == old:
            lo = mid
        else:
            hi = mid
    return hi


def local_span(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The wall-clock span (naive, in ``zone``) a session from ``start`` to ``end`` occupies.

    Normally the local start and end. When the clocks go back during the
    session its local end can read earlier than (or the same as) its start, so
    the span is widened to the hull of both sides of the change: from the
    earlier of the start and the change's new wall time to the later of the
    end and its old wall time (the repeated hour the session touches). When
    the clocks go forward the local start and end already enclose it.

    Both ends go through UTC first: ``astimezone`` to a datetime's own zone
    returns it unchanged, so a start at a wall time the spring change skips
    (01:00 on the EU's change day, an instant at 02:00 BST) would otherwise be
    read as 01:00, an hour before the session really begins.
    """
    a, b = start.astimezone(UTC).astimezone(zone), end.astimezone(UTC).astimezone(zone)
    lo, hi = a.replace(tzinfo=None), b.replace(tzinfo=None)
    if a.utcoffset() != b.utcoffset():
        change = _offset_change(start, end, zone).replace(tzinfo=None)
        lo = min(lo, change + b.utcoffset())  # type: ignore[operator]
        hi = max(hi, change + a.utcoffset())  # type: ignore[operator]
    return lo, hi


def attends(windows: Sequence[Window], timezone: str, sessions: Iterable[SessionTime]) -> bool:
    """Whether a person with ``windows`` in ``timezone`` can attend every session, whole.

    Each session's wall-clock span in ``timezone`` (see :func:`local_span`)
    must lie within one weekly window on that local date.
    """
    zone = ZoneInfo(timezone)
    for s in sessions:
        start, end = local_span(s.start, s.end, zone)
        lo = start.hour * 60 + start.minute
        if end.date() == start.date():
            hi = end.hour * 60 + end.minute
        elif end.date() == start.date() + timedelta(days=1) and (end.hour, end.minute) == (0, 0):
            hi = 1440
        else:
            return False  # a window never crosses local midnight
        day = start.weekday()
        if not windows_contain(windows, day, lo, hi):
            return False
    return True


def slot_grid(rules: ScheduleRules, zones: Iterable[str], offsets: int = 1) -> list[Slot]:
    """Every slot on the ``slot_minutes`` grid whose session fits in a day, in each zone.

    Parameters
    ----------
    offsets
        How many week offsets (0 .. offsets-1) to consider.
    """
    last_start = 1440 - rules.duration_minutes
    return [
        Slot(zone=z, weekday=d, start_minute=m, week_offset=o)
        for o in range(offsets)
        for z in sorted(set(zones))
        for d in range(7)
        for m in range(0, last_start + 1, rules.slot_minutes)
    ]
