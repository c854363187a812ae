"""One incremental state of cohorts: the greedy start and the swap descents both move people in it.

It keeps, per cohort, its members, organisation counts, value counts of
every diversity attribute and of every ``[limits]`` / ``[presence]`` column,
and the holders of every ``[required]`` rule, up to date as people move;
options as bitmasks per person, per anchor zone and per facilitator, so a
cohort's shared meeting options are one AND. :meth:`CohortState.fits` is the
one per-cohort rule check (what the model and :func:`peermatch.violations`
state for one cohort):

- sizes within ``min_size .. max_size``;
- at most ``max_per_organisation`` members of one organisation;
- no linked pair (history, reporting lines, ``apart`` pairs);
- levels within ``max_level_gap``; every similarity attribute shared;
- a meeting option anchored where the cohort must meet admits every member
  and, with facilitators, the cohort's facilitator (who may not be in
  conflict with a member);
- ``[limits]``, ``[presence]``, ``[required]`` and ``[closeness]``.

While the greedy start is *building* cohorts, a cohort may still be below
``min_size``, a lone member needs only some option (its anchor is settled
when a second joins), and ``[presence]`` and ``[required]`` (which a cohort
can only meet once it is complete) are left to :meth:`CohortState.counts_ok`.
"""

from __future__ import annotations

from collections.abc import Sequence

from peermatch.solvers.finish import stagger
from peermatch.solvers.instance import SIZE_WEIGHT, FormationInstance

__all__ = ["CohortState"]


def _bump(counts: dict[int, int], value: int | None, by: int) -> None:
    if value is not None:
        counts[value] = counts.get(value, 0) + by


