"""Moves of whole groups in the swap descent: a group to another cohort, or for as many singles.

The swap descent (:mod:`peermatch.solvers.swaps`) moves single people, and
never a member of a group (people locked to one cohort id, or joined by
``together`` pairs), since one member alone would split the group. So a
group stayed wherever the greedy start seated it, with the cohort-mates
around it. Regression (issue 25): locks-together at n = 1,000, seed 1, has
112 groups holding 260 people (a quarter of the program); their cohorts held
168,000 of the 192,000 pair cost at ``--time-limit 30``.

Here a group moves as one unit: whole to a cohort with room, or exchanged
for as many people in no group of one cohort (the ones whose values clash
least with the group's old cohort-mates). The cost change of each candidate
follows from the value counts; a candidate that would be taken is then made
as a chain of single moves or swaps, each checked by
:meth:`~peermatch.solvers.cohort_state.CohortState.fits` on the state it
leaves, so the end state keeps every rule a valid chain keeps (a chain that
fails half-way is undone; a few valid exchanges are missed, none invalid is
taken). A group locked to an id never joins a cohort that holds a group
locked to another id.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import combinations

from peermatch.solvers.cohort_state import CohortState
from peermatch.solvers.instance import FormationInstance

__all__ = ["GROUP_COHORTS", "group_move", "hot_groups", "set_delta"]

#: Cohorts tried per group move.
GROUP_COHORTS = 8
#: Singles of a cohort considered for an exchange (the ones that clash least), at most.
_SHORTLIST = 5


def set_delta(state: CohortState, k: int, outs: Sequence[int], ins: Sequence[int]) -> int:
    """Change in cohort ``k``'s cost (pairs and size) when ``outs`` leave and ``ins`` join."""
    inst, total = state.inst, 0
    for a in state.weighted:
        values, counts = inst.value_of[a], state.values[k][a]
        change: dict[int, int] = {}
        for i in outs:
            if (v := values[i]) is not None:
                change[v] = change.get(v, 0) - 1
        for i in ins:
            if (v := values[i]) is not None:
                change[v] = change.get(v, 0) + 1
        pairs = 0
        for v, d in change.items():
            old = counts.get(v, 0)
            pairs += ((old + d) * (old + d - 1) - old * (old - 1)) // 2
        total += inst.attribute_weights[a] * pairs
    if len(outs) != len(ins):
        return total + state.size_delta(k, len(ins) - len(outs))
    return total


def _lock_ok(
    inst: FormationInstance, state: CohortState, k: int, g: int, outs: Sequence[int]
) -> bool:
    """Whether group ``g`` may join cohort ``k`` (once ``outs`` left): no other lock id there."""
    lock = inst.group_locks[g]
    if not lock:
        return True
    group_of = inst.group_of
    for i in state.cohorts[k]:
        h = group_of.get(i)
        if h is not None and h != g and i not in outs and inst.group_locks[h] not in (None, lock):
            return False
    return True


def _chain(
    state: CohortState, a: int, b: int, group: Sequence[int], singles: Sequence[int]
) -> bool:
    """Make the move as single steps, each one keeping the rules of both cohorts; undo on failure."""
    done: list[tuple[int, int | None]] = []
    ok = True
    for x, g in enumerate(group):
        s = singles[x] if x < len(singles) else None
        if not (state.fits(a, g, s) and state.fits(b, s, g)):
            ok = False
            break
        state.apply(a, g, s)
        state.apply(b, s, g)
        done.append((g, s))
    if ok and state.facs is not None:
        f_a, f_b = state.facs[a], state.facs[b]
        if any(len(state.led.get(f, ())) > 1 for f in {f_a, f_b} if f is not None):
            ok = state.staggers({a: state.cohorts[a], b: state.cohorts[b]})
    if not ok:
        for g, s in reversed(done):
            state.apply(b, g, s)
            state.apply(a, s, g)
    return ok


def _exchanges(
    state: CohortState, a: int, b: int, group: Sequence[int], movable: set[int]
) -> list[tuple[int, tuple[int, ...]]]:
    """Candidate moves of ``group`` from ``a`` to ``b``: whole, or for singles of ``b``; by delta."""
    inst = state.inst
    out: list[tuple[int, tuple[int, ...]]] = []
    size = len(group)
    if (
        len(state.cohorts[a]) - size >= inst.min_size
        and len(state.cohorts[b]) + size <= inst.max_size
    ):
        out.append((set_delta(state, a, group, ()) + set_delta(state, b, (), group), ()))
    singles = [s for s in state.cohorts[b] if s in movable]
    if len(singles) < size:
        return out
    # The singles that would clash least with the group's old cohort-mates, and leave b the calmest.
    shortlist = sorted(
        singles, key=lambda s: (set_delta(state, a, group, (s,)) + set_delta(state, b, (s,), ()), s)
    )[:_SHORTLIST]
    for chosen in combinations(shortlist, size):
        delta = set_delta(state, a, group, chosen) + set_delta(state, b, chosen, group)
        out.append((delta, chosen))
    return sorted(out)


def group_move(
    state: CohortState, g: int, movable: set[int], rng: random.Random
) -> tuple[int, int]:
    """Try to lower the cost by moving group ``g`` (whole, or for singles of another cohort).

    Parameters
    ----------
    state
        The cohorts (changed in place when a move is taken).
    g
        The group's index in ``state.inst.groups``; all its members are in one cohort.
    movable
        The people in no group (only they are exchanged for the group).
    rng
        Draws the cohorts tried.

    Returns
    -------
    tuple
        ``(delta, priced)``: the cost change of the move taken (``0`` when none
        improved, and nothing changed) and the number of exchanges priced (for
        the caller's budget).
    """
    inst = state.inst
    group = list(inst.groups[g])
    a = state.where[group[0]]
    levels = [inst.levels[i] for i in group]
    lo, hi = max(levels) - inst.max_level_gap, min(levels) + inst.max_level_gap
    # Cohorts whose levels meet the group's window (the chain checks the exact rule).
    near = [
        k
        for k, members in enumerate(state.cohorts)
        if k != a
        and members
        and min(inst.levels[i] for i in members) <= hi
        and max(inst.levels[i] for i in members) >= lo
    ]
    rng.shuffle(near)
    # Of a sample, the cohorts the group would clash with least first (ties in random order).
    near = sorted(near[: 3 * GROUP_COHORTS], key=lambda k: set_delta(state, k, (), group))
    priced = len(near)
    for b in near[:GROUP_COHORTS]:
        candidates = _exchanges(state, a, b, group, movable)
        priced += len(candidates)
        for delta, singles in candidates:
            if delta >= 0:
                break
            if not _lock_ok(inst, state, b, g, singles):
                break
            if _chain(state, a, b, group, singles):
                return delta, priced
    return 0, priced


def hot_groups(inst: FormationInstance, state: CohortState) -> list[int]:
    """Groups in ``state`` with a member who shares a value with someone outside the group.

    A pair inside a group goes wherever the group goes: it is no reason to move.
    """
    out = []
    for g, members in enumerate(inst.groups):
        if members[0] not in state.where:
            continue
        k = state.where[members[0]]
        for a in state.weighted:
            values, counts = inst.value_of[a], state.values[k][a]
            inside: dict[int, int] = {}
            for i in members:
                if (v := values[i]) is not None:
                    inside[v] = inside.get(v, 0) + 1
            if any(counts[v] > c for v, c in inside.items()):
                out.append(g)
                break
    return out
