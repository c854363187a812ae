"""Where a planted slot's sessions fall in each time zone, on their actual dates."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from peermatch.availability import (
    Window,
    windows_contain,
)
from peermatch.generate.tables import _EARLIEST, _LATEST
from peermatch.model import (
    ScheduleRules,
)
from peermatch.schedule import Slot, session_times


class _LocalTimes:
    """Where a slot's sessions fall in each zone, on their actual dates (cached)."""

    def __init__(self, rules: ScheduleRules):
        self.rules = rules
        self._windows: dict[tuple[Slot, str], tuple[Window, ...] | None] = {}
        self._starts: dict[tuple[str, int, frozenset[str]], tuple[list[int], list[int]]] = {}

    def windows(self, slot: Slot, zone: str) -> tuple[Window, ...]:
        got = self.local(slot, zone)
        if got is None:
            raise ValueError(f"a session of {slot} crosses midnight in {zone}")
        return got

    def local(self, slot: Slot, zone: str) -> tuple[Window, ...] | None:
        """The distinct local (weekday, start, end) of the sessions, ``None`` if one crosses midnight."""
        key = (slot, zone)
        if key not in self._windows:
            tz = ZoneInfo(zone)
            out: set[Window] = set()
            ok = True
            for s in session_times(self.rules, slot):
                start, end = s.start.astimezone(tz), s.end.astimezone(tz)
                lo = start.hour * 60 + start.minute
                if end.date() == start.date():
                    hi = end.hour * 60 + end.minute
                elif end.date() == start.date() + timedelta(days=1) and (end.hour, end.minute) == (
                    0,
                    0,
                ):
                    hi = 1440
                else:
                    ok = False
                    break
                out.add(Window(day=start.weekday(), start=lo, end=hi))
            self._windows[key] = tuple(sorted(out, key=lambda w: (w.day, w.start))) if ok else None
        return self._windows[key]

    def valid_starts(
        self, anchor: str, weekday: int, zones: frozenset[str]
    ) -> tuple[list[int], list[int]]:
        """Grid start minutes in ``anchor``: inside the default window, and in office hours, in every zone."""
        key = (anchor, weekday, zones)
        if key not in self._starts:
            step = self.rules.slot_minutes
            last = 1440 - self.rules.duration_minutes
            office: list[int] = []
            fits: list[int] = []
            loose: list[int] = []
            for minute in range(0, last + 1, step):
                slot = Slot(zone=anchor, weekday=weekday, start_minute=minute)
                try:
                    locals_ = [self.local(slot, z) for z in zones]
                except ValueError:  # the series cannot leave the blackout dates
                    continue
                if any(w is None for w in locals_):
                    continue
                loose.append(minute)
                if all(w.start >= _EARLIEST and w.end <= _LATEST for ws in locals_ for w in ws):  # type: ignore[union-attr]
                    fits.append(minute)
                if all(
                    windows_contain(self.rules.default_availability, w.day, w.start, w.end)
                    for ws in locals_
                    for w in ws  # type: ignore[union-attr]
                ):
                    office.append(minute)
            # Sessions longer than office hours: accept any time that does not cross midnight.
            self._starts[key] = (office, fits or loose)
        return self._starts[key]


# --- writing -----------------------------------------------------------------------
