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
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from peermatch.deadline import Deadline
from peermatch.model import ProblemData
from peermatch.params import GreedyParams
from peermatch.rules import Rule
from peermatch.solution import Solution
from peermatch.solvers.instance import SIZE_WEIGHT, FormationInstance

__all__ = ["GreedyCohorts", "greedy_cohorts", "greedy_solution"]

#: Larger programs are built in parts by default (``GreedyParams.part_size``).
PART_SIZE = GreedyParams().part_size

# The tuning constants live in peermatch.params.GreedyParams ([solver.greedy]).


@dataclass
class _Cohort:
    planned_level: float
    members: list[int] = field(default_factory=list)
    orgs: Counter[int] = field(default_factory=Counter)
    values: list[Counter[int]] = field(default_factory=list)


@dataclass(frozen=True)
class GreedyCohorts:
    """Cohorts as lists of participant positions, and the positions left unplaced."""

    cohorts: tuple[tuple[int, ...], ...]
    unplaced: tuple[int, ...]


class _State:
    def __init__(self, inst: FormationInstance, planned: list[float]):
        self.inst = inst
        self.cohorts = [_Cohort(p, values=[Counter() for _ in inst.attributes]) for p in planned]
        self.where: dict[int, int] = {}
        self.person_options = [sum(1 << c for c in opts) for opts in inst.options_of]
        self.all_options = (1 << len(inst.options)) - 1
        self._reach: dict[int, int] = {}
        # Options anchored in each zone, as a mask over options: one AND instead of a bit loop.
        self.zone_options: dict[str, int] = {}
        for c, option in enumerate(inst.options):
            self.zone_options[option.zone] = self.zone_options.get(option.zone, 0) | 1 << c

    # -- feasibility -----------------------------------------------------------------
    def fits(self, i: int, k: int, ignore: int | None = None) -> bool:
        """Whether person ``i`` may join cohort ``k`` (optionally as if ``ignore`` had left it)."""
        inst, c = self.inst, self.cohorts[k]
        members = [m for m in c.members if m != ignore]
        if len(members) >= inst.max_size:
            return False
        same_org = c.orgs[inst.org_of[i]] - (
            ignore is not None and inst.org_of[ignore] == inst.org_of[i]
        )
        if same_org >= inst.max_per_org:
            return False
        conflicts = inst.conflict_sets[i]
        if any(m in conflicts for m in members):
            return False
        if members:
            lv = [inst.levels[m] for m in members] + [inst.levels[i]]
            if max(lv) - min(lv) > inst.max_level_gap:
                return False
            for values in inst.similarity:
                if values[i] is None or values[i] != values[members[0]]:
                    return False
            mask = self.person_options[i]
            for m in members:
                mask &= self.person_options[m]
            if not mask or not self._anchor_ok([*members, i], mask):
                return False
        else:
            if any(values[i] is None for values in inst.similarity) or not self.person_options[i]:
                return False
        return True

    def _anchor_ok(self, members: list[int], mask: int) -> bool:
        """Whether some shared option is anchored where this cohort must be."""
        inst = self.inst
        zones = {inst.tz_of[m] for m in members}
        anchor = next(iter(zones)) if len(zones) == 1 else inst.program_zone
        return bool(mask & self.zone_options.get(anchor, 0))

    # -- moves -----------------------------------------------------------------------
    def add(self, i: int, k: int) -> None:
        c = self.cohorts[k]
        c.members.append(i)
        c.orgs[self.inst.org_of[i]] += 1
        for a, values in enumerate(self.inst.value_of):
            value = values[i]
            if value is not None:
                c.values[a][value] += 1
        self.where[i] = k

    def option_mask(self, k: int) -> int:
        """Options every member of cohort ``k`` shares (all options when empty)."""
        mask = self.all_options
        for m in self.cohorts[k].members:
            mask &= self.person_options[m]
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

    def remove(self, i: int) -> None:
        k = self.where.pop(i)
        c = self.cohorts[k]
        c.members.remove(i)
        c.orgs[self.inst.org_of[i]] -= 1
        for a, values in enumerate(self.inst.value_of):
            value = values[i]
            if value is not None:
                c.values[a][value] -= 1

    def pair_delta(self, i: int, k: int, ignore: int | None = None) -> int:
        """Same-value pair cost added by putting ``i`` into cohort ``k``."""
        inst, c = self.inst, self.cohorts[k]
        total = 0
        for a, values in enumerate(inst.value_of):
            v = values[i]
            if v is not None:
                same = c.values[a][v]
                if ignore is not None and values[ignore] == v:
                    same -= 1
                total += inst.attribute_weights[a] * same
        return total


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
        found = _greedy_once(inst, seed + attempt, params)
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
    for p in range(parts):
        people = order[p::parts]
        if deadline is not None and deadline.expired(margin):
            unplaced += people  # out of time: this part is left for the search to repair
            continue
        found = greedy_cohorts(
            inst.restrict(people), seed + p, attempts, deadline, margin, params=params
        )
        cohorts += [tuple(sorted(people[i] for i in c)) for c in found.cohorts]
        unplaced += [people[i] for i in found.unplaced]
    return GreedyCohorts(tuple(cohorts), tuple(sorted(unplaced)))


