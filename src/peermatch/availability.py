"""Weekly availability windows: parsing, formatting and containment.

The contract's syntax is a ``;``-separated list of ``DAYS HH:MM-HH:MM`` items,
for example ``Mon 09:00-12:00; Wed 14:00-17:00`` or ``Mon-Fri 08:30-18:00``.
``DAYS`` is a day (``Mon``), a range (``Mon-Fri``, which may wrap: ``Sat-Mon``)
or a comma list of either (``Mon,Wed,Fri``). Full day names are accepted too.
Times are local to the person's own time zone; ``24:00`` may close a window.
A window never crosses midnight: write two windows for a night shift.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = [
    "DAY_NAMES",
    "AvailabilityError",
    "Window",
    "format_availability",
    "parse_availability",
    "windows_contain",
]

DAY_NAMES: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_LOOKUP = {
    **{d.lower(): i for i, d in enumerate(DAY_NAMES)},
    **{d: i for i, d in enumerate(_FULL)},
}
_DAY_LOOKUP.update({"tues": 1, "wednes": 2, "thur": 3, "thurs": 3})
_ITEM = re.compile(
    r"^\s*(?P<days>[A-Za-z][A-Za-z,\s\-–]*?)\s+(?P<start>\d{1,2}(?::\d{2})?)\s*[-–]\s*(?P<end>\d{1,2}(?::\d{2})?)\s*$"
)


class AvailabilityError(ValueError):
    """An availability text that does not follow the contract's syntax."""


class Window(BaseModel):
    """One weekly window: ``day`` (0 = Monday) from ``start`` to ``end`` minutes after midnight.

    Parameters
    ----------
    day
        Day of the week, 0 (Monday) to 6 (Sunday).
    start, end
        Minutes after local midnight, ``0 <= start < end <= 1440``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    day: int
    start: int
    end: int

    @model_validator(mode="after")
    def _check(self) -> Window:
        if not 0 <= self.day <= 6:
            raise ValueError(f"day must be 0 (Mon) to 6 (Sun), got {self.day}")
        if not 0 <= self.start < self.end <= 1440:
            raise ValueError(
                f"window {_fmt_time(self.start)}-{_fmt_time(self.end)} must start before it ends, "
                "within one day"
            )
        return self

    def __str__(self) -> str:
        return f"{DAY_NAMES[self.day]} {_fmt_time(self.start)}-{_fmt_time(self.end)}"


def _fmt_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_time(text: str, item: str) -> int:
    hours, _, mins = text.partition(":")
    h, m = int(hours), int(mins or 0)
    if m >= 60 or h > 24 or (h == 24 and m):
        raise AvailabilityError(f"'{text}' is not a time of day in '{item}'")
    return h * 60 + m


def _parse_day(token: str, item: str) -> int:
    key = token.strip().lower().rstrip(".")
    if key in _DAY_LOOKUP:
        return _DAY_LOOKUP[key]
    if len(key) >= 3:
        for name, idx in _DAY_LOOKUP.items():
            if name.startswith(key):
                return idx
    raise AvailabilityError(
        f"'{token.strip()}' is not a day of the week in '{item}' (use Mon..Sun)"
    )


def _parse_days(text: str, item: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 1:
            days.append(_parse_day(bounds[0], item))
        elif len(bounds) == 2:
            first, last = _parse_day(bounds[0], item), _parse_day(bounds[1], item)
            span = (last - first) % 7
            days.extend((first + k) % 7 for k in range(span + 1))
        else:
            raise AvailabilityError(f"'{part}' is not a day or a day range in '{item}'")
    if not days:
        raise AvailabilityError(f"no day given in '{item}'")
    return days


# Cached: rows repeat a few hundred availability texts, and windows are frozen (errors are
# not cached, so a bad text raises the same message every time).
@functools.lru_cache(maxsize=65536)
def parse_availability(text: str) -> tuple[Window, ...]:
    """Parse an availability text into sorted, merged weekly windows.

    Parameters
    ----------
    text
        For example ``"Mon 09:00-12:00; Wed 14:00-17:00"`` or ``"Mon-Fri 08:30-18:00"``.

    Returns
    -------
    tuple of Window
        Sorted by day and start; overlapping or touching windows are merged.

    Raises
    ------
    AvailabilityError
        When an item is malformed, names an unknown day, or ends before it starts.

    Examples
    --------
    >>> [str(w) for w in parse_availability("Mon-Wed 09:00-12:00; Wed 11:00-13:30")]
    ['Mon 09:00-12:00', 'Tue 09:00-12:00', 'Wed 09:00-13:30']
    """
    if not text or not text.strip():
        raise AvailabilityError("availability is empty")
    windows: list[Window] = []
    for item in re.split(r"[;\n|]", text):
        if not item.strip():
            continue
        match = _ITEM.match(item)
        if not match:
            raise AvailabilityError(
                f"'{item.strip()}' is not of the form 'Mon 09:00-12:00' or 'Mon-Fri 08:30-18:00'"
            )
        start = _parse_time(match["start"], item.strip())
        end = _parse_time(match["end"], item.strip())
        if end <= start:
            raise AvailabilityError(
                f"'{item.strip()}' ends before it starts (a window must lie within one day)"
            )
        for day in _parse_days(match["days"], item.strip()):
            windows.append(Window(day=day, start=start, end=end))
    return merge_windows(windows)


def merge_windows(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Sort windows and merge the ones that overlap or touch on the same day."""
    merged: list[Window] = []
    for w in sorted(windows, key=lambda w: (w.day, w.start, w.end)):
        if merged and merged[-1].day == w.day and w.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Window(day=w.day, start=last.start, end=max(last.end, w.end))
        else:
            merged.append(w)
    return tuple(merged)


def format_availability(windows: Iterable[Window]) -> str:
    """Format windows in the contract's syntax, grouping consecutive days with equal hours.

    ``parse_availability(format_availability(ws)) == merge_windows(ws)`` for every list of
    windows.
    """
    by_hours: dict[tuple[int, int], list[int]] = {}
    for w in merge_windows(windows):
        by_hours.setdefault((w.start, w.end), []).append(w.day)
    items: list[tuple[int, int, str]] = []
    for (start, end), days in by_hours.items():
        days = sorted(set(days))
        runs: list[list[int]] = []
        for d in days:
            if runs and runs[-1][-1] == d - 1:
                runs[-1].append(d)
            else:
                runs.append([d])
        for run in runs:
            label = (
                DAY_NAMES[run[0]] if len(run) == 1 else f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}"
            )
            items.append((run[0], start, f"{label} {_fmt_time(start)}-{_fmt_time(end)}"))
    return "; ".join(text for _, _, text in sorted(items))


def windows_contain(windows: Iterable[Window], day: int, start: int, end: int) -> bool:
    """Whether one window on ``day`` covers the whole interval ``[start, end)`` (minutes)."""
    return any(w.day == day and w.start <= start and end <= w.end for w in windows)
