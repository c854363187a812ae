"""Who can attend which weekly slot, computed once before any model is built.

The candidate slots are every ``slot_minutes`` step of every weekday in each
*anchor zone* (the program's zone and every zone a participant lives in).
A participant is compatible with a slot when they can attend each of its
sessions on the actual dates, and, for a slot anchored outside the program's
zone, when they live in that zone (a cohort is anchored in its members'
common zone only when they all share it).

Many slots admit exactly the same people. :class:`SlotTable` keeps, for
each distinct set of compatible people, the slots that admit it, and marks
the *maximal* sets: a cohort never needs a slot whose set is contained in
another's, which shrinks hundreds of slots to a handful of classes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np

from peermatch.availability import Window, merge_windows
from peermatch.model import Facilitator, Participant, ProblemData
from peermatch.schedule import Slot, candidate_slots, series_dates

__all__ = ["SlotClass", "SlotTable", "slot_table"]


@dataclass(frozen=True)
class SlotClass:
    """Slots that admit the same set of participants (a bitmask over participant positions)."""

    mask: int
    slots: tuple[Slot, ...]

    @property
    def size(self) -> int:
        return self.mask.bit_count()

    def members(self) -> list[int]:
        """Positions of the compatible participants, ascending."""
        out, m = [], self.mask
        while m:
            low = m & -m
            out.append(low.bit_length() - 1)
            m ^= low
        return out


@dataclass(frozen=True)
class SlotTable:
    """Compatibility of every participant and facilitator with every candidate slot.

    Attributes
    ----------
    slots
        Candidate slots in a fixed order.
    masks
        For each slot, the bitmask of compatible participant positions.
    facilitator_masks
        For each slot, the bitmask of facilitator positions free for it.
    """

    slots: tuple[Slot, ...]
    masks: tuple[int, ...]
    facilitator_masks: tuple[int, ...]

    @cached_property
    def classes(self) -> tuple[SlotClass, ...]:
        """Distinct non-empty participant sets with their slots, largest first."""
        by_mask: dict[int, list[Slot]] = defaultdict(list)
        for slot, mask in zip(self.slots, self.masks, strict=True):
            if mask:
                by_mask[mask].append(slot)
        return tuple(
            SlotClass(mask, tuple(sorted(slots, key=lambda s: s.sort_key)))
            for mask, slots in sorted(by_mask.items(), key=lambda kv: (-kv[0].bit_count(), kv[0]))
        )

    @cached_property
    def maximal_classes(self) -> tuple[SlotClass, ...]:
        """Classes whose participant set is not strictly inside another class's set."""
        out: list[SlotClass] = []
        for c in self.classes:  # largest first, so supersets come before subsets
            if not any(c.mask & o.mask == c.mask for o in out):
                out.append(c)
        return tuple(out)

    def slots_for(self, people: Sequence[int]) -> list[Slot]:
        """Every slot all of ``people`` (participant positions) are compatible with."""
        need = 0
        for i in people:
            need |= 1 << i
        return [s for s, m in zip(self.slots, self.masks, strict=True) if m & need == need]

    def companions(self, person: int) -> int:
        """The largest number of *other* participants who share a slot with ``person``."""
        bit = 1 << person
        return max((m.bit_count() - 1 for m in self.masks if m & bit), default=-1)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_THURSDAY = 3  # 1970-01-01 was a Thursday