def _greedy_once(inst: FormationInstance, seed: int, params: GreedyParams) -> GreedyCohorts:
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
    rank = {i: r for r, i in enumerate(order)}

    def score(i: int, k: int) -> float:
        c = state.cohorts[k]
        size = len(c.members)
        shared = state.option_mask(k)
        lost = state.reach(shared) - state.reach(shared & state.person_options[i])
        return (
            params.reach_weight * lost
            + state.pair_delta(i, k)
            + params.level_weight * abs(c.planned_level - inst.levels[i])
            + SIZE_WEIGHT * max(0, size + 1 - inst.target_size)
            - (params.fill_bonus if size < inst.min_size else 0)
            + 10 * size
        )

    unplaced: list[int] = []
    if inst.n <= params.dynamic_order_limit:
        # Most-constrained first, re-evaluated as cohorts fill (as DSatur does for colouring):
        # adding someone to cohort k can only close k to others, so only k is rechecked.
        open_to = {i: {k for k in range(len(state.cohorts)) if state.fits(i, k)} for i in order}
        while open_to:
            i = min(open_to, key=lambda j: (len(open_to[j]), rank[j]))
            choices = open_to.pop(i)
            if not choices:
                unplaced.append(i)
                continue
            k = min(choices, key=lambda c: (score(i, c), c))
            state.add(i, k)
            for j, ks in open_to.items():
                if k in ks and not state.fits(j, k):
                    ks.discard(k)
    else:
        for i in order:
            fitting = [k for k in range(len(state.cohorts)) if state.fits(i, k)]
            if fitting:
                state.add(i, min(fitting, key=lambda c: (score(i, c), c)))
            else:
                unplaced.append(i)
    unplaced = _repair(state, unplaced)
    _balance(state)
    _descent(state, rng)
    cohorts = tuple(tuple(sorted(c.members)) for c in state.cohorts if c.members)
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
        small = [k for k, c in enumerate(state.cohorts) if 0 < len(c.members) < inst.min_size]
        if not small:
            break
        for k in small:
            for i in list(still):
                if len(state.cohorts[k].members) < inst.min_size and state.fits(i, k):
                    state.add(i, k)
                    still.remove(i)
            donors = sorted(state.where, key=lambda m: -len(state.cohorts[state.where[m]].members))
            for m in donors:
                if len(state.cohorts[k].members) >= inst.min_size:
                    break
                src = state.where[m]
                if (
                    src != k
                    and len(state.cohorts[src].members) > inst.min_size
                    and state.fits(m, k)
                ):
                    state.remove(m)
                    state.add(m, k)
    # A cohort still too small is dissolved; its members try the others.
    for k, c in enumerate(state.cohorts):
        if 0 < len(c.members) < inst.min_size:
            for m in list(c.members):
                state.remove(m)
                targets = [
                    t
                    for t in range(len(state.cohorts))
                    if t != k and state.cohorts[t].members and state.fits(m, t)
                ]
                if targets:
                    state.add(
                        m,
                        min(
                            targets,
                            key=lambda t: (
                                state.pair_delta(m, t),
                                len(state.cohorts[t].members),
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
        if state.fits(i, k):
            state.add(i, k)
            return True
    for k, c in enumerate(state.cohorts):
        for m in list(c.members):
            if not state.fits(i, k, ignore=m):
                continue
            for t in range(len(state.cohorts)):
                if (
                    t != k
                    and state.cohorts[t].members
                    and state.fits(m, t)
                    and len(state.cohorts[t].members) < inst.max_size
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
        for k in sorted(range(len(state.cohorts)), key=lambda c: -len(state.cohorts[c].members)):
            while len(state.cohorts[k].members) > max(t, inst.min_size):
                small = sorted(
                    (d for d, c in enumerate(state.cohorts) if 0 < len(c.members) < t),
                    key=lambda d: len(state.cohorts[d].members),
                )
                move = next(
                    (
                        (i, d)
                        for i in state.cohorts[k].members
                        for d in small
                        # Two cohorts each one step nearer the target, minus the pair change.
                        if 2 * SIZE_WEIGHT
                        + state.pair_delta(i, k, ignore=i)
                        - state.pair_delta(i, d)
                        > 0
                        and state.fits(i, d)
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
                gain = (
                    state.pair_delta(i, ki, ignore=i)
                    + state.pair_delta(j, kj, ignore=j)
                    - state.pair_delta(i, kj, ignore=j)
                    - state.pair_delta(j, ki, ignore=i)
                )
                if gain > 0 and state.fits(i, kj, ignore=j) and state.fits(j, ki, ignore=i):
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