class CohortState:
    """Cohorts of ``inst`` with their counts, kept up to date by :meth:`add`, :meth:`remove`, :meth:`apply`.

    Parameters
    ----------
    inst
        The flat instance.
    cohorts
        The cohorts' members (the lists are kept and changed in place).
    facs
        Each cohort's facilitator (``None`` without facilitators).
    """

    def __init__(
        self,
        inst: FormationInstance,
        cohorts: list[list[int]],
        facs: list[int | None] | None = None,
    ):
        self.inst, self.cohorts, self.facs = inst, cohorts, facs
        self.rules = inst.placement
        self.where = {i: k for k, c in enumerate(cohorts) for i in c}
        #: Attributes that count in the cost (weight > 0).
        self.weighted = [a for a, w in enumerate(inst.attribute_weights) if w]
        self.values: list[list[dict[int, int]]] = []
        self.orgs: list[dict[int, int]] = []
        self.limit_counts: list[list[dict[int, int]]] = []
        self.presence_counts: list[list[dict[int, int]]] = []
        self.holders: list[list[int]] = []
        for members in cohorts:
            self._open()
            for i in members:
                self._count(len(self.orgs) - 1, i, 1)
        self.opts = [0] * inst.n
        for i, mine in enumerate(inst.options_of):
            for c in mine:
                self.opts[i] |= 1 << c
        self.all_options = (1 << len(inst.options)) - 1
        self._reach: dict[int, int] = {}
        self.zone_opts: dict[str, int] = {}
        self.fac_opts = [0] * len(inst.facilitator_capacity)
        for c, o in enumerate(inst.options):
            self.zone_opts[o.zone] = self.zone_opts.get(o.zone, 0) | 1 << c
            fm = o.facilitator_mask
            while fm:
                low = fm & -fm
                self.fac_opts[low.bit_length() - 1] |= 1 << c
                fm ^= low
        self.led: dict[int, list[int]] = {}
        for k, f in enumerate(facs or ()):
            if f is not None:
                self.led.setdefault(f, []).append(k)

    # -- bookkeeping -------------------------------------------------------------------
    def _open(self) -> None:
        rules = self.rules
        self.values.append([{} for _ in self.inst.value_of])
        self.orgs.append({})
        self.limit_counts.append([{} for _ in rules.limits])
        self.presence_counts.append([{} for _ in rules.presence])
        self.holders.append([0] * len(rules.required))

    def _count(self, k: int, i: int, by: int) -> None:
        inst, rules = self.inst, self.rules
        for counts, values in zip(self.values[k], inst.value_of, strict=True):
            _bump(counts, values[i], by)
        _bump(self.orgs[k], inst.org_of[i], by)
        if rules:
            for counts, rule in zip(self.limit_counts[k], rules.limits, strict=True):
                _bump(counts, rule.values[i], by)
            for counts, rule in zip(self.presence_counts[k], rules.presence, strict=True):
                _bump(counts, rule.values[i], by)
            for r, req in enumerate(rules.required):
                self.holders[k][r] += by * req.holds[i]

    def add(self, i: int, k: int) -> None:
        """Put person ``i`` (in no cohort) into cohort ``k``."""
        self.cohorts[k].append(i)
        self._count(k, i, 1)
        self.where[i] = k

    def remove(self, i: int) -> None:
        """Take person ``i`` out of their cohort."""
        k = self.where.pop(i)
        self.cohorts[k].remove(i)
        self._count(k, i, -1)

    def apply(self, k: int, out: int | None, into: int | None) -> None:
        """Remove ``out`` from and add ``into`` to cohort ``k`` (``where`` follows ``into``)."""
        if out is not None:
            self.cohorts[k].remove(out)
            self._count(k, out, -1)
        if into is not None:
            self.add(into, k)

    # -- costs -------------------------------------------------------------------------
    def pair_delta(self, i: int, k: int, ignore: int | None = None) -> int:
        """Same-value pair cost added by putting ``i`` into cohort ``k`` (as if ``ignore`` had left)."""
        inst, total, counts = self.inst, 0, self.values[k]
        for a in self.weighted:  # a weight of 0 adds nothing
            values = inst.value_of[a]
            v = values[i]
            if v is not None:
                same = counts[a].get(v, 0)
                if ignore is not None and values[ignore] == v:
                    same -= 1
                total += inst.attribute_weights[a] * same
        return total

    def pairs_delta(self, k: int, out: int | None, into: int | None) -> int:
        """Change in cohort ``k``'s weighted same-value pairs when ``out`` leaves, ``into`` joins."""
        inst, total = self.inst, 0
        for a in self.weighted:
            values, counts = inst.value_of[a], self.values[k][a]
            vo = values[out] if out is not None else None
            vi = values[into] if into is not None else None
            if vo == vi:
                continue
            change = 0
            if vo is not None:
                change -= counts[vo] - 1
            if vi is not None:
                change += counts.get(vi, 0)
            total += inst.attribute_weights[a] * change
        return total

    def size_delta(self, k: int, change: int) -> int:
        """Change in cohort ``k``'s size term when it grows by ``change``."""
        size, target = len(self.cohorts[k]), self.inst.target_size
        return SIZE_WEIGHT * (abs(size + change - target) - abs(size - target))

    def hot(self, i: int) -> bool:
        """Whether person ``i`` shares a value with a cohort-mate, or their cohort is off-size."""
        k = self.where[i]
        if len(self.cohorts[k]) != self.inst.target_size:
            return True
        for a in self.weighted:
            v = self.inst.value_of[a][i]
            if v is not None and self.values[k][a][v] > 1:
                return True
        return False

    def band_widening(self, i: int, k: int) -> float:
        """How much ``i`` joining cohort ``k`` widens its ``[closeness]`` bands (in bands).

        A wider band closes the cohort to more people, as a level far from the
        planned one does; the greedy start weighs it like that.
        """
        total = 0.0
        members = self.cohorts[k]
        for rule in self.rules.closeness:
            if members:
                widened = rule.spread([*members, i]) - rule.spread(members)
                total += widened / rule.band if rule.band else widened
        return total

    # -- options -----------------------------------------------------------------------
    def option_mask(self, k: int) -> int:
        """Options every member of cohort ``k`` shares (all options when empty)."""
        mask = self.all_options
        for m in self.cohorts[k]:
            mask &= self.opts[m]
        return mask

    def reach(self, mask: int) -> int:
        """How many people some option in ``mask`` admits."""
        hit = self._reach.get(mask)
        if hit is None:
            people, c, m = 0, 0, mask
            while m:
                if m & 1:
                    people |= self.inst.options[c].mask
                m >>= 1
                c += 1
            hit = self._reach[mask] = people.bit_count()
        return hit

    # -- the rules of one cohort -------------------------------------------------------
    def fits(self, k: int, out: int | None, into: int | None, *, building: bool = False) -> bool:
        """Whether cohort ``k`` without ``out`` and with ``into`` keeps every per-cohort rule.

        With ``building``, the greedy start's looser view (see the module
        docstring). A facilitator's stagger over several cohorts is :meth:`staggers`.
        """
        inst = self.inst
        members = [i for i in self.cohorts[k] if i != out]
        if into is not None:
            org = inst.org_of[into]
            if self.orgs[k].get(org, 0) - (out is not None and inst.org_of[out] == org) >= (
                inst.max_per_org
            ):
                return False
            if any(self.where.get(o) == k and o != out for o in inst.conflict_sets[into]):
                return False
            mate = members[0] if members else into
            if any(v[into] is None or v[into] != v[mate] for v in inst.similarity):
                return False
            if self.rules and not self._joins(k, out, into, members):
                return False
            members.append(into)
        if len(members) > inst.max_size or (not building and len(members) < inst.min_size):
            return False
        if building and len(members) <= 1:
            return not members or bool(self.opts[members[0]])
        levels = [inst.levels[i] for i in members]
        if max(levels) - min(levels) > inst.max_level_gap:
            return False
        if not building and not self.counts_ok(k, out, into):
            return False
        return self._meets(k, members, into)

    def _meets(self, k: int, members: Sequence[int], into: int | None) -> bool:
        """Some option anchored where the cohort must meet admits every member (and its facilitator)."""
        inst = self.inst
        zones = {inst.tz_of[i] for i in members}
        zone = zones.pop() if len(zones) == 1 else inst.program_zone
        can = self.zone_opts.get(zone, 0)
        f = self.facs[k] if self.facs is not None else None
        if f is not None:
            if into is not None and into in inst.facilitator_conflicts[f]:
                return False
            can &= self.fac_opts[f]
        for i in members:
            can &= self.opts[i]
            if not can:
                return False
        return True

    def _joins(self, k: int, out: int | None, into: int, others: Sequence[int]) -> bool:
        """``[limits]`` and ``[closeness]`` for ``into`` joining ``others`` (cohort k without out)."""
        for counts, rule in zip(self.limit_counts[k], self.rules.limits, strict=True):
            v = rule.values[into]
            if v is not None:
                same = counts.get(v, 0) - (out is not None and rule.values[out] == v)
                if same >= rule.bound:
                    return False
        for band in self.rules.closeness:
            if others and band.spread([*others, into]) > band.band:
                return False
        return True

    def counts_ok(self, k: int, out: int | None, into: int | None) -> bool:
        """``[presence]`` and ``[required]`` of cohort ``k`` after ``out`` leaves and ``into`` joins.

        Only the values ``out`` and ``into`` hold can change, so only they are checked.
        """
        rules = self.rules
        if not (rules.presence or rules.required):
            return True
        left = len(self.cohorts[k]) - (out is not None) + (into is not None)
        for counts, rule in zip(self.presence_counts[k], rules.presence, strict=True):
            vo = rule.values[out] if out is not None else None
            vi = rule.values[into] if into is not None else None
            for v in {vo, vi} - {None}:
                assert v is not None
                after = counts.get(v, 0) - (vo == v) + (vi == v)
                if 0 < after < rule.bound:
                    return False
        if left == 0:
            return True
        for r, req in enumerate(rules.required):
            after = (
                self.holders[k][r]
                - (out is not None and req.holds[out])
                + (into is not None and req.holds[into])
            )
            if after < 1:
                return False
        return True

    def staggers(self, changed: dict[int, list[int]]) -> bool:
        """Whether every facilitator of a changed cohort who leads several can still stagger them."""
        if self.facs is None:
            return True
        for f in sorted({f for k in changed if (f := self.facs[k]) is not None}):
            led = self.led.get(f, [])
            if len(led) > 1:
                cohorts = [changed.get(k, self.cohorts[k]) for k in led]
                if stagger(self.inst, cohorts, f) is None:
                    return False
        return True
