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
checks across the cut) is :mod:`peermatch.solvers.cpsat.step`'s,
shared with the parallel search (:mod:`peermatch.solvers.search.parallel_lns`),
which solves disjoint neighbourhoods on separate processes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from peermatch.deadline import safety_cap
from peermatch.params import NeighbourhoodParams, SolveParams
from peermatch.solution import SearchStatistics
from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.step import (
    facilitators_ok,
    make_step,
    replace_cohorts,
    solve_step,
)
from peermatch.solvers.finish import assign_facilitators
from peermatch.solvers.grouping import Grouping
from peermatch.solvers.instance import FormationInstance
from peermatch.solvers.neighbourhoods import (
    around_cohort,
    around_excess,
    around_leaderless,
    around_option,
    around_person,
    around_room,
    over_full,
)
from peermatch.solvers.operators import OPERATORS, OperatorChoice
from peermatch.solvers.placement import around_compatible, around_unplaced
from peermatch.solvers.progress import Progress, ProgressFn
from peermatch.solvers.swaps import SwapBudget, descend

__all__ = [
    "Batched",
    "Search",
    "Walk",
    "descent_budget",
    "improve",
    "swap_pass",
    "whole_build_time",
]

#: The neighbourhoods around a left-out person, taken in turn (see :meth:`Walk.choose`).
_PLACERS = (around_person, around_unplaced, around_option, around_room)


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


