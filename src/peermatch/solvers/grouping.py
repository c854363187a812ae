"""Groupings of a flat instance's people, and making a start respect locks and together groups.

:class:`Grouping` (cohorts, their facilitators, the people left out) is the
one type every solver step (greedy start, model extraction, neighbourhood
search, finishing) hands on, instead of an anonymous
``(cohorts, facilitators, unplaced)`` tuple. People and facilitators are
instance indices; :func:`peermatch.solvers.finish.finish_solution` turns a
grouping into a :class:`~peermatch.solution.Solution`.

The greedy constructor places people one by one and knows nothing of
groups. :func:`respect_groups` turns its result into a start the later
search can only improve: each group ends up wholly in one cohort or wholly
left out (a *defect* the neighbourhood search repairs first), groups locked
to different ids never share a cohort, and a cohort that shrinks below
``min_size`` on the way is dissolved into the left-out list, so that every
cohort kept is still sound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from peermatch.solvers.instance import FormationInstance

__all__ = ["Grouping", "respect_groups"]


@dataclass(frozen=True)
class Grouping:
    """Cohorts as member lists, a facilitator per cohort, and the people left out.

    Attributes
    ----------
    cohorts
        Member (instance) indices per cohort.
    facilitators
        The facilitator index of each cohort (``None`` for a cohort nobody
        leads yet); ``None`` as a whole for a program without facilitators.
    unplaced
        People in no cohort.
    """

    cohorts: list[list[int]]
    facilitators: list[int | None] | None = None
    unplaced: list[int] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        cohorts: Sequence[Sequence[int]],
        facilitators: Sequence[int | None] | None = None,
        unplaced: Sequence[int] = (),
    ) -> Grouping:
        """A grouping holding fresh copies of the given lists."""
        facs = list(facilitators) if facilitators is not None else None
        return cls([list(c) for c in cohorts], facs, list(unplaced))

    @property
    def leaderless(self) -> int:
        """Cohorts without a facilitator (0 for a program without facilitators)."""
        return 0 if self.facilitators is None else sum(f is None for f in self.facilitators)

    @property
    def complete(self) -> bool:
        """Nobody is left out and every cohort is led."""
        return not self.unplaced and not self.leaderless


def _fits(inst: FormationInstance, members: Sequence[int], group: Sequence[int]) -> bool:
    """Whether ``group`` can join ``members`` without breaking a per-cohort rule."""
    people = [*members, *group]
    if len(people) > inst.max_size:
        return False
    orgs: dict[int, int] = {}
    for i in people:
        orgs[inst.org_of[i]] = orgs.get(inst.org_of[i], 0) + 1
    if max(orgs.values()) > inst.max_per_org:
        return False
    levels = [inst.levels[i] for i in people]
    if max(levels) - min(levels) > inst.max_level_gap:
        return False
    inside = set(members)
    if any(inst.conflict_sets[i] & inside for i in group):
        return False
    for values in inst.similarity:
        if len({values[i] for i in people}) > 1 or values[people[0]] is None:
            return False
    need = 0
    for i in people:
        need |= 1 << i
    return any(o.mask & need == need for o in inst.options)


def respect_groups(
    inst: FormationInstance, cohorts: Sequence[Sequence[int]], unplaced: Sequence[int]
) -> tuple[list[list[int]], list[int]]:
    """A copy of ``cohorts``/``unplaced`` in which every group is whole or left out.

    A split group is gathered into the cohort holding most of it when the
    rest fits there; otherwise the whole group is left out. Cohorts left
    below ``min_size`` are dissolved (their members left out).
    """
    current = [list(c) for c in cohorts]
    left = set(unplaced)
    where = {i: k for k, c in enumerate(current) for i in c}
    lock_at: dict[int, str] = {}
    for group, lock in zip(inst.groups, inst.group_locks, strict=True):
        homes = [where[i] for i in group if i in where]
        best = max(set(homes), key=lambda k: (homes.count(k), -k)) if homes else None
        for i in group:
            if i in where:
                current[where.pop(i)].remove(i)
            left.add(i)
        if best is None or (lock and lock_at.get(best, lock) != lock):
            continue
        if _fits(inst, current[best], group):
            current[best].extend(group)
            where.update({i: best for i in group})
            left.difference_update(group)
            if lock:
                lock_at[best] = lock
    _refill(inst, current, left, lock_at)
    kept = []
    for members in current:
        if len(members) >= inst.min_size:
            kept.append(sorted(members))
        else:
            left.update(members)
    return kept, sorted(left)


def _refill(
    inst: FormationInstance, current: list[list[int]], left: set[int], lock_at: dict[int, str]
) -> None:
    """Bring cohorts below ``min_size`` back up with people left out (whole groups) who fit.

    Regression (issue 25): with locks in 40 % of the cohorts and together
    pairs in 60 % (locks-together, n = 120, seed 1), gathering the groups
    left cohorts below ``min_size``; dissolving them left 71 of 120 people
    out of the start (31 with this refill), and the search placed them a few per step.
    """
    locks = dict(zip(range(len(inst.groups)), inst.group_locks, strict=True))
    for k, members in enumerate(current):
        for i in sorted(left):
            if len(members) >= inst.min_size:
                break
            if i not in left:
                continue
            g = inst.group_of.get(i)
            unit = list(inst.groups[g]) if g is not None else [i]
            lock = locks[g] if g is not None else None
            if lock and lock_at.get(k, lock) != lock:
                continue
            if all(j in left for j in unit) and _fits(inst, members, unit):
                members.extend(unit)
                left.difference_update(unit)
                if lock:
                    lock_at[k] = lock
