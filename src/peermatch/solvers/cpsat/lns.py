"""Large-neighbourhood search for large programs.

The whole-program model grows with ``n * n / min_size`` variables, so from a
few hundred participants on, peermatch keeps a complete feasible solution
(the greedy start) and repeatedly frees the members of a handful of
cohorts, re-forms just those cohorts with the same CP-SAT model on the
sub-instance (with the current grouping as a hint), and keeps the result
when the cost does not rise. The cost is a sum over cohorts, so improving a
neighbourhood improves the whole. Neighbourhoods are a random cohort plus
the cohorts closest to it in seniority, so that people can actually move.

The reported bound is the instance's combinatorial lower bound (balanced
spread of every attribute over the best number of cohorts), valid for the
whole program.

One step (build the sub-instance, solve it, map it back; the facilitator
checks across the cut) is :mod:`peermatch.solvers.cpsat.neighbourhood`'s,
shared with the parallel search (:mod:`peermatch.solvers.cpsat.parallel_lns`),
which solves disjoint neighbourhoods on separate processes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from peermatch.deadline import safety_cap
from peermatch.params import NeighbourhoodParams, SolveParams
from peermatch.solution import SearchStatistics
from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.neighbourhood import (
    facilitators_ok,
    make_step,
    replace_cohorts,
    solve_step,
)
from peermatch.solvers.finish import assign_facilitators
from peermatch.solvers.grouping import Grouping
from peermatch.solvers.instance import FormationInstance
from peermatch.solvers.progress import Progress, ProgressFn
from peermatch.solvers.swaps import SwapBudget, descend

__all__ = ["SWAP_EVERY", "SWAP_STALL", "Search", "improve", "next_swaps", "swap_pass"]

#: Neighbourhood steps between two swap descents (:mod:`peermatch.solvers.swaps`); the
#: interval doubles after a descent that finds nothing, up to eight times this.
SWAP_EVERY = 10
#: A descent stops after this many people per cohort tried in a row without an improvement.
SWAP_STALL = 4


def _mean_level(inst: FormationInstance, members: Sequence[int]) -> float:
    return sum(inst.levels[i] for i in members) / len(members)


def _around_cohort(
    inst: FormationInstance, current: list[list[int]], pivot: int, rng: random.Random, size: int
) -> list[int]:
    """The pivot cohort and the cohorts nearest to it in seniority (so people can move)."""
    level = _mean_level(inst, current[pivot])
    ranked = sorted(
        range(len(current)),
        key=lambda k: (k != pivot, abs(_mean_level(inst, current[k]) - level), rng.random()),
    )
    return sorted(ranked[:size])


def _around_leaderless(
    inst: FormationInstance,
    current: list[list[int]],
    facs: list[int | None],
    pivot: int,
    rng: random.Random,
    size: int,
) -> list[int]:
    """A cohort without a facilitator, cohorts led by those who could lead it, and its neighbours.

    Freeing a facilitator means re-forming a cohort they lead; the neighbours in
    seniority let members change places when nobody is neutral for the pivot.
    """
    need = 0
    for i in current[pivot]:
        need |= 1 << i
    could = 0
    for o in inst.options:
        if o.mask & need == need:
            could |= o.facilitator_mask
    led = [k for k, f in enumerate(facs) if f is not None and could >> f & 1]
    rng.shuffle(led)
    chosen = {pivot, *led[: max(1, size // 2)]}
    for k in _around_cohort(inst, current, pivot, rng, size):
        if len(chosen) >= size:
            break
        chosen.add(k)
    return sorted(chosen)


def _around_person(
    inst: FormationInstance,
    current: list[list[int]],
    left: list[int],
    rng: random.Random,
    size: int,
    max_extra: int,
) -> tuple[list[int], list[int]]:
    """Cohorts that could take a left-out person but for one or two members, and that person.

    Cohorts are ranked by how close they come to taking the person: sharing a
    meeting option, levels within reach, room for their organisation, no link
    to them (then at random). The best half of the neighbourhood is those that
    come closest; the rest are the best-ranked of those held back only by the
    person's organisation or links, since moving those members out (into the
    first half) is what makes room. Regression (issue 11): at n = 100,000 one
    organisation held 12,500 people for 12,780 cohorts, so only a few dozen
    cohorts could take one of them, and picking among all that share an option
    at random (1,582 of them) never found one in 38 steps.
    """
    u = left[rng.randrange(len(left))]
    mine = 0
    for c in inst.options_of[u]:
        mine |= 1 << c
    lv, org, links = inst.levels[u], inst.org_of[u], inst.conflict_sets[u]

    def rank(k: int) -> tuple[int, int, int, float]:
        members = current[k]
        shared = mine
        for i in members:
            for_i = 0
            for c in inst.options_of[i]:
                for_i |= 1 << c
            shared &= for_i
        levels = [inst.levels[i] for i in members] + [lv]
        reach = max(levels) - min(levels) <= inst.max_level_gap
        blocked = sum(inst.org_of[i] == org for i in members) >= inst.max_per_org or any(
            i in links for i in members
        )
        return (0 if shared else 1, 0 if reach else 1, 1 if blocked else 0, rng.random())

    keys = {k: rank(k) for k in range(len(current))}
    ranked = sorted(keys, key=keys.__getitem__)
    half = max(2, size // 2)
    chosen = set(ranked[:half])
    # Held back by organisation or links only (options and levels fit): their members
    # in the way can move into the cohorts above.
    blockers = [k for k in ranked[half:] if keys[k][:3] == (0, 0, 1)]
    for k in blockers:
        if len(chosen) >= size:
            break
        chosen.add(k)
    for k in ranked[half:]:
        if len(chosen) >= size:
            break
        chosen.add(k)
    extra = [
        u,
        *[i for i in left if i != u and abs(inst.levels[i] - lv) <= inst.max_level_gap][
            : max_extra - 1
        ],
    ]
    return sorted(chosen), extra


#: A step's time limit grows to at most this many times ``step_limit`` while steps find nothing.
STEP_LIMIT_GROWTH = 8


@dataclass(frozen=True)
class Search:
    """One neighbourhood search: its settings, budget and where it reports.

    Attributes
    ----------
    params
        The solve's parameters (seed, determinism, neighbourhood settings,
        pass-through CP-SAT parameters).
    workers
        CP-SAT workers per neighbourhood (resolved: never 0).
    time_limit
        Seconds for this search (deterministic seconds when ``params.deterministic``).
    started
        ``time.monotonic()`` at the start of the solve (progress and
        ``first_complete_time`` count from there).
    bound
        A lower bound on the cost: the search stops when it reaches it.
    until_complete
        Stop as soon as nothing is left to repair (a repair phase before the
        whole-program model).
    progress
        Called with a :class:`Progress` on every improvement.
    swaps
        Run swap descents between neighbourhoods (:mod:`peermatch.solvers.swaps`);
        the parts of a decomposed program leave them to the whole-program search.
    """

    params: SolveParams
    workers: int
    time_limit: float
    started: float
    bound: float | None = None
    until_complete: bool = False
    progress: ProgressFn | None = None
    swaps: bool = True


class _Walk:
    """The search's current grouping and its counters."""

    def __init__(self, inst: FormationInstance, start: Grouping, nb: NeighbourhoodParams):
        self.inst, self.nb = inst, nb
        self.current = [list(c) for c in start.cohorts if c]
        self.facs: list[int | None] | None = None
        if inst.problem.facilitators:
            self.facs = (
                list(start.facilitators)
                if start.facilitators is not None
                else assign_facilitators(inst, self.current)
            )
        self.left = list(start.unplaced)
        self.cost = inst.cost(self.current, len(self.left))
        self.spent, self.iterations, self.accepted, self.stale = 0.0, 0, 0, 0
        self.size = nb.min_cohorts
        #: Seconds per step: doubled (up to STEP_LIMIT_GROWTH x ``step_limit``) after a step
        #: that found nothing in time, back to ``step_limit`` after one that did.
        self.step_limit = nb.step_limit
        # Swap descents: steps until the next one, the current interval, moves they made.
        self.swaps_due, self.swap_gap = 0, SWAP_EVERY
        self.moves: int | None = None

    def defects(self) -> int:
        """People left out plus cohorts without a facilitator."""
        return len(self.left) + (sum(f is None for f in self.facs) if self.facs is not None else 0)

    def stalled(self) -> None:
        """One more step without progress; every ``stale_steps`` of them widen the neighbourhood."""
        self.stale += 1
        if self.stale % self.nb.stale_steps == 0:
            self.size = min(self.nb.max_cohorts, self.size + 1)

    def choose(self, rng: random.Random) -> tuple[list[int], list[int]]:
        """The cohorts to free, and the people left out to take in: defects first."""
        inst, current, size = self.inst, self.current, self.size
        extra: list[int] = []
        if self.left:
            chosen, extra = _around_person(inst, current, self.left, rng, size, self.nb.max_extra)
        elif broken := [k for k, f in enumerate(self.facs or []) if f is None]:
            assert self.facs is not None
            pivot = broken[rng.randrange(len(broken))]
            chosen = _around_leaderless(inst, current, self.facs, pivot, rng, size)
        else:
            chosen = _around_cohort(inst, current, rng.randrange(len(current)), rng, size)
        # A left-out person comes with everyone who must share their cohort (locks, together).
        if inst.groups:
            out = set(self.left)
            extra = [i for i in inst.with_partners(extra) if i in out]
        return chosen, extra

    def accept(
        self,
        cohorts: list[list[int]],
        facs: list[int | None] | None,
        freed: Sequence[int],
        unplaced: Sequence[int],
    ) -> None:
        """Take a step's grouping; of the people it freed, ``unplaced`` are left out."""
        self.current, self.facs = cohorts, facs
        in_sub = set(freed)
        self.left = sorted([i for i in self.left if i not in in_sub] + list(unplaced))
        self.cost = self.inst.cost(self.current, len(self.left))


