"""Turn member lists into a full :class:`~peermatch.solution.Solution`.

Given cohorts as lists of participant positions (and optionally the
facilitator the model chose for each), this picks each cohort's weekly
slot, its facilitator when none was chosen, its session dates, stable
cohort ids, and a reason for everyone left out. No solver is needed here:
slots are searched directly in the precomputed slot table.

Slot choice: the slot must admit every member and the facilitator and be
anchored in the cohort's zone (members' common zone, else the program's).
Among those, the earliest week offset, then the earliest weekday, then the
start closest to 10:00 is preferred, so that series start early and at a
civil hour. Cohorts that share a facilitator are given slots whose
sessions never overlap (a small backtracking search per facilitator, using
the week offsets to stagger them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import networkx as nx
import numpy as np

from peermatch.model import ScheduleRules
from peermatch.requests import cohort_names
from peermatch.schedule import SessionTime, Slot, session_times
from peermatch.slots import mask_members
from peermatch.solution import Cohort, FacilitatorPressure, Solution, Unassigned
from peermatch.solvers.instance import FormationInstance, MeetingOption

__all__ = [
    "assign_facilitators",
    "cohort_slots",
    "drop_clashes",
    "facilitator_pressure",
    "finish_solution",
    "make_cohort",
    "stagger",
    "unassigned_reason",
]


def _mask(people: Sequence[int]) -> int:
    m = 0
    for i in people:
        m |= 1 << i
    return m


def _anchor(inst: FormationInstance, members: Sequence[int]) -> str:
    zones = {inst.tz_of[i] for i in members}
    return zones.pop() if len(zones) == 1 else inst.program_zone


def _preference(slot: Slot) -> tuple[int, int, int, int]:
    return (slot.week_offset, slot.weekday, abs(slot.start_minute - 600), slot.start_minute)


def cohort_slots(
    inst: FormationInstance,
    members: Sequence[int],
    facilitator: int | None,
    *,
    everywhere: bool = False,
) -> list[Slot]:
    """Slots a cohort may meet on, best first.

    By default only the slots of the meeting options that cover the cohort
    (fast; they admit the most people and facilitators); ``everywhere`` scans
    every candidate slot, for when those cannot be staggered.
    """
    need, zone = _mask(members), _anchor(inst, members)
    fbit = 0 if facilitator is None else 1 << facilitator
    if everywhere:
        table = inst.table
        pool = [
            s
            for s, m, f in zip(table.slots, table.masks, table.facilitator_masks, strict=True)
            if s.zone == zone and m & need == need and f & fbit == fbit
        ]
    else:
        free = inst.facilitator_mask_of
        pool = list(
            {s for o in _covering(inst, members) for s in o.slots if free.get(s, 0) & fbit == fbit}
        )
    return sorted(pool, key=_preference)


def _covering(inst: FormationInstance, members: Sequence[int]) -> list[MeetingOption]:
    """Options anchored where the cohort must be that admit all its members."""
    need, zone = _mask(members), _anchor(inst, members)
    return [o for o in inst.options if o.zone == zone and o.mask & need == need]


def _free_facilitators(inst: FormationInstance, members: Sequence[int]) -> list[int]:
    """Facilitators free at some slot the cohort can use, neutral and external to it.

    Options are Pareto-maximal, so the options covering the cohort hold every
    facilitator free at any slot that admits it.
    """
    allowed = 0
    for o in _covering(inst, members):
        allowed |= o.facilitator_mask
    # Conflicts are gathered from the members' side (a few each), not by intersecting
    # every allowed facilitator's conflict set with the cohort: at n = 100,000 thousands
    # of facilitators are free at a slot, and that scan took 40 s per assignment.
    banned = 0
    for i in members:
        for j in inst.facilitators_in_conflict[i]:
            banned |= 1 << j
    return mask_members(allowed & ~banned).tolist()


def _overlap(a: Sequence[SessionTime], b: Sequence[SessionTime]) -> bool:
    return any(x.start < y.end and y.start < x.end for x in a for y in b)


#: Up to this many cohorts x facilitators, the facilitators are matched by networkx's max flow
#: (the historical choice, kept so small programs give the same cohorts); above, by
#: augmenting paths over bitmasks, which never builds the cohort-by-facilitator graph.
FLOW_LIMIT = 20_000


def assign_facilitators(
    inst: FormationInstance, cohorts: Sequence[Sequence[int]]
) -> list[int | None]:
    """A capacity-respecting facilitator for each cohort, as many as possible (None where impossible)."""
    if len(cohorts) * len(inst.facilitator_capacity) > FLOW_LIMIT:
        chosen = _match(inst, cohorts)
    else:
        chosen = _flow(inst, cohorts)
    # The matching knows capacities, not clocks: a cohort its facilitator cannot fit in is left leaderless.
    return drop_clashes(inst, cohorts, chosen)


def _match(inst: FormationInstance, cohorts: Sequence[Sequence[int]]) -> list[int | None]:
    """A maximum capacitated matching: greedy first, then one augmenting path per cohort left."""
    cands = [_free_facilitators(inst, members) for members in cohorts]
    left = list(inst.facilitator_capacity)
    chosen: list[int | None] = [None] * len(cohorts)
    led: list[list[int]] = [[] for _ in left]
    for k, fs in enumerate(cands):
        j = next((j for j in fs if left[j] > 0), None)
        if j is not None:
            chosen[k], left[j] = j, left[j] - 1
            led[j].append(k)
    # Facilitators a failed search reached never lead to a free seat again, so later
    # searches skip them. Without this, with every seat needed (n = 100,000, 12,500
    # cohorts) each cohort that cannot be led searched the whole graph again: minutes in
    # the warm start (issue 25). Why it holds: the region a failed search reached is
    # closed (its facilitators are full and every cohort they lead was expanded, and
    # all those cohorts' candidates were reached) and holds no free seat; a later search
    # skips it, so its augmenting path changes no assignment inside it, and it stays
    # closed and full. Searches entering it found nothing there before, so skipping it
    # changes no search's order among the other nodes: the matching is the same.
    dead: set[int] = set()
    for k in range(len(cohorts)):
        if chosen[k] is None:
            reached = _augment(k, cands, left, chosen, led, dead)
            if reached is not None:
                dead.update(reached)
    return chosen


def _augment(
    root: int,
    cands: list[list[int]],
    left: list[int],
    chosen: list[int | None],
    led: list[list[int]],
    dead: set[int] | frozenset[int] = frozenset(),
) -> dict[int, int] | None:
    """Breadth-first search for a chain of reassignments that frees a seat for cohort ``root``.

    Returns ``None`` when it found one (the matching is updated), else the
    facilitators it reached (``dead`` ones are skipped).
    """
    came: dict[int, int] = {}  # facilitator -> cohort that reached it
    parent: dict[int, int] = {
        root: -1
    }  # cohort -> facilitator it gives up for its child (-1: root)
    queue = [root]
    for k in queue:
        for j in cands[k]:
            if j in came or j in dead:
                continue
            came[j] = k
            if left[j] > 0:
                left[j] -= 1
                while True:  # walk back: each cohort on the path takes the facilitator after it
                    k = came[j]
                    old = chosen[k]
                    chosen[k] = j
                    led[j].append(k)
                    if old is None:
                        return None
                    led[old].remove(k)
                    j = old
            for other in led[j]:
                if other not in parent:
                    parent[other] = j
                    queue.append(other)
    return came


def _flow(inst: FormationInstance, cohorts: Sequence[Sequence[int]]) -> list[int | None]:
    """The capacity-respecting facilitators by networkx's max flow.

    Nodes are integers: source 0, sink 1, cohort k at 2 + k, facilitator j after
    the cohorts. The preflow-push algorithm keeps nodes in sets, and a set of
    tuples holding strings is ordered by string hashes, which differ from one
    Python process to the next: with ``("c", k)`` nodes a deterministic run gave
    other facilitators in another process (regression test in test_finish).
    """
    source, sink, first = 0, 1, 2 + len(cohorts)
    flow = nx.DiGraph()
    for k, members in enumerate(cohorts):
        flow.add_edge(source, 2 + k, capacity=1)
        for j in _free_facilitators(inst, members):
            if inst.facilitator_capacity[j] > 0:
                flow.add_edge(2 + k, first + j, capacity=1)
    for j, cap in enumerate(inst.facilitator_capacity):
        flow.add_edge(first + j, sink, capacity=cap)
    if sink not in flow or source not in flow:
        return [None] * len(cohorts)
    _, result = nx.maximum_flow(flow, source, sink)
    chosen: list[int | None] = [None] * len(cohorts)
    for k in range(len(cohorts)):
        for node, amount in sorted(result.get(2 + k, {}).items()):
            if amount > 0.5:
                chosen[k] = node - first
    return chosen


def _backtrack(
    rules: ScheduleRules,
    cands: list[list[Slot]],
    order: list[int],
    picked: dict[int, tuple[Slot, tuple[SessionTime, ...]]],
    budget: list[int],
) -> bool:
    """Give each cohort in ``order`` a slot whose sessions overlap none already picked."""
    if len(picked) == len(order):
        return True
    k = order[len(picked)]
    for slot in cands[k]:
        budget[0] -= 1
        if budget[0] < 0:
            return False
        sessions = session_times(rules, slot)
        if all(not _overlap(sessions, other) for _, other in picked.values()):
            picked[k] = (slot, sessions)
            if _backtrack(rules, cands, order, picked, budget):
                return True
            del picked[k]
    return False


def stagger(inst: FormationInstance, cohorts: Sequence[Sequence[int]], f: int) -> list[Slot] | None:
    """Slots for the cohorts one facilitator leads such that no two sessions overlap.

    A small backtracking search, cohorts with the fewest candidate slots first;
    first among the slots of the covering options, then among every slot.
    Returns one slot per cohort, or ``None`` when none was found.
    """
    for everywhere in (False, True):
        cands = [cohort_slots(inst, members, f, everywhere=everywhere) for members in cohorts]
        order = sorted(range(len(cohorts)), key=lambda k: (len(cands[k]), k))
        picked: dict[int, tuple[Slot, tuple[SessionTime, ...]]] = {}
        if _backtrack(inst.problem.config.schedule, cands, order, picked, [20000]):
            return [picked[k][0] for k in range(len(cohorts))]
    return None


def _choose_slots(
    inst: FormationInstance, cohorts: Sequence[Sequence[int]], facilitators: Sequence[int | None]
) -> list[Slot | None]:
    chosen: list[Slot | None] = [None] * len(cohorts)
    groups: dict[int | None, list[int]] = {}
    for k, f in enumerate(facilitators):
        groups.setdefault(f, []).append(k)
    for f, ks in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        if f is None:
            for k in ks:
                options = cohort_slots(inst, cohorts[k], None)
                chosen[k] = options[0] if options else None
            continue
        slots = stagger(inst, [cohorts[k] for k in ks], f)
        for pos, k in enumerate(ks):
            if slots is not None:
                chosen[k] = slots[pos]
            else:  # leave the best single slot; violations() will report the clash
                options = cohort_slots(inst, cohorts[k], f)
                chosen[k] = options[0] if options else None
    return chosen


def drop_clashes(
    inst: FormationInstance, cohorts: Sequence[Sequence[int]], facs: Sequence[int | None]
) -> list[int | None]:
    """Unassign a facilitator from cohorts they cannot lead without two sessions at once.

    The cohorts dropped (the last ones of that facilitator) become leaderless,
    which the neighbourhood search then repairs.
    """
    out = list(facs)
    by_fac: dict[int, list[int]] = {}
    for k, f in enumerate(out):
        if f is not None:
            by_fac.setdefault(f, []).append(k)
    for f, ks in sorted(by_fac.items()):
        while len(ks) > 1 and stagger(inst, [cohorts[k] for k in ks], f) is None:
            out[ks.pop()] = None
    return out


def make_cohort(
    inst: FormationInstance,
    cohort_id: str,
    members: Sequence[int],
    slot: Slot | None,
    facilitator: int | None,
    sessions: Sequence[SessionTime],
) -> Cohort:
    """The :class:`~peermatch.solution.Cohort` of model cohort ``members`` (indices into ``inst``)."""
    return Cohort(
        id=cohort_id,
        members=tuple(inst.ids[i] for i in members),
        slot=slot,
        facilitator_id=None if facilitator is None else inst.problem.facilitators[facilitator].id,
        sessions=tuple(sessions),
    )


def unassigned_reason(inst: FormationInstance, i: int, cohorts: Sequence[Sequence[int]]) -> str:
    """Why person ``i`` fits none of ``cohorts``, in the organiser's terms."""
    if not inst.options_of[i]:
        return "no weekly slot where their availability overlaps a full session with enough others"
    if inst.table.companions(i) < inst.min_size - 1:
        return f"their availability overlaps a full session with only {max(inst.table.companions(i), 0)} others (min_size is {inst.min_size})"
    blockers: Counter[str] = Counter()
    admits = _admitting_slots(inst, i)
    for members in cohorts:
        if len(members) >= inst.max_size:
            blockers["every cohort they could join is full (max_size)"] += 1
            continue
        if sum(1 for m in members if inst.org_of[m] == inst.org_of[i]) >= inst.max_per_org:
            blockers["organisation limit"] += 1
        if inst.conflict_sets[i] & set(members):
            blockers["reporting line or shared history with a member"] += 1
        lv = [inst.levels[m] for m in members] + [inst.levels[i]]
        if max(lv) - min(lv) > inst.max_level_gap:
            blockers["level gap"] += 1
        if not admits[:, list(members)].all(axis=1).any():
            blockers["no common slot"] += 1
        blockers.update(text for _, text in inst.placement.blockers(i, members))
    if not blockers:
        return "no cohort could take them without breaking a size limit"
    top = [why for why, _ in blockers.most_common(2)]
    return "fits no cohort: " + " and ".join(top)


