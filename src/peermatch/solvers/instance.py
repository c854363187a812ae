"""A solver-neutral, index-based view of a :class:`~peermatch.model.ProblemData`.

Every solver (the greedy constructor, CP-SAT, large-neighbourhood search)
works on this flat form: participants and facilitators by position, the
linked pairs, the meeting *options* (sets of people who can share a weekly
slot), the diversity value groups and the cost weights. Building it is where
the expensive preparation happens once (session dates, availability on real
dates, the relationship graph).

The cost every solver minimises (lower is better)::

    cost = sum_a W_a * (same-value pairs of attribute a within cohorts)
         + SIZE_WEIGHT * sum_k |size_k - target_size|
         + UNASSIGNED_WEIGHT * (people left out, only with allow_unassigned)

with ``W_a = round(1000 * weight_a)``. Same-value pairs are the MDGP
objective with 0/1 dissimilarities: minimising them spreads every attribute
as evenly as the population allows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from peermatch.graph import relationship_graph
from peermatch.model import ProblemData
from peermatch.requests import together_groups
from peermatch.schedule import SessionTime, Slot, session_times
from peermatch.slots import SlotTable, mask_members, positions_mask, slot_table
from peermatch.solvers.placement_rules import PlacementRules

__all__ = [
    "SIZE_WEIGHT",
    "UNASSIGNED_WEIGHT",
    "FormationInstance",
    "MeetingOption",
    "balanced_pairs",
    "build_instance",
]

SIZE_WEIGHT = 1000
UNASSIGNED_WEIGHT = 10_000_000


def balanced_pairs(count: int, groups: int) -> int:
    """Fewest same-value pairs when ``count`` equal values are spread over ``groups`` groups."""
    if groups <= 0:
        return count * (count - 1) // 2
    q, r = divmod(count, groups)
    return r * (q + 1) * q // 2 + (groups - r) * q * (q - 1) // 2


@dataclass(frozen=True)
class MeetingOption:
    """A set of participants (and facilitators) who can all attend some weekly slot.

    ``zone`` is the anchor zone of its slots. An option anchored in the
    program's zone may not host a cohort whose members all live in one other
    zone (such a cohort is anchored in that zone).
    """

    zone: str
    mask: int
    facilitator_mask: int
    slots: tuple[Slot, ...]

    def admits(self, person: int) -> bool:
        return bool(self.mask >> person & 1)


def _inverse(n: int, members: Iterable[Iterable[int]]) -> tuple[tuple[int, ...], ...]:
    """For each of ``n`` people, the indices of the groups in ``members`` that hold them, in order."""
    out: list[list[int]] = [[] for _ in range(n)]
    for index, people in enumerate(members):
        for i in people:
            out[i].append(index)
    return tuple(tuple(o) for o in out)


@dataclass(frozen=True)
class FormationInstance:
    """The flat problem every solver works on. See the module docstring for the cost."""

    problem: ProblemData
    table: SlotTable
    n: int
    ids: tuple[str, ...]
    levels: tuple[int, ...]
    org_of: tuple[int, ...]
    org_names: tuple[str, ...]
    tz_of: tuple[str, ...]
    conflicts: tuple[tuple[int, int], ...]
    options: tuple[MeetingOption, ...]
    similarity: tuple[tuple[int | None, ...], ...]  # per attribute: value index per person
    attributes: tuple[str, ...]
    attribute_weights: tuple[int, ...]
    value_of: tuple[tuple[int | None, ...], ...]  # per diversity attribute: value index per person
    value_counts: tuple[tuple[int, ...], ...]
    facilitator_capacity: tuple[int, ...] = ()
    facilitator_conflicts: tuple[
        frozenset[int], ...
    ] = ()  # per facilitator: participants they cannot lead
    min_size: int = 7
    max_size: int = 12
    target_size: int = 8
    max_per_org: int = 1
    max_level_gap: int = 1
    program_zone: str = "UTC"
    #: People who must share a cohort (locks and together pairs), and the id each is locked to.
    groups: tuple[tuple[int, ...], ...] = ()
    group_locks: tuple[str | None, ...] = ()
    #: [limits], [presence], [required] and [closeness] by position.
    placement: PlacementRules = field(default_factory=PlacementRules)

    @property
    def max_cohorts(self) -> int:
        return self.n // self.min_size

    @cached_property
    def conflict_sets(self) -> tuple[frozenset[int], ...]:
        out: list[set[int]] = [set() for _ in range(self.n)]
        for i, j in self.conflicts:
            out[i].add(j)
            out[j].add(i)
        return tuple(frozenset(s) for s in out)

    @cached_property
    def facilitators_in_conflict(self) -> tuple[tuple[int, ...], ...]:
        """For each person, the facilitators who may not lead them (the inverse of facilitator_conflicts)."""
        return _inverse(self.n, (sorted(bad) for bad in self.facilitator_conflicts))

    @cached_property
    def options_of(self) -> tuple[tuple[int, ...], ...]:
        """For each person, the indices of the options that admit them."""
        return _inverse(self.n, (mask_members(opt.mask).tolist() for opt in self.options))

    def cohort_counts(self, assigned: int | None = None) -> range:
        """Numbers of cohorts that sizes allow for ``assigned`` people (default: everyone)."""
        n = self.n if assigned is None else assigned
        lo = -(-n // self.max_size)
        hi = n // self.min_size
        return range(lo, hi + 1)

    def min_size_deviation(self) -> int:
        """The least total ``|size - target|`` any split of everyone allows."""
        return min(
            (abs(self.n - k * self.target_size) for k in self.cohort_counts()),
            default=0,
        )

    def lower_bound(self) -> int | None:
        """A valid lower bound on the cost when everyone is placed (``None`` if no split exists).

        For each number of cohorts K, the size term is at least ``|n - K*target|`` and
        each attribute's pairs at least its balanced spread over K cohorts.
        """
        best = None
        for k in self.cohort_counts():
            if k <= 0:
                continue
            cost = SIZE_WEIGHT * abs(self.n - k * self.target_size)
            for w, counts in zip(self.attribute_weights, self.value_counts, strict=True):
                cost += w * sum(balanced_pairs(c, k) for c in counts)
            best = cost if best is None else min(best, cost)
        return best

    @cached_property
    def facilitator_mask_of(self) -> dict[Slot, int]:
        """Slot -> bitmask of the facilitators free for it."""
        return dict(zip(self.table.slots, self.table.facilitator_masks, strict=True))

    def parallel_series(self, j: int, c: int, limit: int) -> int:
        """How many series facilitator ``j`` could lead at once within option ``c`` (at most ``limit``).

        Greedy interval packing on the actual sessions of the option's slots
        where ``j`` is free: the number of those series that never overlap.
        """
        rules = self.problem.config.schedule
        chosen: list[tuple[SessionTime, ...]] = []
        free = self.facilitator_mask_of
        for slot in sorted(self.options[c].slots, key=lambda s: s.sort_key):
            if not free.get(slot, 0) >> j & 1:
                continue
            sessions = session_times(rules, slot)
            if all(
                not (a.start < b.end and b.start < a.end)
                for other in chosen
                for a in sessions
                for b in other
            ):
                chosen.append(sessions)
                if len(chosen) >= limit:
                    break
        return len(chosen)

    def restrict(
        self, people: Sequence[int], capacity: Sequence[int] | None = None
    ) -> FormationInstance:
        """The instance restricted to ``people`` (renumbered 0..len-1).

        ``capacity`` replaces the facilitators' capacities (what remains for
        these people); the slot table stays the whole program's.
        """
        if capacity is None:
            capacity = self.facilitator_capacity
        new = {old: k for k, old in enumerate(people)}
        # Everything is gathered from the people's own lists (options, conflicts), never by
        # scanning every option's mask or every link: the cost is linear in the part, which
        # matters when a large program is built and searched part by part.
        rows: dict[int, list[int]] = defaultdict(list)
        led_by: list[list[int]] = [[] for _ in self.facilitator_conflicts]
        conflicts = []
        for k, old in enumerate(people):
            for c in self.options_of[old]:
                rows[c].append(k)
            for j in self.facilitators_in_conflict[old]:
                led_by[j].append(k)
            conflicts += [(k, new[o]) for o in self.conflict_sets[old] if new.get(o, -1) >= k]
        options = []
        seen = set()
        for index, o in enumerate(self.options):
            if index not in rows:
                continue
            m = positions_mask(rows[index], len(people))
            if (o.zone, m, o.facilitator_mask) not in seen:
                seen.add((o.zone, m, o.facilitator_mask))
                options.append(MeetingOption(o.zone, m, o.facilitator_mask, o.slots))
        value_of = tuple(tuple(values[i] for i in people) for values in self.value_of)
        groups, locks = self._restricted_groups(new, people)
        counts: list[tuple[int, ...]] = []
        for values, full in zip(value_of, self.value_counts, strict=True):
            tally = [0] * len(full)
            for v in values:
                if v is not None:
                    tally[v] += 1
            counts.append(tuple(tally))
        return replace(
            self,
            n=len(people),
            ids=tuple(self.ids[i] for i in people),
            levels=tuple(self.levels[i] for i in people),
            org_of=tuple(self.org_of[i] for i in people),
            tz_of=tuple(self.tz_of[i] for i in people),
            conflicts=tuple(sorted(conflicts)),
            options=tuple(options),
            similarity=tuple(tuple(values[i] for i in people) for values in self.similarity),
            value_of=value_of,
            value_counts=tuple(counts),
            facilitator_capacity=tuple(capacity),
            facilitator_conflicts=tuple(frozenset(ks) for ks in led_by),
            groups=tuple(groups),
            group_locks=tuple(locks),
            placement=self.placement.restrict(people),
        )

    def _restricted_groups(
        self, new: dict[int, int], people: Sequence[int]
    ) -> tuple[list[tuple[int, ...]], list[str | None]]:
        """Groups renumbered, keeping only the members inside the restriction.

        Found from the people's own groups, not by scanning every group: linear in the part.
        """
        groups, locks = [], []
        for g in sorted({self.group_of[i] for i in people if i in self.group_of}):
            groups.append(tuple(new[i] for i in self.groups[g] if i in new))
            locks.append(self.group_locks[g])
        return groups, locks

    @cached_property
    def group_of(self) -> dict[int, int]:
        """Person -> the index of their group in :attr:`groups` (only people in one)."""
        return {i: g for g, members in enumerate(self.groups) for i in members}

    def with_partners(self, people: Sequence[int]) -> list[int]:
        """``people`` and everyone who must share a cohort with one of them, sorted."""
        out = set(people)
        for i in people:
            if i in self.group_of:
                out.update(self.groups[self.group_of[i]])
        return sorted(out)

    def cost(self, cohorts: Sequence[Sequence[int]], unassigned: int = 0) -> int:
        """The cost of cohorts given as lists of participant positions."""
        total = UNASSIGNED_WEIGHT * unassigned
        for members in cohorts:
            total += SIZE_WEIGHT * abs(len(members) - self.target_size)
            for w, values in zip(self.attribute_weights, self.value_of, strict=True):
                counts: dict[int, int] = defaultdict(int)
                for i in members:
                    v = values[i]
                    if v is not None:
                        counts[v] += 1
                total += w * sum(c * (c - 1) // 2 for c in counts.values())
        return total


def _value_index(values: Sequence[str | None]) -> tuple[tuple[int | None, ...], tuple[int, ...]]:
    names = sorted({v for v in values if v is not None})
    idx = {v: k for k, v in enumerate(names)}
    counts = [0] * len(names)
    out: list[int | None] = []
    for v in values:
        if v is None:
            out.append(None)
        else:
            out.append(idx[v])
            counts[idx[v]] += 1
    return tuple(out), tuple(counts)


def _options(problem: ProblemData, table: SlotTable) -> tuple[MeetingOption, ...]:
    """Pareto-maximal (participants, facilitators) sets per anchor zone."""
    by_key: dict[tuple[str, int, int], list[Slot]] = defaultdict(list)
    use_fac = bool(problem.facilitators)
    for slot, mask, fmask in zip(table.slots, table.masks, table.facilitator_masks, strict=True):
        if mask and (fmask or not use_fac):
            by_key[(slot.zone, mask, fmask if use_fac else 0)].append(slot)
    out: list[MeetingOption] = []
    for zone in sorted({z for z, _, _ in by_key}):
        keys = sorted(
            ((m, f) for z, m, f in by_key if z == zone),
            key=lambda mf: (-mf[0].bit_count(), -mf[1].bit_count(), mf[0], mf[1]),
        )
        kept: list[tuple[int, int]] = []
        for m, f in keys:
            if not any(m & km == m and f & kf == f for km, kf in kept):
                kept.append((m, f))
        for m, f in kept:
            slots = tuple(sorted(by_key[(zone, m, f)], key=lambda s: s.sort_key))
            out.append(MeetingOption(zone, m, f, slots))
    return tuple(out)


def build_instance(problem: ProblemData, table: SlotTable | None = None) -> FormationInstance:
    """Prepare the flat instance of ``problem`` (computes the slot table unless given)."""
    table = table or slot_table(problem)
    people = problem.participants
    rules = problem.config.cohort
    org_names = tuple(sorted({p.organisation for p in people}))
    org_idx = {o: k for k, o in enumerate(org_names)}
    graph = relationship_graph(problem)
    index = problem.index
    conflicts = sorted(
        (min(index[a], index[b]), max(index[a], index[b]))
        for a, b in graph.edges
        if a in index and b in index
    )
    similarity = tuple(
        _value_index([p.attribute(a) for p in people])[0] for a in problem.config.similarity
    )
    weights = problem.diversity_weights
    attributes = tuple(sorted(weights))
    value_of, value_counts = [], []
    for a in attributes:
        v, c = _value_index([p.attribute(a) for p in people])
        value_of.append(v)
        value_counts.append(c)
    by_org: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(people):
        by_org[p.organisation].append(i)
    found = together_groups(problem)
    fac_conf: list[frozenset[int]] = []
    for f in problem.facilitators:
        # Looked up by organisation: a scan of everyone per facilitator is quadratic in n.
        bad = set(by_org.get(f.organisation, ())) if f.organisation else set()
        if f.id in graph:
            bad |= {index[b] for b in graph.neighbors(f.id) if b in index}
        fac_conf.append(frozenset(bad))
    return FormationInstance(
        problem=problem,
        table=table,
        n=len(people),
        ids=tuple(p.id for p in people),
        levels=tuple(p.level for p in people),
        org_of=tuple(org_idx[p.organisation] for p in people),
        org_names=org_names,
        tz_of=tuple(problem.timezone_of(p) for p in people),
        conflicts=tuple(conflicts),
        options=_options(problem, table),
        similarity=similarity,
        attributes=attributes,
        attribute_weights=tuple(round(1000 * weights[a]) for a in attributes),
        value_of=tuple(value_of),
        value_counts=tuple(value_counts),
        facilitator_capacity=tuple(f.max_cohorts for f in problem.facilitators),
        facilitator_conflicts=tuple(fac_conf),
        min_size=rules.min_size,
        max_size=rules.max_size,
        target_size=rules.target_size,
        max_per_org=rules.max_per_organisation,
        max_level_gap=rules.max_level_gap,
        program_zone=problem.config.schedule.timezone,
        groups=tuple(tuple(index[m] for m in g.members) for g in found),
        group_locks=tuple(g.lock for g in found),
        placement=PlacementRules.of(problem),
    )