def improve(
    inst: FormationInstance, start: Grouping, search: Search
) -> tuple[Grouping, SearchStatistics]:
    """Improve a grouping by re-solving a few cohorts at a time.

    The start may be incomplete: people left out and cohorts without a
    facilitator are *defects*, repaired first (neighbourhoods are built
    around them and sub-models may leave people out at a prohibitive cost).
    A step is kept when it has fewer defects, or as many and no higher cost.
    Without facilitators in ``start``, they are assigned here.

    Returns the improved grouping (facilitators ``None`` without
    facilitators) and what the search did.
    """
    params = search.params
    rng = random.Random(params.seed)
    swap_rng = random.Random(params.seed + 1)
    walk = _Walk(inst, start, params.neighbourhood)
    complete_at = time.monotonic() - search.started if not walk.defects() else None
    wall_cap = safety_cap(search.time_limit)
    while walk.current:
        elapsed = time.monotonic() - search.started
        if (walk.spent if params.deterministic else elapsed) >= search.time_limit:
            break
        if elapsed > wall_cap or interrupt.requested():  # Ctrl-C: keep what we have
            break
        if not walk.defects() and (
            search.until_complete or (search.bound is not None and walk.cost <= search.bound)
        ):
            break
        if walk.swaps_due <= 0 and _swaps_help(walk, search):
            if _swaps(inst, walk, swap_rng, search) and search.progress:
                search.progress(
                    Progress(time.monotonic() - search.started, float(walk.cost), search.bound)
                )
            continue  # the limits are checked again before the next neighbourhood
        walk.swaps_due -= 1
        walk.iterations += 1
        better = _step(inst, walk, rng, search)
        if better is None or not better:
            walk.stalled()
        if better:
            walk.accepted += 1
            walk.stale = 0
        if complete_at is None and not walk.defects():
            complete_at = time.monotonic() - search.started
        if search.progress and better:
            search.progress(
                Progress(time.monotonic() - search.started, float(walk.cost), search.bound)
            )
    stats = SearchStatistics(
        iterations=walk.iterations,
        improvements=walk.accepted,
        solver_time=round(walk.spent, 3),
        final_neighbourhood=walk.size,
        first_complete_time=complete_at,
        swap_moves=walk.moves,
    )
    return Grouping(walk.current, walk.facs, walk.left), stats