def _minutes(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() // 60)


class _Offsets:
    """A zone's UTC offset (minutes) as a step function of UTC minutes over a date range."""

    def __init__(self, zone: str, first: date, last: date):
        tz = ZoneInfo(zone)

        def offset(t: int) -> int:
            moment = EPOCH + timedelta(minutes=t)
            delta = moment.astimezone(tz).utcoffset()
            return int(delta.total_seconds() // 60) if delta is not None else 0

        day0 = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(days=2)
        t = _minutes(day0)
        end = _minutes(datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=3))
        instants, offsets = [-(1 << 62)], [offset(t)]
        while t < end:
            nxt = t + 1440
            off = offset(nxt)
            if off != offsets[-1]:
                lo, hi = t, nxt  # offset(lo) is the old one, offset(hi) the new one
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if offset(mid) == offsets[-1]:
                        lo = mid
                    else:
                        hi = mid
                instants.append(hi)
                offsets.append(off)
            t = nxt
        self.instants = np.array(instants, dtype=np.int64)
        self.offsets = np.array(offsets, dtype=np.int64)

    def at(self, utc: np.ndarray) -> np.ndarray:
        return self.offsets[np.searchsorted(self.instants, utc, side="right") - 1]


def _local_to_utc(zone: ZoneInfo, day: date, minutes: np.ndarray) -> np.ndarray:
    """UTC minutes of local wall times on ``day`` (fold=0, as calendar clients read them)."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    late = datetime(day.year, day.month, day.day, 23, 59, tzinfo=zone)
    base = _minutes(datetime(day.year, day.month, day.day, tzinfo=UTC))
    if midnight.utcoffset() == late.utcoffset():
        off = int(midnight.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
        return base + minutes - off
    # A daylight-saving change on this very day: convert each time exactly.
    return np.array(
        [
            _minutes(datetime(day.year, day.month, day.day, int(m) // 60, int(m) % 60, tzinfo=zone))
            for m in minutes
        ],
        dtype=np.int64,
    )


def _coverage(windows: tuple[Window, ...]) -> np.ndarray:
    """Prefix sums of the minutes of the week covered by ``windows``."""
    covered = np.zeros(7 * 1440, dtype=np.int64)
    for w in merge_windows(windows):
        covered[w.day * 1440 + w.start : w.day * 1440 + w.end] = 1
    return np.concatenate([[0], np.cumsum(covered)])


def slot_table(problem: ProblemData, offsets: int | None = None) -> SlotTable:
    """Compute the :class:`SlotTable` of a problem.

    Vectorised: session instants of all candidate slots are computed once in
    UTC; each group of people sharing a zone and windows converts them with
    its zone's offset steps and checks its windows by prefix sums. The
    result equals :func:`peermatch.schedule.attends` slot by slot (tested),
    which :func:`peermatch.violations` uses independently.

    Parameters
    ----------
    offsets
        Week offsets to consider; default 1 without facilitators, else the
        cadence (so that cohorts sharing a facilitator can be staggered).
    """
    rules = problem.config.schedule
    if offsets is None:
        offsets = rules.cadence_weeks if problem.facilitators else 1
    program_zone = rules.timezone
    zones = {program_zone} | {problem.timezone_of(p) for p in problem.participants}
    slots = candidate_slots(rules, zones, offsets)
    count = len(slots)

    # Session start instants (UTC minutes) of every slot; -1 rows: series impossible.
    starts = np.zeros((count, rules.sessions), dtype=np.int64)
    possible = np.ones(count, dtype=bool)
    groups_of_slots: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    for idx, slot in enumerate(slots):
        groups_of_slots[(slot.zone, slot.weekday, slot.week_offset)].append(idx)
    days: list[date] = [rules.start_date]
    for (zone, weekday, offset), idxs in groups_of_slots.items():
        try:
            dates = series_dates(rules, weekday, offset)
        except ValueError:
            possible[idxs] = False
            continue
        tz = ZoneInfo(zone)
        minutes = np.array([slots[i].start_minute for i in idxs], dtype=np.int64)
        for k, (day, _) in enumerate(dates):
            starts[idxs, k] = _local_to_utc(tz, day, minutes)
            days.append(day)
    ends = starts + rules.duration_minutes
    first, last = min(days), max(days)
    offset_cache: dict[str, _Offsets] = {}

    def fits(zone: str, windows: tuple[Window, ...]) -> np.ndarray:
        steps = offset_cache.get(zone) or offset_cache.setdefault(zone, _Offsets(zone, first, last))
        off_start, off_end = steps.at(starts), steps.at(ends)
        local_start = starts + off_start
        local_end = ends + off_end
        # A change of offset inside a session: take the hull of both sides of it,
        # as schedule.local_span does (after a fall-back the local end may read
        # earlier than the start; an empty interval would be "covered" by anyone).
        nxt = np.searchsorted(steps.instants, starts, side="right")
        change = steps.instants[np.minimum(nxt, len(steps.instants) - 1)]
        crosses = (nxt < len(steps.instants)) & (change <= ends) & (off_start != off_end)
        local_start = np.where(crosses, np.minimum(local_start, change + off_end), local_start)
        local_end = np.where(crosses, np.maximum(local_end, change + off_start), local_end)
        day_s, min_s = np.divmod(local_start, 1440)
        day_e, min_e = np.divmod(local_end, 1440)
        same_day = day_e == day_s
        to_midnight = (day_e == day_s + 1) & (min_e == 0)
        end_min = np.where(to_midnight, 1440, min_e)
        weekday = (day_s + _THURSDAY) % 7
        ws = weekday * 1440 + min_s
        we = np.clip(weekday * 1440 + end_min, 0, 7 * 1440)
        prefix = _coverage(windows)
        covered = (prefix[we] - prefix[ws]) == (we - ws)
        return np.all(covered & (same_day | to_midnight), axis=1) & possible

    def masks_for(people: Sequence[Participant | Facilitator], anchored: bool) -> list[int]:
        groups: dict[tuple[str, tuple[Window, ...]], int] = defaultdict(int)
        for i, person in enumerate(people):
            groups[(problem.timezone_of(person), problem.availability_of(person))] |= 1 << i
        masks = [0] * count
        zone_of = np.array([s.zone for s in slots], dtype=object)
        for (zone, windows), bits in groups.items():
            ok = fits(zone, windows)
            if anchored:
                ok &= (zone_of == program_zone) | (zone_of == zone)
            for idx in np.flatnonzero(ok):
                masks[idx] |= bits
        return masks

    return SlotTable(
        tuple(slots),
        tuple(masks_for(problem.participants, True)),
        tuple(masks_for(problem.facilitators, False)),
    )
