"""The greedy start's cohort state: each cohort's planned level and cheap caches.

Kept apart from :mod:`peermatch.solvers.greedy` so that
:mod:`peermatch.solvers.greedy_rank`, which reads this state, and the greedy,
which calls the ranking, do not import each other.
"""

from __future__ import annotations

from collections.abc import Sequence

from peermatch.solvers.cohort_state import CohortState
from peermatch.solvers.group_seating import GroupSeats
from peermatch.solvers.instance import FormationInstance

__all__ = ["GreedyState"]


def _planned_bands(inst: FormationInstance, planned: list[float]) -> list[list[float]]:
    """Per cohort, a planned value of every ``[closeness]`` column (none without the rule).

    People sorted by level, then by the columns, are cut into as many runs as
    there are cohorts (the level plan's runs, refined): each cohort's planned
    value is its run's median, so the bands tile the people of each level.
    """
    bands = inst.placement.closeness
    k = len(planned)
    if not bands or not k:
        return [[] for _ in planned]
    order = sorted(range(inst.n), key=lambda i: (inst.levels[i], *(b.numbers[i] for b in bands), i))
    out = []
    for j in range(k):
        chunk = order[j * inst.n // k : (j + 1) * inst.n // k] or order[-1:]
        out.append([sorted(b.numbers[i] for i in chunk)[len(chunk) // 2] for b in bands])
    return out


class GreedyState(CohortState):
    """The cohort state with each cohort's planned seniority level."""

    def __init__(self, inst: FormationInstance, planned: list[float]):
        super().__init__(inst, [[] for _ in planned])
        self.planned = planned
        self.planned_bands = _planned_bands(inst, planned)
        # Per cohort: lowest and highest level, and the options every member shares,
        # kept up to date by _count, so that most cohorts a person cannot join are
        # ruled out without the full rule check (a part of 1,200 people asks about
        # 150 cohorts for each person).
        self.lo = [0] * len(planned)
        self.hi = [0] * len(planned)
        self.shared = [self.all_options] * len(planned)
        #: Group members seated first (:mod:`~peermatch.solvers.group_seating`) stay put.
        self.seats = GroupSeats()

    def fits(self, k: int, out: int | None, into: int | None, *, building: bool = False) -> bool:
        """:meth:`CohortState.fits`, except that a pinned group member never changes cohort."""
        if self.seats.moves(out, self.where, -1) or self.seats.moves(into, self.where, k):
            return False
        return super().fits(k, out, into, building=building)

    def try_group(self, group: Sequence[int], k: int) -> bool:
        """Add every member of ``group`` to cohort ``k`` if each fits in turn, else none."""
        added: list[int] = []
        for i in group:
            if not self.open_to(i, k):
                for j in added:
                    self.remove(j)
                return False
            self.add(i, k)
            added.append(i)
        return True

    def _count(self, k: int, i: int, by: int) -> None:
        super()._count(k, i, by)
        if not hasattr(self, "shared"):
            return  # CohortState.__init__ counts its (here empty) cohorts before the caches exist
        members, levels = self.cohorts[k], self.inst.levels
        if by > 0 and len(members) > 1:
            self.lo[k], self.hi[k] = min(self.lo[k], levels[i]), max(self.hi[k], levels[i])
            self.shared[k] &= self.opts[i]
        else:  # a first member, or someone left: recount the cohort
            self.lo[k] = min((levels[m] for m in members), default=0)
            self.hi[k] = max((levels[m] for m in members), default=0)
            self.shared[k] = CohortState.option_mask(self, k)

    def option_mask(self, k: int) -> int:
        """Options every member of cohort ``k`` shares (all options when empty)."""
        return self.shared[k]

    def _may_join(self, i: int, k: int) -> bool:
        """Cheap necessary conditions of :meth:`open_to` without ``ignore``: size, organisation,
        levels and a shared option (each is a check :meth:`CohortState.fits` makes too)."""
        inst, members = self.inst, self.cohorts[k]
        if len(members) >= inst.max_size or not self.shared[k] & self.opts[i]:
            return False
        if self.orgs[k].get(inst.org_of[i], 0) >= inst.max_per_org:
            return False
        lv = inst.levels[i]
        return not members or max(self.hi[k], lv) - min(self.lo[k], lv) <= inst.max_level_gap

    def off_band(self, i: int, k: int) -> float:
        """How far ``i`` is from cohort ``k``'s planned ``[closeness]`` values, in bands."""
        return sum(
            abs(value - rule.numbers[i]) / (rule.band or 1)
            for value, rule in zip(self.planned_bands[k], self.rules.closeness, strict=True)
        )

    def open_to(self, i: int, k: int, ignore: int | None = None) -> bool:
        """Whether ``i`` may join cohort ``k`` while building (as if ``ignore`` had left it)."""
        if ignore is None and not self._may_join(i, k):
            return False
        return self.fits(k, ignore, i, building=True)