def swap_pass(
    inst: FormationInstance,
    cohorts: list[list[int]],
    facs: list[int | None] | None,
    rng: random.Random,
    search: Search,
    used: float,
) -> tuple[list[list[int]], int, float]:
    """One swap descent (:func:`peermatch.solvers.swaps.descend`) within what is left of the limit.

    ``used`` is what the search has used of ``search.time_limit`` (charged
    seconds when deterministic, else seconds since ``search.started``).
    A descent gets at most half of what is left (the neighbourhood steps also
    re-assign facilitators and move several people at once), and reports
    progress at most once a second (the clock only decides when to report,
    never what the search does). Returns the cohorts, the improving moves and
    the seconds to charge.
    """
    cost, last = inst.cost(cohorts), [time.monotonic()]

    def report(delta: int) -> None:
        nonlocal cost
        cost += delta
        if search.progress is not None and time.monotonic() - last[0] >= 1.0:
            last[0] = time.monotonic()
            search.progress(Progress(last[0] - search.started, float(cost), search.bound))

    left = max(0.0, search.time_limit - used)
    budget = SwapBudget(
        limit=left if left < 2.0 else left / 2,
        deterministic=search.params.deterministic,
        stall=SWAP_STALL * len(cohorts) + 200,
        stop=interrupt.requested,
        on_improve=report,
    )
    found, gained = descend(inst, cohorts, facs, rng, budget)
    return found, gained, budget.spent