class Walk:
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
        #: Seconds per step: doubled (up to ``step_limit_growth`` x ``step_limit``) after a step
        #: that found nothing in time, back to ``step_limit`` after one that did.
        self.step_limit = nb.step_limit
        # Swap descents or neighbourhood steps next, by their recent gains; the descents' moves.
        self.ops = OperatorChoice(decay=nb.operator_decay, min_share=nb.operator_min_share)
        self.moves: int | None = None
        # Placement first: steps on defects since their number last fell, steps on people
        # left out (ejection chains and the other placers in turn), and the defect count at
        # which the whole program was last tried at once.
        self.placing, self.turn = 0, 0
        self.whole_tried: int | None = None

    def used(self, search: Search) -> float:
        """What the search has used of its limit: charged seconds when deterministic, else
        seconds since ``search.started`` (wall-clock limits count from the run's start)."""
        if search.params.deterministic:
            return self.spent
        return time.monotonic() - search.started

    def defects(self) -> int:
        """People left out plus cohorts without a facilitator."""
        return len(self.left) + (sum(f is None for f in self.facs) if self.facs is not None else 0)

    def stalled(self, batch: int = 1) -> None:
        """One more step (or round of ``batch``) without progress; every ``stale_steps`` steps
        of them widen the neighbourhood."""
        self.stale += 1
        if self.stale % max(1, self.nb.stale_steps // batch) == 0:
            self.size = min(self.nb.max_cohorts, self.size + 1)

    def choose(self, rng: random.Random) -> tuple[list[int], list[int]]:
        """The cohorts to free, and the people left out to take in: defects first."""
        inst, current, size = self.inst, self.current, self.size
        extra: list[int] = []
        if self.left:
            self.turn += 1
            # Each step that placed nobody widens the next by a cohort: the last person
            # left out at n = 300 with every placement rule needed more than six.
            wide = min(self.nb.max_cohorts, max(size, self.nb.min_cohorts + self.placing))
            # In turn: an ejection chain, room for a new cohort, a path to a cohort with room
            # for their organisation, the cohorts closest to taking them and, under placement
            # rules, the cohorts holding their possible cohort-mates.
            turns = len(_PLACERS) + bool(inst.placement)
            if self.turn % turns == len(_PLACERS):
                chosen, extra = around_compatible(
                    inst, current, self.left, wide, rng=rng, max_extra=self.nb.max_extra
                )
            else:
                chooser = _PLACERS[self.turn % turns]
                chosen, extra = chooser(inst, current, self.left, rng, wide, self.nb.max_extra)
        elif broken := [k for k, f in enumerate(self.facs or []) if f is None]:
            assert self.facs is not None
            pivot = broken[rng.randrange(len(broken))]
            chosen = around_leaderless(inst, current, self.facs, pivot, rng, size)
        elif rng.random() < self.nb.excess_share and (excess := over_full(inst, current)):
            chosen = around_excess(
                inst, current, excess, rng, size, excess_pool=self.nb.excess_pool
            )
        else:
            chosen = around_cohort(inst, current, rng.randrange(len(current)), rng, size)
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

    def whole_due(self, left: float | None = None, late: bool = False) -> bool:
        """Whether to try the whole program at once: defects that neighbourhoods do not
        repair (``placement_steps`` steps in a row) in a program small enough; or, once,
        defects still there when the search is ``late`` (half its limit used) or when
        this is the last step after which the whole model would still fit in time.

        Regression (issue 25): locks-together at n = 300 started with 115 people out;
        every few steps placed one more, so the placing steps never stalled, the whole
        program was never tried and the run ended with exit 4 holding 71 people out.

        ``left``: wall-clock seconds left of the search (``None`` when deterministic).
        The whole model is then tried only when building it (:func:`whole_build_time`)
        takes at most a quarter of them: its build cannot be stopped, and at n = 1,000
        it took two minutes of a 60 s run.
        """
        defects = self.defects()
        if not defects or self.inst.n > self.nb.whole_model_people or self.whole_tried == defects:
            return False
        build = None if left is None else whole_build_time(self.inst, self.nb.whole_build_seconds)
        if left is not None and build is not None:
            if build > left / 4:
                return False
            # A step of ``step_limit`` seconds more and the build would no longer fit.
            late = late or build > (left - self.step_limit) / 4
        return self.placing >= self.nb.placement_steps or (late and self.whole_tried is None)


def whole_build_time(
    inst: FormationInstance, per_variable: float = NeighbourhoodParams().whole_build_seconds
) -> float:
    """Estimated wall-clock seconds to build the whole-program model of ``inst``.

    ``per_variable`` seconds (``[solver.neighbourhood] whole_build_seconds``) per
    assignment variable (person i, cohort k <= i).
    """
    cells = sum(min(i + 1, inst.max_cohorts) for i in range(inst.n))
    return per_variable * cells


class Batched(Protocol):
    """What :func:`improve` asks of a batched search (met by
    :class:`peermatch.solvers.search.parallel_lns.Rounds`): a round of disjoint
    neighbourhoods and a round of swap descents on a complete grouping, each updating
    the walk and saying whether the cost fell."""

    batch: int
    count: int
    solved: int

    def steps(self, walk: Walk, rng: random.Random, search: Search) -> bool: ...

    def swaps(self, walk: Walk, rng: random.Random, search: Search) -> bool: ...


def improve(
    inst: FormationInstance,
    start: Grouping,
    search: Search,
    *,
    rounds: Batched | None = None,
) -> tuple[Grouping, SearchStatistics]:
    """Improve a grouping by re-solving a few cohorts at a time: the one search loop.

    The start may be incomplete: people left out and cohorts without a
    facilitator are *defects*, repaired first (neighbourhoods are built
    around them and sub-models may leave people out at a prohibitive cost).
    A step is kept when it has fewer defects, or as many and no higher cost.
    Without facilitators in ``start``, they are assigned here.

    With ``rounds`` (:class:`peermatch.solvers.search.parallel_lns.Rounds`),
    once the grouping is complete each neighbourhood step is a round of
    disjoint neighbourhoods on its executor and each swap descent runs in
    parts side by side; the limits, Ctrl-C, the choice between swaps and
    steps, the growth of neighbourhoods and progress stay this loop's.

    Returns the improved grouping (facilitators ``None`` without
    facilitators) and what the search did.
    """
    params = search.params
    rng = random.Random(params.seed)
    swap_rng = random.Random(params.seed + 1)
    walk = Walk(inst, start, params.neighbourhood)
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
        cost, spent = walk.cost, walk.spent
        batched = rounds is not None and not walk.defects()
        try:
            if walk.ops.pick(OPERATORS if _swaps_help(walk, search) else ("steps",)) == "swaps":
                swapped = (
                    rounds.swaps(walk, swap_rng, search)
                    if rounds is not None
                    else _swaps(inst, walk, swap_rng, search)
                )
                if swapped and search.progress:
                    search.progress(
                        Progress(time.monotonic() - search.started, float(walk.cost), search.bound)
                    )
                walk.ops.record("swaps", cost - walk.cost, walk.spent - spent)
                continue  # the limits are checked again before the next neighbourhood
            if batched:
                assert rounds is not None
                better: bool | None = rounds.steps(walk, rng, search)
        except Exception:
            # Ctrl-C reaches the whole process group: a worker still starting up may die
            # of it and break the pool. Then keep the best so far, as a signal should.
            if not interrupt.requested():
                raise
            break
        if not batched:
            walk.iterations += 1
            defects = walk.defects()
            left = None if params.deterministic else search.time_limit - walk.used(search)
            late = walk.used(search) >= search.time_limit / 2
            better = _step(inst, walk, rng, search, whole=walk.whole_due(left, late))
            if defects:
                walk.placing = 0 if walk.defects() < defects else walk.placing + 1
            if better:
                walk.accepted += 1
        walk.ops.record("steps", cost - walk.cost, walk.spent - spent)
        if better is None or not better:
            # A round tries ``batch`` neighbourhoods: it widens them ``batch`` times sooner.
            walk.stalled(rounds.batch if batched and rounds is not None else 1)
        if better:
            walk.stale = 0
        if complete_at is None and not walk.defects():
            complete_at = time.monotonic() - search.started
        if search.progress and better:
            search.progress(
                Progress(time.monotonic() - search.started, float(walk.cost), search.bound)
            )
    stats = SearchStatistics(
        iterations=walk.iterations + (rounds.solved if rounds is not None else 0),
        improvements=walk.accepted,
        solver_time=round(walk.spent, 3),
        final_neighbourhood=walk.size,
        first_complete_time=complete_at,
        rounds=rounds.count if rounds is not None else None,
        batch=rounds.batch if rounds is not None else None,
        swap_moves=walk.moves,
    )
    return Grouping(walk.current, walk.facs, walk.left), stats


def descent_budget(search: Search, used: float, cohorts: int) -> tuple[float, int]:
    """Seconds and stall count of one descent over ``cohorts`` cohorts, ``used`` of the limit spent.

    At most half of what is left (all of it when under 2 s are left), and a stall of
    ``swap_stall`` (:class:`~peermatch.params.NeighbourhoodParams`) people per cohort plus 200; the side-by-side descents of
    :mod:`peermatch.solvers.search.parallel_lns` use the same rule per part.
    """
    left = max(0.0, search.time_limit - used)
    return (
        left if left < 2.0 else left / 2
    ), search.params.neighbourhood.swap_stall * cohorts + 200


def swap_pass(walk: Walk, rng: random.Random, search: Search) -> tuple[list[list[int]], int, float]:
    """One swap descent (:func:`peermatch.solvers.swaps.descend`) on ``walk``'s complete
    grouping within what is left of the limit (:meth:`Walk.used`); ``walk`` is not changed.

    A descent gets at most half of what is left (the neighbourhood steps also
    re-assign facilitators and move several people at once), and reports
    progress at most once a second (the clock only decides when to report,
    never what the search does). Returns the cohorts, the improving moves and
    the seconds to charge.
    """
    inst, cohorts, facs = walk.inst, walk.current, walk.facs
    cost, last = inst.cost(cohorts), [time.monotonic()]

    def report(delta: int) -> None:
        nonlocal cost
        cost += delta
        if search.progress is not None and time.monotonic() - last[0] >= 1.0:
            last[0] = time.monotonic()
            search.progress(Progress(last[0] - search.started, float(cost), search.bound))

    limit, stall = descent_budget(search, walk.used(search), len(cohorts))
    budget = SwapBudget(
        limit=limit,
        deterministic=search.params.deterministic,
        stall=stall,
        stop=interrupt.requested,
        on_improve=report,
    )
    found, gained = descend(inst, cohorts, facs, rng, budget)
    return found, gained, budget.spent


def _swaps_help(walk: Walk, search: Search) -> bool:
    """Whether a swap descent can help: a complete grouping, more cohorts than one neighbourhood
    holds (else each step re-solves them all), and the search not just repairing."""
    wide = len(walk.current) > search.params.neighbourhood.min_cohorts
    return search.swaps and wide and not walk.defects() and not search.until_complete


def _swaps(inst: FormationInstance, walk: Walk, rng: random.Random, search: Search) -> bool:
    """A swap descent on the walk's complete grouping; whether it lowered the cost."""
    cohorts, gained, spent = swap_pass(walk, rng, search)
    walk.spent += spent
    # Every move keeps the rules and never raises the cost; neutral ones move the search.
    walk.current = cohorts
    walk.cost = inst.cost(walk.current, len(walk.left))
    walk.moves = (walk.moves or 0) + gained
    return gained > 0


def _step(
    inst: FormationInstance,
    walk: Walk,
    rng: random.Random,
    search: Search,
    whole: bool = False,
) -> bool | None:
    """Re-form one neighbourhood; ``True`` when it improved, ``False`` when an equal step
    was kept (it moves the search, but is no progress), ``None`` when it was rejected.

    ``whole``: the neighbourhood is every cohort and everyone left out, for half of
    what is left of the search (the whole-model fallback of placement first).
    """
    params, nb = search.params, search.params.neighbourhood
    current, facs = walk.current, walk.facs
    # Wall-clock mode: the limit counts from the run's start (``search.started``).
    used = walk.spent if params.deterministic else time.monotonic() - search.started
    left = max(0.1, search.time_limit - used)
    if whole:
        walk.whole_tried = walk.defects()
        chosen, extra = list(range(len(current))), list(walk.left)
        limit = max(min(walk.step_limit, left), left / 2)
    else:
        chosen, extra = walk.choose(rng)
        limit = min(walk.step_limit, left)
    step = make_step(
        inst, current, facs, chosen, extra=extra, seed=params.seed + walk.iterations,
        limit=limit, deterministic=params.deterministic,
        may_leave=params.allow_unassigned or bool(extra),
        workers=search.workers, hint_seed=params.seed, cpsat=params.cpsat,
        facilitator_pool=nb.facilitator_pool, placing=bool(extra), place_more=bool(extra),
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
        walk.step_limit = min(nb.step_limit_growth * nb.step_limit, 2 * walk.step_limit)
        return None
    old_facs = step.facilitators
    old_defects = len(extra) + (sum(f is None for f in old_facs) if old_facs is not None else 0)
    new_defects = len(res.unplaced)
    # A step that takes people in and places none of them grows the limit too (under
    # load, 1 s steps at n = 300 with every placement rule found the hint and no more),
    # and one that places some keeps it: a placing step ends as soon as it places all.
    if not extra:
        walk.step_limit = nb.step_limit
    elif new_defects >= old_defects:
        walk.step_limit = min(nb.step_limit_growth * nb.step_limit, 2 * walk.step_limit)
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
