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
from peermatch.model import Facilitator, Participant, ProblemData, ScheduleRules
from peermatch.schedule import Slot, series_dates, slot_grid

__all__ = ["SlotClass", "SlotTable", "mask_members", "positions_mask", "slot_table"]


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
        return mask_members(self.mask).tolist()


def mask_members(mask: int) -> np.ndarray:
    """Positions of the set bits of ``mask``, ascending (linear time, unlike bit loops)."""
    raw = np.frombuffer(mask.to_bytes((mask.bit_length() + 7) // 8, "little"), dtype=np.uint8)
    return np.flatnonzero(np.unpackbits(raw, bitorder="little"))


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

    def companions(self, person: int) -> int:
        """The largest number of *other* participants who share a slot with ``person``."""
        counts = self.companion_counts
        return int(counts[person]) if person < len(counts) else -1

    @cached_property
    def companion_counts(self) -> np.ndarray:
        """:meth:`companions` of every participant position (-1: no slot at all).

        Classes come largest first, so a person's first class is their best: each
        class only fills the people not yet seen, and the scan stops once all are.
        """
        n = max((m.bit_length() for m in self.masks), default=0)
        counts = np.full(n, -1, dtype=np.int64)
        left = n
        for c in self.classes:
            if left == 0:
                break
            members = mask_members(c.mask)
            fresh = members[counts[members] < 0]
            counts[fresh] = c.size - 1
            left -= len(fresh)
        return counts


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


def positions_mask(positions: Sequence[int], size: int) -> int:
    """The bitmask with the bits at ``positions`` (all below ``size``) set, in O(size) C time."""
    flags = np.zeros(size, dtype=bool)
    flags[np.asarray(positions, dtype=np.int64)] = True
    return _bits_to_int(flags)


def _bits_to_int(flags: np.ndarray) -> int:
    """A boolean vector as an int bitmask (element ``i`` is bit ``i``), in O(len) C time."""
    return int.from_bytes(np.packbits(flags, bitorder="little").tobytes(), "little")


class _ZoneView:
    """Every slot's sessions as intervals of a zone's local week, deduplicated.

    ``rows[s]`` indexes the distinct session patterns; ``ws``/``we`` hold, per
    pattern and session, the minutes of the local week; ``valid`` marks the
    patterns whose every session lies within one local day.
    """

    def __init__(self, steps: _Offsets, starts: np.ndarray, ends: np.ndarray, possible: np.ndarray):
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
        valid = np.all(same_day | to_midnight, axis=1) & possible
        # Slots differing only in their week offset mostly read the same in local time:
        # check each distinct pattern once per availability group.
        both = np.concatenate([ws, we], axis=1)
        patterns, self.rows = np.unique(both, axis=0, return_inverse=True)
        self.rows = self.rows.reshape(-1)
        sessions = ws.shape[1]
        self.ws, self.we = patterns[:, :sessions], patterns[:, sessions:]
        self.valid = valid

    def fits(self, prefix: np.ndarray) -> np.ndarray:
        """Per slot: whether windows with coverage prefix sums ``prefix`` hold every session."""
        covered = np.all((prefix[self.we] - prefix[self.ws]) == (self.we - self.ws), axis=1)
        return covered[self.rows] & self.valid


def _session_instants(
    rules: ScheduleRules, slots: Sequence[Slot]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, date, date]:
    """UTC start minutes of every session of every slot, which series exist, and the date range."""
    count = len(slots)
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
    return starts, starts + rules.duration_minutes, possible, min(days), max(days)


def slot_table(problem: ProblemData, offsets: int | None = None) -> SlotTable:
    """Compute the :class:`SlotTable` of a problem.

    Vectorised: session instants of all candidate slots are computed once in
    UTC and once per zone in local time; each group of people sharing a zone
    and windows checks its windows by prefix sums. Slots that admit the same
    groups share one bitmask object, built in C from a boolean vector, so the
    work and memory grow with groups x slots plus distinct sets x people,
    never slots x people. The result equals
    :func:`peermatch.schedule.attends` slot by slot (tested), which
    :func:`peermatch.violations` uses independently.

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
    slots = slot_grid(rules, zones, offsets)
    starts, ends, possible, first, last = _session_instants(rules, slots)
    zone_of = np.array([s.zone for s in slots], dtype=object)
    views: dict[str, _ZoneView] = {}
    prefixes: dict[tuple[Window, ...], np.ndarray] = {}

    def fits(zone: str, windows: tuple[Window, ...]) -> np.ndarray:
        if zone not in views:
            views[zone] = _ZoneView(_Offsets(zone, first, last), starts, ends, possible)
        if windows not in prefixes:
            prefixes[windows] = _coverage(windows)
        return views[zone].fits(prefixes[windows])

    def masks_for(people: Sequence[Participant | Facilitator], anchored: bool) -> list[int]:
        keys: dict[tuple[str, tuple[Window, ...]], int] = {}
        group_of = np.empty(len(people), dtype=np.int64)
        for i, person in enumerate(people):
            key = (problem.timezone_of(person), problem.availability_of(person))
            group_of[i] = keys.setdefault(key, len(keys))
        ok = np.zeros((len(keys), len(slots)), dtype=bool)
        for (zone, windows), g in keys.items():
            ok[g] = fits(zone, windows)
            if anchored:
                ok[g] &= (zone_of == program_zone) | (zone_of == zone)
        # One bitmask per distinct set of groups, shared by every slot admitting that set.
        signature = np.packbits(ok, axis=0).T if len(keys) else np.zeros((len(slots), 0), np.uint8)
        built: dict[bytes, int] = {}
        masks = []
        for s in range(len(slots)):
            sig = signature[s].tobytes()
            if sig not in built:
                built[sig] = _bits_to_int(ok[:, s][group_of]) if ok[:, s].any() else 0
            masks.append(built[sig])
        return masks

    return SlotTable(
        tuple(slots),
        tuple(masks_for(problem.participants, True)),
        tuple(masks_for(problem.facilitators, False)),
    )
