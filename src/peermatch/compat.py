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
from functools import cached_property

from peermatch.availability import Window
from peermatch.model import Facilitator, Participant, ProblemData
from peermatch.schedule import Slot, attends, candidate_slots, session_times

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


def _group_key(
    problem: ProblemData, person: Participant | Facilitator
) -> tuple[str, tuple[Window, ...]]:
    return problem.timezone_of(person), problem.availability_of(person)


def slot_table(problem: ProblemData, offsets: int | None = None) -> SlotTable:
    """Compute the :class:`SlotTable` of a problem.

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

    # People with the same zone and windows attend the same slots: evaluate each group once.
    groups: dict[tuple[str, tuple[Window, ...]], int] = defaultdict(int)
    for i, p in enumerate(problem.participants):
        groups[_group_key(problem, p)] |= 1 << i
    fac_groups: dict[tuple[str, tuple[Window, ...]], int] = defaultdict(int)
    for j, f in enumerate(problem.facilitators):
        fac_groups[_group_key(problem, f)] |= 1 << j

    cache: dict[tuple[tuple[str, tuple[Window, ...]], Slot], bool] = {}

    def ok(key: tuple[str, tuple[Window, ...]], slot: Slot) -> bool:
        hit = cache.get((key, slot))
        if hit is None:
            sessions = session_times(rules, slot)
            # The first session rejects most slots; check it alone before the series.
            hit = attends(key[1], key[0], sessions[:1]) and attends(key[1], key[0], sessions[1:])
            cache[(key, slot)] = hit
        return hit

    masks: list[int] = []
    fmasks: list[int] = []
    for slot in slots:
        mask = 0
        for key, bits in groups.items():
            if (slot.zone == program_zone or key[0] == slot.zone) and ok(key, slot):
                mask |= bits
        masks.append(mask)
        fmask = 0
        for key, bits in fac_groups.items():
            if ok(key, slot):
                fmask |= bits
        fmasks.append(fmask)
    return SlotTable(tuple(slots), tuple(masks), tuple(fmasks))
