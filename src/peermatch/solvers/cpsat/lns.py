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
from collections.abc import Callable, Sequence

from peermatch.solution import SearchStatistics
from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.neighbourhood import (
    facilitators_ok,
    make_step,
    replace_cohorts,
    solve_step,
)
from peermatch.solvers.finish import assign_facilitators
from peermatch.solvers.instance import FormationInstance

__all__ = ["improve"]

#: Deterministic seconds charged per neighbourhood for building its model.
STEP_OVERHEAD = 0.08
#: Deterministic seconds per neighbourhood solve.
STEP_LIMIT = 1.0
#: Cohorts per neighbourhood: it grows by one after every STALE_STEPS steps without progress.
MIN_NEIGHBOURHOOD, MAX_NEIGHBOURHOOD, STALE_STEPS = 6, 16, 15
#: People left out that one neighbourhood tries to take in.
MAX_EXTRA = 8


def _stalled(stale: int, size: int) -> tuple[int, int]:
    """One more step without progress; every STALE_STEPS of them widen the neighbourhood."""
    stale += 1
    return stale, min(MAX_NEIGHBOURHOOD, size + 1) if stale % STALE_STEPS == 0 else size


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
) -> tuple[list[int], list[int]]:
    """Cohorts that could take a left-out person but for one or two members, and that person.

    A cohort qualifies when its members share a meeting option with the person
    and its levels are within reach; cohorts holding the person's organisation
    or links come too, since moving those members out is what makes room.
    """
    u = left[rng.randrange(len(left))]
    mine = 0
    for c in inst.options_of[u]:
        mine |= 1 << c
    lv = inst.levels[u]

    def rank(k: int) -> tuple[int, int, float]:
        members = current[k]
        shared = mine
        for i in members:
            for_i = 0
            for c in inst.options_of[i]:
                for_i |= 1 << c
            shared &= for_i
        levels = [inst.levels[i] for i in members] + [lv]
        reach = max(levels) - min(levels) <= inst.max_level_gap
        return (0 if shared else 1, 0 if reach else 1, rng.random())

    ranked = sorted(range(len(current)), key=rank)
    chosen = set(ranked[: max(2, size // 2)])
    blockers = [
        k
        for k in range(len(current))
        if any(inst.org_of[i] == inst.org_of[u] or i in inst.conflict_sets[u] for i in current[k])
    ]
    rng.shuffle(blockers)
    for k in blockers:
        if len(chosen) >= size:
            break
        chosen.add(k)
    extra = [
        u,
        *[i for i in left if i != u and abs(inst.levels[i] - lv) <= inst.max_level_gap][
            : MAX_EXTRA - 1
        ],
    ]
    return sorted(chosen), extra


def improve(
    inst: FormationInstance,
    cohorts: Sequence[Sequence[int]],
    unplaced: Sequence[int],
    *,
    time_limit: float,
    seed: int,
    workers: int,
    deterministic: bool,
    allow_unassigned: bool,
    progress: Callable[..., None] | None,
    start: float,
    bound: float | None = None,
    until_complete: bool = False,
) -> tuple[list[list[int]], list[int | None] | None, list[int], SearchStatistics]:
    """Improve a grouping by re-solving a few cohorts at a time.

    The start may be incomplete: people left out and cohorts without a
    facilitator are *defects*, repaired first (neighbourhoods are built
    around them and sub-models may leave people out at a prohibitive cost).
    A step is kept when it has fewer defects, or as many and no higher cost.

    Returns the cohorts, their facilitators (``None`` without facilitators),
    the people still left out, and statistics. With ``until_complete`` it
    stops as soon as nothing is left to repair (a repair phase before the
    whole-program model).
    """
    from peermatch.solvers.cpsat.solving import Progress

    rng = random.Random(seed)
    current = [list(c) for c in cohorts if c]
    facs: list[int | None] | None = (
        assign_facilitators(inst, current) if inst.problem.facilitators else None
    )
    left = list(unplaced)

    def defects() -> int:
        return len(left) + (sum(f is None for f in facs) if facs is not None else 0)

    cost = inst.cost(current, len(left))
    complete_at = time.monotonic() - start if not defects() else None
    spent, iterations, accepted, stale = 0.0, 0, 0, 0
    size = MIN_NEIGHBOURHOOD
    wall_cap = 3 * time_limit + 10
    while current:
        elapsed = time.monotonic() - start
        if (spent if deterministic else elapsed) >= time_limit or elapsed > wall_cap:
            break
        if not defects() and (until_complete or (bound is not None and cost <= bound)):
            break
        if interrupt.requested():  # Ctrl-C: keep what we have
            break
        iterations += 1
        broken = [k for k, f in enumerate(facs or []) if f is None]
        if left:
            chosen, extra = _around_person(inst, current, left, rng, size)
        elif broken:
            assert facs is not None
            pivot = broken[rng.randrange(len(broken))]
            chosen, extra = _around_leaderless(inst, current, facs, pivot, rng, size), []
        else:
            chosen, extra = (
                _around_cohort(inst, current, rng.randrange(len(current)), rng, size),
                [],
            )
        # A left-out person comes with everyone who must share their cohort (locks, together).
        if inst.groups:
            out = set(left)
            extra = [i for i in inst.with_partners(extra) if i in out]
        used = spent if deterministic else time.monotonic() - start
        step = make_step(
            inst, current, facs, chosen, extra=extra, seed=seed + iterations,
            limit=min(STEP_LIMIT, max(0.1, time_limit - used)), deterministic=deterministic,
            may_leave=allow_unassigned or bool(extra), workers=workers, hint_seed=seed,
        )  # fmt: skip
        res = solve_step(inst, step)
        # Building a sub-model costs Python time that deterministic time does not see;
        # charge a fixed amount per step so the budget stays reproducible and honest.
        spent += (res.deterministic_time + STEP_OVERHEAD) if deterministic else res.wall_time
        if not res.found:
            stale, size = _stalled(stale, size)
            continue
        old_facs = step.facilitators
        old_defects = len(extra) + (sum(f is None for f in old_facs) if old_facs is not None else 0)
        new_defects = len(res.unplaced)
        before = inst.cost([current[k] for k in chosen], len(extra))
        after = inst.cost([list(c) for c in res.cohorts], len(res.unplaced))
        if (new_defects, after) > (old_defects, before):
            stale, size = _stalled(stale, size)
            continue
        proposal, leaders = replace_cohorts(current, facs, chosen, res)
        if leaders is not None and not facilitators_ok(
            inst, proposal, leaders, res.facilitators or ()
        ):
            stale, size = _stalled(stale, size)
            continue
        better = (new_defects, after) < (old_defects, before)
        accepted += better
        # An equal-cost step is kept (it moves the search) but is no progress.
        stale, size = (0, size) if better else _stalled(stale, size)
        current, facs = proposal, leaders
        in_sub = set(step.people)
        left = sorted([i for i in left if i not in in_sub] + list(res.unplaced))
        cost = inst.cost(current, len(left))
        if complete_at is None and not defects():
            complete_at = time.monotonic() - start
        if progress and better:
            progress(Progress(time.monotonic() - start, float(cost), bound))
    stats = SearchStatistics(
        iterations=iterations,
        improvements=accepted,
        solver_time=round(spent, 3),
        final_neighbourhood=size,
        first_complete_time=complete_at,
    )
    return current, facs, left, stats
