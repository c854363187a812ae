"""A fast greedy constructor: the warm start of the CP-SAT model and a baseline.

It plans ``K`` cohorts (the count whose sizes come closest to the target),
gives each a planned seniority level by cutting the level-sorted population
into ``K`` equal runs, then inserts people hardest first (fewest meeting
options, most links) into the feasible cohort that adds the fewest
same-value pairs, nearest its planned level and emptiest. A repair pass
fills cohorts below ``min_size`` and places leftovers by moving or swapping
people; a descent pass then swaps members between cohorts while the cost
falls. Every step keeps every hard rule, so what it returns is feasible
except for the people it lists as unplaced and cohorts it could not fill.
``[presence]`` and ``[required]``, which only a complete cohort can meet, are
settled after the repair pass (:mod:`peermatch.solvers.settle`). The cohorts
live in a :class:`~peermatch.solvers.cohort_state.CohortState`, the one state
the swap descents use too; the descent here is a cheaper, sampled cousin of
:func:`peermatch.solvers.swaps.descend` (pair cost only, no size moves).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from peermatch.deadline import Deadline
from peermatch.model import ProblemData
from peermatch.params import GreedyParams
from peermatch.rules import Rule
from peermatch.solution import Solution
from peermatch.solvers.greedy_rank import ranked_cohorts, swap_gain
from peermatch.solvers.greedy_state import GreedyState as _State
from peermatch.solvers.group_seating import deal_parts, seat_groups
from peermatch.solvers.instance import SIZE_WEIGHT, FormationInstance
from peermatch.solvers.settle import settle

__all__ = ["GreedyCohorts", "greedy_cohorts", "greedy_solution"]

#: Larger programs are built in parts by default (``GreedyParams.part_size``).
PART_SIZE = GreedyParams().part_size

# The tuning constants live in peermatch.params.GreedyParams ([solver.greedy]).


@dataclass(frozen=True)
class GreedyCohorts:
    """Cohorts as lists of participant positions, and the positions left unplaced."""

    cohorts: tuple[tuple[int, ...], ...]
    unplaced: tuple[int, ...]


def _plan(inst: FormationInstance, org_slack: int) -> list[float]:
    counts = [c for c in inst.cohort_counts() if c > 0]
    if not counts:
        return []
    k = min(counts, key=lambda c: (abs(inst.n - c * inst.target_size), -c))
    # An organisation needs a seat in ceil(size / max_per_org) cohorts.
    largest = max(Counter(inst.org_of).values())
    k = max(k, min(counts[-1], -(-largest * org_slack // inst.max_per_org)))
    order = sorted(range(inst.n), key=lambda i: inst.levels[i])
    planned = []
    for j in range(k):
        chunk = order[j * inst.n // k : (j + 1) * inst.n // k]
        lv = sorted(inst.levels[i] for i in chunk)
        planned.append(float(lv[len(lv) // 2]) if lv else 0.0)
    return planned


def greedy_cohorts(
    inst: FormationInstance,
    seed: int = 0,
    attempts: int = 3,
    deadline: Deadline | None = None,
    margin: float = 0.0,
    *,
    params: GreedyParams | None = None,
) -> GreedyCohorts:
    """Build cohorts greedily; see the module docstring.

    Parameters
    ----------
    inst
        The flat instance (:func:`peermatch.solvers.instance.build_instance`).
    seed
        Breaks ties among equally hard people, so different seeds give different starts.
    attempts
        Starts tried (seeds ``seed``, ``seed+1``, ...) while people are left out;
        the one leaving out fewest, then cheapest, is kept.
    deadline, margin
        Stop when fewer than ``margin`` seconds are left before ``deadline``:
        no further attempt is started and the parts not yet built are left
        out (listed as unplaced), so the caller gets what there is in time.
    params
        The tuning weights and sizes (default :class:`~peermatch.params.GreedyParams`).
    """
    params = params if params is not None else GreedyParams()
    if inst.n > params.part_size:
        return _by_parts(inst, seed, attempts, params, deadline, margin)
    best: GreedyCohorts | None = None
    for attempt in range(max(1, attempts)):
        if best is not None and deadline is not None and deadline.expired(margin):
            break
        found = _greedy_once(inst, seed + attempt, params, deadline, margin)
        key = (len(found.unplaced), inst.cost(found.cohorts, len(found.unplaced)))
        if best is None or key < (len(best.unplaced), inst.cost(best.cohorts, len(best.unplaced))):
            best = found
        if not best.unplaced:
            break
    assert best is not None
    return best


def _by_parts(
    inst: FormationInstance,
    seed: int,
    attempts: int,
    params: GreedyParams,
    deadline: Deadline | None,
    margin: float,
) -> GreedyCohorts:
    """Split a large program into parts that each mirror the whole, and build each alone.

    People sorted by level, zone and organisation are dealt round-robin into
    the parts, so every part gets its share of each level, zone and
    organisation (an organisation never crowds one part). Cohorts never span
    parts, which keeps each part at the size the dynamic greedy handles
    well; the parts are independent and could be built in parallel.
    """
    parts = -(-inst.n // params.part_size)
    order = sorted(range(inst.n), key=lambda i: (inst.levels[i], inst.tz_of[i], inst.org_of[i], i))
    cohorts: list[tuple[int, ...]] = []
    unplaced: list[int] = []
    dealt = deal_parts(inst, order, parts)  # a group never spans parts
    for p in range(parts):
        people = dealt[p]
        if deadline is not None and deadline.expired(margin):
            unplaced += people  # out of time: this part is left for the search to repair
            continue
        found = greedy_cohorts(
            inst.restrict(people), seed + p, attempts, deadline, margin, params=params
        )
        cohorts += [tuple(sorted(people[i] for i in c)) for c in found.cohorts]
        unplaced += [people[i] for i in found.unplaced]
    return GreedyCohorts(tuple(cohorts), tuple(sorted(unplaced)))


def _greedy_once(
    inst: FormationInstance,
    seed: int,
    params: GreedyParams,
    deadline: Deadline | None = None,
    margin: float = 0.0,
) -> GreedyCohorts:
    rng = random.Random(seed)
    state = _State(inst, _plan(inst, params.org_slack))
    if not state.cohorts:
        return GreedyCohorts((), tuple(range(inst.n)))
    tiebreak = list(range(inst.n))
    rng.shuffle(tiebreak)
    # Hardest first: people with almost no meeting option, then members of organisations
    # that need a seat in most cohorts (placed late, they find their organisation everywhere),
    # then by fewest options and most links.
    org_size = Counter(inst.org_of)
    crowded = len(state.cohorts) * inst.max_per_org / 2
    order = sorted(
        range(inst.n),
        key=lambda i: (
            len(inst.options_of[i]) > 2,
            org_size[inst.org_of[i]] < crowded,
            len(inst.options_of[i]),
            -len(inst.conflict_sets[i]),
            tiebreak[i],
        ),
    )
    if inst.groups:
        # Groups first and whole: scattered by the one-by-one insertion, gathering them
        # afterwards left 115 of 300 people out (locks-together, issue 25).
        state.seats = seat_groups(
            inst, state.planned, lambda k: len(state.cohorts[k]), state.try_group
        )
        order = [i for i in order if i not in state.where]
    rank = {i: r for r, i in enumerate(order)}

    def score(i: int, k: int) -> float:
        c = state.cohorts[k]
        size = len(c)
        shared = state.option_mask(k)
        lost = state.reach(shared) - state.reach(shared & state.opts[i])
        return (
            params.reach_weight * lost
            + state.pair_delta(i, k)
            + params.level_weight * abs(state.planned[k] - inst.levels[i])
            + SIZE_WEIGHT * max(0, size + 1 - inst.target_size)
            - (params.fill_bonus if size < inst.min_size else 0)
            + 10 * size
            + (
                params.level_weight * (state.band_widening(i, k) + state.off_band(i, k))
                if bands
                else 0
            )
        )

    bands = bool(inst.placement.closeness)

    unplaced: list[int] = []
    if inst.n <= params.dynamic_order_limit:
        # Most-constrained first, re-evaluated as cohorts fill (as DSatur does for colouring):
        # adding someone to cohort k can only close k to others, so only k is rechecked.
        open_to = {i: {k for k in range(len(state.cohorts)) if state.open_to(i, k)} for i in order}
        while open_to:
            i = min(open_to, key=lambda j: (len(open_to[j]), rank[j]))
            choices = open_to.pop(i)
            if not choices:
                unplaced.append(i)
                continue
            k = min(choices, key=lambda c: (score(i, c), c))
            state.add(i, k)
            for j, ks in open_to.items():
                if k in ks and not state.open_to(j, k):
                    ks.discard(k)
    else:
        for i in order:
            # The cheapest cohort that fits: scores first, the full rule check in score order
            # (most of the cohorts one can join are never checked).
            ranked = ranked_cohorts(state, i, params, bands)
            best = next((k for _, k in ranked if state.open_to(i, k)), None)
            if best is not None:
                state.add(i, best)
            else:
                unplaced.append(i)
    unplaced = settle(state, _repair(state, unplaced))
    _balance(state)
    if deadline is None or not deadline.expired(margin):
        # Out of time (wall clock), the descent is left to the search: at n = 100,000 each
        # of the 84 parts has well under a second, and the descent is a third of its start.
        _descent(state, rng)
    cohorts = tuple(tuple(sorted(c)) for c in state.cohorts if c)
    return GreedyCohorts(cohorts, tuple(sorted(unplaced)))


def _repair(state: _State, unplaced: list[int]) -> list[int]:
    inst = state.inst
    # Place leftovers directly, or by moving a blocking member elsewhere.
    still: list[int] = []
    for i in unplaced:
        if not _insert_with_move(state, i):
            still.append(i)
    # Fill small cohorts from cohorts that can spare someone.
    for _ in range(3):
        small = [k for k, c in enumerate(state.cohorts) if 0 < len(c) < inst.min_size]
        if not small:
            break
        for k in small:
            for i in list(still):
                if len(state.cohorts[k]) < inst.min_size and state.open_to(i, k):
                    state.add(i, k)
                    still.remove(i)
            donors = sorted(state.where, key=lambda m: -len(state.cohorts[state.where[m]]))
            for m in donors:
                if len(state.cohorts[k]) >= inst.min_size:
                    break
                src = state.where[m]
                if src != k and len(state.cohorts[src]) > inst.min_size and state.open_to(m, k):
                    state.remove(m)
                    state.add(m, k)
    # A cohort still too small is dissolved; its members try the others.
    for k, c in enumerate(state.cohorts):
        if 0 < len(c) < inst.min_size:
            for m in list(c):
                state.remove(m)
                targets = [
                    t
                    for t in range(len(state.cohorts))
                    if t != k and state.cohorts[t] and state.open_to(m, t)
                ]
                if targets:
                    state.add(
                        m,
                        min(
                            targets,
                            key=lambda t: (
                                state.pair_delta(m, t),
                                len(state.cohorts[t]),
                                t,
                            ),
                        ),
                    )
                else:
                    still.append(m)
    return sorted(still)


def _insert_with_move(state: _State, i: int) -> bool:
    inst = state.inst
    for k in range(len(state.cohorts)):
        if state.open_to(i, k):
            state.add(i, k)
            return True
    for k, c in enumerate(state.cohorts):
        for m in list(c):
            if not state.open_to(i, k, ignore=m):
                continue
            for t in range(len(state.cohorts)):
                if (
                    t != k
                    and state.cohorts[t]
                    and state.open_to(m, t)
                    and len(state.cohorts[t]) < inst.max_size
                ):
                    state.remove(m)
                    state.add(m, t)
                    state.add(i, k)
                    return True
    return False


def _balance(state: _State, passes: int = 3) -> None:
    """Move people from cohorts above the target size to cohorts below it while the cost falls.

    First improvement, biggest cohorts first: a pass costs about one scan of the
    oversized cohorts, so it stays cheap on large programs (LNS follows anyway).
    """
    inst = state.inst
    t = inst.target_size
    for _ in range(passes):
        moved = False
        for k in sorted(range(len(state.cohorts)), key=lambda c: -len(state.cohorts[c])):
            while len(state.cohorts[k]) > max(t, inst.min_size):
                small = sorted(
                    (d for d, c in enumerate(state.cohorts) if 0 < len(c) < t),
                    key=lambda d: len(state.cohorts[d]),
                )
                move = next(
                    (
                        (i, d)
                        for i in state.cohorts[k]
                        for d in small
                        # Two cohorts each one step nearer the target, minus the pair change.
                        if 2 * SIZE_WEIGHT
                        + state.pair_delta(i, k, ignore=i)
                        - state.pair_delta(i, d)
                        > 0
                        and state.open_to(i, d)
                        and state.counts_ok(k, i, None)
                        and state.counts_ok(d, None, i)
                    ),
                    None,
                )
                if move is None:
                    break
                state.remove(move[0])
                state.add(move[0], move[1])
                moved = True
        if not moved:
            return


def _descent(state: _State, rng: random.Random, rounds: int = 2) -> None:
    """Swap members between cohorts while it lowers the same-value pair cost."""
    inst = state.inst
    if not inst.attributes:
        return
    people = sorted(state.where)
    # A sample of partners per person keeps a pass linear in n; CP-SAT does the real work.
    sample = min(len(people), 60)
    for _ in range(rounds):
        improved = False
        rng.shuffle(people)
        for i in people:
            ki = state.where[i]
            for j in rng.sample(people, sample):
                kj = state.where[j]
                if kj == ki:
                    continue
                # The pairs the swap removes (two pair-count changes, as swaps.descend takes them).
                gain = swap_gain(state, i, j, ki, kj)
                if (
                    gain > 0
                    and state.open_to(i, kj, ignore=j)
                    and state.open_to(j, ki, ignore=i)
                    and state.counts_ok(kj, j, i)
                    and state.counts_ok(ki, i, j)
                ):
                    state.remove(i)
                    state.remove(j)
                    state.add(i, kj)
                    state.add(j, ki)
                    improved = True
                    ki = kj
        if not improved:
            break


def greedy_solution(problem: ProblemData, seed: int = 0) -> Solution:
    """The greedy cohorts of ``problem`` as a :class:`~peermatch.solution.Solution` (a baseline).

    Slots, sessions and facilitators are chosen as for a solver result. A
    cohort that no facilitator can lead without a clash is dissolved, so the
    solution keeps every hard rule; whoever is left out is listed as
    unassigned, with the reason.
    """
    from peermatch.solvers.finish import finish_solution
    from peermatch.solvers.instance import build_instance
    from peermatch.violations import violations

    inst = build_instance(problem)
    greedy = greedy_cohorts(inst, seed)
    cohorts = [list(c) for c in greedy.cohorts]
    unplaced = list(greedy.unplaced)
    reasons: dict[int, str] = {}
    while True:
        solution = finish_solution(inst, cohorts, unplaced, reasons=reasons)
        if not problem.facilitators:
            return solution
        leaderless = {
            v.cohort
            for v in violations(problem, solution)
            if v.rule == Rule.FACILITATOR and v.cohort
        }
        if not leaderless:
            return solution
        index = {pid: i for i, pid in enumerate(inst.ids)}
        for cohort in solution.cohorts:
            if cohort.id in leaderless:
                members = [index[m] for m in cohort.members]
                cohorts = [c for c in cohorts if sorted(c) != sorted(members)]
                unplaced += members
                reasons.update(
                    {
                        i: "no facilitator is free, neutral and unbooked for their cohort"
                        for i in members
                    }
                )