def next_swaps(gained: int, gap: int) -> int:
    """Neighbourhoods until the next descent: :data:`SWAP_EVERY` after one that helped, else twice ``gap`` (at most eight times)."""
    return SWAP_EVERY if gained else min(8 * SWAP_EVERY, 2 * gap)


def _swaps_help(walk: _Walk, search: Search) -> bool:
    """Whether a swap descent can help: a complete grouping, more cohorts than one neighbourhood
    holds (else each step re-solves them all), and the search not just repairing."""
    wide = len(walk.current) > search.params.neighbourhood.min_cohorts
    return search.swaps and wide and not walk.defects() and not search.until_complete


def _swaps(inst: FormationInstance, walk: _Walk, rng: random.Random, search: Search) -> bool:
    """A swap descent on the walk's complete grouping; whether it lowered the cost."""
    used = walk.spent if search.params.deterministic else time.monotonic() - search.started
    cohorts, gained, spent = swap_pass(inst, walk.current, walk.facs, rng, search, used)
    walk.spent += spent
    # Every move keeps the rules and never raises the cost; neutral ones move the search.
    walk.current = cohorts
    walk.cost = inst.cost(walk.current, len(walk.left))
    walk.moves = (walk.moves or 0) + gained
    walk.swap_gap = walk.swaps_due = next_swaps(gained, walk.swap_gap)
    return gained > 0


def _step(inst: FormationInstance, walk: _Walk, rng: random.Random, search: Search) -> bool | None:
    """Re-form one neighbourhood; ``True`` when it improved, ``False`` when an equal step
    was kept (it moves the search, but is no progress), ``None`` when it was rejected."""
    params, nb = search.params, search.params.neighbourhood
    chosen, extra = walk.choose(rng)
    current, facs = walk.current, walk.facs
    # Wall-clock mode: the limit counts from the run's start (``search.started``).
    used = walk.spent if params.deterministic else time.monotonic() - search.started
    step = make_step(
        inst, current, facs, chosen, extra=extra, seed=params.seed + walk.iterations,
        limit=min(walk.step_limit, max(0.1, search.time_limit - used)),
        deterministic=params.deterministic, may_leave=params.allow_unassigned or bool(extra),
        workers=search.workers, hint_seed=params.seed, cpsat=params.cpsat,
    )  # fmt: skip
    res = solve_step(inst, step)
    # Building a sub-model costs Python time that deterministic time does not see;
    # charge a fixed amount per step so the budget stays reproducible and honest.
    walk.spent += (
        (res.deterministic_time + nb.step_overhead) if params.deterministic else res.wall_time
    )
    if not res.found:
        # Regression (issue 11): at n = 100,000 a six-cohort step with people to place found
        # nothing in 1 s, every time (CP-SAT's presolve alone took that), so nobody was placed.
        walk.step_limit = min(STEP_LIMIT_GROWTH * nb.step_limit, 2 * walk.step_limit)
        return None
    walk.step_limit = nb.step_limit
    old_facs = step.facilitators
    old_defects = len(extra) + (sum(f is None for f in old_facs) if old_facs is not None else 0)
    new_defects = len(res.unplaced)
    before = inst.cost([current[k] for k in chosen], len(extra))
    after = inst.cost([list(c) for c in res.cohorts], len(res.unplaced))
    if (new_defects, after) > (old_defects, before):
        return None
    proposal, leaders = replace_cohorts(current, facs, chosen, res)
    # The sub-model cannot see the sessions of the cohorts outside it.
    if leaders is not None and not facilitators_ok(inst, proposal, leaders, res.facilitators or ()):
        return None
    walk.accept(proposal, leaders, step.people, res.unplaced)
    return (new_defects, after) < (old_defects, before)
