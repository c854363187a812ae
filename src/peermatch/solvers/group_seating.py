"""Seating locks and ``together`` groups first in the greedy start.

The greedy constructor places people one by one. Without help it scatters
the members of a group (people locked to one cohort id, or joined by
``together`` pairs) over several cohorts, and
:func:`peermatch.solvers.grouping.respect_groups` must then gather them or
leave them out. Regression (issue 25): locks-together at n = 300, seed 1
(41 groups, 38 cohorts, ``max_level_gap = 1``): gathering afterwards left
115 of 300 people out of the start, the search placed a few per step and
the run ended with exit 4 at ``--time-limit 30``.

Here every group is seated whole, before anybody else, in the cohort whose
planned level is nearest its own, and its members are *pinned*: the
greedy's repair, balance and descent moves never take a pinned person out
of their cohort (:meth:`GroupSeats.moves`), so the start keeps groups whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from peermatch.solvers.instance import FormationInstance

__all__ = ["GroupSeats", "deal_parts", "seat_groups"]


@dataclass
class GroupSeats:
    """The people seated with their group, and which lock id each cohort holds."""

    pinned: set[int] = field(default_factory=set)
    lock_at: dict[int, str] = field(default_factory=dict)

    def moves(self, i: int | None, where: dict[int, int], k: int) -> bool:
        """Whether a pinned ``i`` would change cohort by being taken out of or into ``k``."""
        return i is not None and i in self.pinned and i in where and where[i] != k


def seat_groups(
    inst: FormationInstance,
    planned: Sequence[float],
    sizes: Callable[[int], int],
    try_group: Callable[[Sequence[int], int], bool],
) -> GroupSeats:
    """Seat each group whole in a cohort; return who is pinned and the cohorts' locks.

    Parameters
    ----------
    inst
        The flat instance (its ``groups`` and ``group_locks``).
    planned
        Each cohort's planned seniority level.
    sizes
        The current size of cohort ``k``.
    try_group
        Adds the group's members to cohort ``k`` when every one fits (and
        returns ``True``), or leaves the cohort as it was (``False``).

    Largest groups first; a group goes to the cohort nearest its mean level
    (then the emptiest) that takes it whole and holds no other lock id. A
    group no cohort takes is left to the one-by-one insertion.
    """
    seats = GroupSeats()
    order = sorted(range(len(inst.groups)), key=lambda g: (-len(inst.groups[g]), g))
    for g in order:
        group, lock = inst.groups[g], inst.group_locks[g]
        level = sum(inst.levels[i] for i in group) / len(group)
        ranked = sorted(range(len(planned)), key=lambda k: (abs(planned[k] - level), sizes(k), k))
        for k in ranked:
            if lock and seats.lock_at.get(k, lock) != lock:
                continue
            if sizes(k) + len(group) <= inst.max_size and try_group(group, k):
                seats.pinned.update(group)
                if lock:
                    seats.lock_at[k] = lock
                break
    return seats


def deal_parts(inst: FormationInstance, order: Sequence[int], parts: int) -> list[list[int]]:
    """``order`` dealt round-robin into ``parts`` parts, each group whole in its first member's.

    Regression (issue 25): locks-together at n = 3,000 (parts of 1,200 people) had its
    groups cut across parts; gathering them afterwards left 485 of 3,000 people out of
    the start and the run ended with exit 4.
    """
    dealt: list[list[int]] = [[] for _ in range(parts)]
    seen: set[int] = set()
    for r, i in enumerate(order):
        if i in seen:
            continue
        g = inst.group_of.get(i)
        members = inst.groups[g] if g is not None else (i,)
        dealt[r % parts].extend(members)
        seen.update(members)
    return dealt