def _admitting_slots(inst: FormationInstance, i: int) -> np.ndarray:
    """Whether each slot mask admitting ``i`` (rows, duplicates once) admits each person.

    Only the masks that admit ``i`` can admit ``i`` with a cohort: scanning every
    mask per cohort took 29 s for the 20 people named at n = 10,000. Even so, a
    bit mask of a cohort and its test against each of those masks took seconds
    per person at n = 100,000 (12,500 cohorts, 100,000-bit integers): naming
    20 people ran 126 s past a 300 s limit (issue 25). A row lookup per cohort
    does not grow with ``n``.
    """
    mine = list(dict.fromkeys(m for m in inst.table.masks if m >> i & 1))
    table = np.zeros((len(mine), inst.n), dtype=bool)
    for row, mask in enumerate(mine):
        table[row, mask_members(mask)] = True
    return table


def finish_solution(
    inst: FormationInstance,
    cohorts: Sequence[Sequence[int]],
    unplaced: Sequence[int] = (),
    facilitators: Sequence[int | None] | None = None,
    reasons: dict[int, str] | None = None,
) -> Solution:
    """Complete member lists into a :class:`Solution` (slots, sessions, facilitators, ids)."""
    order = sorted(range(len(cohorts)), key=lambda k: sorted(inst.ids[i] for i in cohorts[k]))
    cohorts = [sorted(cohorts[k], key=lambda i: inst.ids[i]) for k in order]
    if inst.problem.facilitators:
        if facilitators is None:
            fac = assign_facilitators(inst, cohorts)
        else:
            fac = [facilitators[k] for k in order]
    else:
        fac = [None] * len(cohorts)
    slots = _choose_slots(inst, cohorts, fac)
    rules = inst.problem.config.schedule
    out = []
    names = cohort_names(inst.problem, [[inst.ids[i] for i in c] for c in cohorts])
    for cid, members, f, slot in zip(names, cohorts, fac, slots, strict=True):
        sessions = session_times(rules, slot) if slot is not None else ()
        out.append(make_cohort(inst, cid, members, slot, f, sessions))
    reasons = reasons or {}
    left = [
        Unassigned(
            participant_id=inst.ids[i], reason=reasons.get(i) or unassigned_reason(inst, i, cohorts)
        )
        for i in sorted(unplaced, key=lambda i: inst.ids[i])
    ]
    return Solution(cohorts=tuple(out), unassigned=tuple(left))


def facilitator_pressure(
    inst: FormationInstance, cohorts: Sequence[Sequence[int]]
) -> FacilitatorPressure | None:
    """How much the facilitators constrain this program (``None`` without facilitators).

    ``binding`` is true when every seat is taken, when some people could share
    a slot with enough others only where no facilitator is free, or when a
    cohort has a single facilitator able to lead it.
    """
    if not inst.problem.facilitators:
        return None
    table = inst.table
    capacity = sum(inst.facilitator_capacity)
    with_any, with_fac = 0, 0
    for mask, fmask in zip(table.masks, table.facilitator_masks, strict=True):
        with_any |= mask
        if fmask:
            with_fac |= mask
    # People who meet others somewhere, but never where a facilitator is free.
    squeezed = [inst.ids[i] for i in range(inst.n) if with_any >> i & 1 and not with_fac >> i & 1]
    single = [k for k, members in enumerate(cohorts) if len(_free_facilitators(inst, members)) == 1]
    full = len(cohorts) >= capacity
    return FacilitatorPressure(
        capacity=capacity,
        seats_used=len(cohorts),
        binding=bool(full or squeezed or single),
        people_without_a_free_facilitator=len(squeezed),
        cohorts_with_a_single_possible_facilitator=len(single),
    )
