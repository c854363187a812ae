"""Neighbourhood search with several disjoint neighbourhoods solved at once.

Each *round* picks ``batch`` neighbourhoods on **disjoint** cohorts (a random
pivot cohort and the free cohorts nearest to it in seniority, as in
:mod:`peermatch.solvers.cpsat.lns`), sends them to an
:class:`~peermatch.executor.Executor` (local processes or a Dask cluster) as
:class:`~peermatch.solvers.cpsat.step.Step` tasks, and merges the
answers **in the order the neighbourhoods were picked**. Cost is a sum over
cohorts, so disjoint improvements add up. Three things cross neighbourhoods
and are re-checked at the merge, against everything merged so far:

- a facilitator's capacity (two steps may each give the same facilitator one
  more cohort, each within what it saw as left);
- a facilitator's sessions (``stagger`` over every cohort they lead);
- nothing else: organisations, levels, links and slots are per cohort.

Determinism: every step has a deterministic-time budget and its own seed
(round and position), the executor returns results in the items' order, and
the budget charged per round is the *largest* step's deterministic time
(the round's critical path), so the run depends on ``batch`` but not on the
machine, its load, or whether the steps ran here or on a cluster.

Repairs (people left out, cohorts without a facilitator) are left to the
sequential search, which runs first until the grouping is complete.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace

from peermatch.deadline import safety_cap
from peermatch.executor import Executor
from peermatch.solution import SearchStatistics
from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.lns import EXCESS_SHARE, Search, descent_budget, improve, swap_pass
from peermatch.solvers.cpsat.step import (
    StepResult,
    facilitators_ok,
    make_step,
    replace_cohorts,
    solve_step,
)
from peermatch.solvers.grouping import Grouping
from peermatch.solvers.instance import FormationInstance
from peermatch.solvers.neighbourhoods import around_excess, mean_level, over_full
from peermatch.solvers.operators import OPERATORS, OperatorChoice
from peermatch.solvers.parallel_swaps import SwapTask, descend_part, swap_parts
from peermatch.solvers.progress import Progress

__all__ = ["SWAP_PARTS_MIN", "SWAP_ROUND_MAX", "improve_parallel"]

#: Swap descents run side by side (one part per worker) from this many cohorts per worker;
#: below it one descent in this process (its parts would be too small to move people).
SWAP_PARTS_MIN = 24
#: Seconds at most for one round of side-by-side descents: the workers ignore Ctrl-C, so
#: the round must end soon for the search to stop when asked.
SWAP_ROUND_MAX = 5.0


def _disjoint(
    inst: FormationInstance, current: list[list[int]], batch: int, size: int, rng: random.Random
) -> list[list[int]]:
    """Up to ``batch`` neighbourhoods (cohort indices), pairwise disjoint.

    Like the sequential search, most are built around an over-full value
    (:func:`~peermatch.solvers.neighbourhoods.around_excess`) while one is left.
    """
    free = set(range(len(current)))
    out: list[list[int]] = []
    size = min(size, max(2, len(current) // batch))
    excess = over_full(inst, current)
    while free and len(out) < batch:
        mine = [t for t in excess if t[0] in free]
        if mine and rng.random() < EXCESS_SHARE:
            out.append(around_excess(inst, current, mine, rng, size, allowed=free))
            free.difference_update(out[-1])
            continue
        pivot = sorted(free)[rng.randrange(len(free))]
        level = mean_level(inst, current[pivot])
        ranked = sorted(
            free, key=lambda k: (k != pivot, abs(mean_level(inst, current[k]) - level), k)
        )
        chosen = sorted(ranked[:size])
        free.difference_update(chosen)
        out.append(chosen)
    return out


def _merge(
    inst: FormationInstance,
    current: list[list[int]],
    facs: list[int | None] | None,
    chosen: list[int],
    res: StepResult,
) -> tuple[list[list[int]], list[int | None] | None] | None:
    """The grouping with ``chosen`` replaced by the step's answer, or ``None`` (rejected)."""
    if not res.found or res.unplaced:
        return None
    if inst.cost([list(c) for c in res.cohorts]) >= inst.cost([current[k] for k in chosen]):
        return None
    cohorts, leaders = replace_cohorts(current, facs, chosen, res)
    if leaders is None:
        return cohorts, None
    new = leaders[len(leaders) - len(res.cohorts) :]
    if None in new or not facilitators_ok(inst, cohorts, leaders, new):
        return None
    return cohorts, leaders


def _swap_tasks(
    inst: FormationInstance,
    current: list[list[int]],
    facs: list[int | None] | None,
    rng: random.Random,
    search: Search,
    used: float,
    batch: int,
) -> list[SwapTask]:
    """One descent per part (:func:`~peermatch.solvers.parallel_swaps.swap_parts`), each with
    :func:`~peermatch.solvers.cpsat.lns.descent_budget`'s limit (at most :data:`SWAP_ROUND_MAX`)
    and stall for its own cohorts."""
    tasks = []
    for part in swap_parts(inst, current, facs, batch, rng):
        limit, stall = descent_budget(search, used, len(part))
        tasks.append(
            SwapTask(
                cohorts=tuple(tuple(current[k]) for k in part),
                facilitators=tuple(facs[k] for k in part) if facs is not None else None,
                seed=rng.randrange(2**31),
                limit=min(SWAP_ROUND_MAX, limit),
                deterministic=search.params.deterministic,
                stall=stall,
            )
        )
    return tasks


def _swap_round(
    current: list[list[int]], tasks: list[SwapTask], executor: Executor, shared: object
) -> tuple[list[list[int]], int, float]:
    """Run the parts' descents side by side and put their cohorts back in place.

    The parts are disjoint, so the cohorts are found by content. A round is
    charged its longest descent in deterministic mode (the parts ran at the
    same time), the wall clock otherwise.
    """
    began = time.monotonic()
    results = executor.map(descend_part, tasks, shared=shared)
    index = {tuple(c): k for k, c in enumerate(current)}
    cohorts = [list(c) for c in current]
    for task, (found, _, _) in zip(tasks, results, strict=True):
        for old, new in zip(task.cohorts, found, strict=True):
            cohorts[index[old]] = list(new)
    gained = sum(r[1] for r in results)
    deterministic = bool(tasks) and tasks[0].deterministic
    charged = (
        max((r[2] for r in results), default=0.0) if deterministic else time.monotonic() - began
    )
    return cohorts, gained, charged


def improve_parallel(
    inst: FormationInstance,
    start: Grouping,
    search: Search,
    *,
    executor: Executor,
    batch: int,
) -> tuple[Grouping, SearchStatistics]:
    """Like :func:`~peermatch.solvers.cpsat.lns.improve`, ``batch`` neighbourhoods per round."""
    time_limit = search.time_limit
    sequential = replace(search, workers=1)
    first, stats = improve(inst, start, replace(sequential, until_complete=True))
    spent = stats.solver_time
    if not first.complete:
        rest = replace(sequential, time_limit=max(0.5, time_limit - spent), until_complete=False)
        found, more = improve(inst, replace(first, facilitators=None), rest)
        return found, replace(
            more,
            iterations=stats.iterations + more.iterations,
            improvements=stats.improvements + more.improvements,
            solver_time=round(spent + more.solver_time, 3),
        )
    return _rounds(inst, first, search, stats, executor, batch)


def _rounds(
    inst: FormationInstance,
    first: Grouping,
    search: Search,
    stats: SearchStatistics,
    executor: Executor,
    batch: int,
) -> tuple[Grouping, SearchStatistics]:
    """Rounds of ``batch`` disjoint neighbourhoods from a complete grouping."""
    params, time_limit, start, bound = (
        search.params,
        search.time_limit,
        search.started,
        search.bound,
    )
    nb, seed, deterministic = params.neighbourhood, params.seed, params.deterministic
    current, facs, left = first.cohorts, first.facilitators, first.unplaced
    spent = stats.solver_time
    rng = random.Random(seed)
    shared = executor.share(inst)
    cost = inst.cost(current)
    rounds = accepted = stale = 0
    hood_counts: list[int] = []
    size = nb.min_cohorts
    wall_cap = safety_cap(time_limit)  # as in lns.improve: a safety net on a starved machine
    # Swap descents (here) or a round of neighbourhoods (on the workers), by recent gains.
    swap_rng, ops = random.Random(seed + 1), OperatorChoice()
    moves = stats.swap_moves
    while current and (spent if deterministic else time.monotonic() - start) < time_limit:
        if (bound is not None and cost <= bound) or interrupt.requested():
            break
        if time.monotonic() - start > wall_cap:
            break
        before, used = cost, spent
        wide = search.swaps and len(current) > nb.min_cohorts  # as in lns.improve
        if ops.pick(OPERATORS if wide else ("steps",)) == "swaps":
            now = spent if deterministic else time.monotonic() - start
            if len(current) >= SWAP_PARTS_MIN * batch:
                tasks = _swap_tasks(inst, current, facs, swap_rng, search, now, batch)
                try:
                    current, gained, charged = _swap_round(current, tasks, executor, shared)
                except Exception:  # a broken pool after Ctrl-C, as for the neighbourhoods below
                    if not interrupt.requested():
                        raise
                    break
            else:
                current, gained, charged = swap_pass(inst, current, facs, swap_rng, search, now)
            spent += charged
            moves = (moves or 0) + gained
            cost = inst.cost(current)
            ops.record("swaps", before - cost, spent - used)
            if gained and search.progress:
                search.progress(Progress(time.monotonic() - start, float(cost), bound))
            continue
        rounds += 1
        hoods = _disjoint(inst, current, batch, size, rng)
        hood_counts.append(len(hoods))
        limit = min(nb.step_limit, max(0.1, time_limit - spent))
        may_leave = params.allow_unassigned
        steps = [
            make_step(inst, current, facs, c, seed=seed + 1000 * rounds + j, limit=limit,
                      deterministic=deterministic, may_leave=may_leave, cpsat=params.cpsat)
            for j, c in enumerate(hoods)
        ]  # fmt: skip
        try:
            results = executor.map(solve_step, steps, shared=shared)
        except Exception:
            # Ctrl-C reaches the whole process group: a worker still starting up may
            # die of it and break the pool. Then keep the best so far, as a signal should.
            if not interrupt.requested():
                raise
            break
        worst = max(r.deterministic_time if deterministic else r.wall_time for r in results)
        spent += worst + nb.step_overhead
        # Merge in pick order; earlier merges shift indices, so find cohorts by content
        # (the neighbourhoods are disjoint, so a later one's cohorts are all still there).
        picked = [[tuple(current[k]) for k in c] for c in hoods]
        improved = False
        for members, res in zip(picked, results, strict=True):
            index = {tuple(c): k for k, c in enumerate(current)}
            merged = _merge(inst, current, facs, [index[m] for m in members], res)
            if merged is not None:
                current, facs = merged
                improved = True
                accepted += 1
        cost = inst.cost(current)
        ops.record("steps", before - cost, spent - used)
        if improved:
            stale = 0
            if search.progress:
                search.progress(Progress(time.monotonic() - start, float(cost), bound))
        else:
            stale += 1
            if stale % max(1, nb.stale_steps // batch) == 0:
                size = min(nb.max_cohorts, size + 1)
    solved = stats.iterations + sum(hood_counts)
    return Grouping(current, facs, left), replace(
        stats,
        iterations=solved,
        improvements=stats.improvements + accepted,
        solver_time=round(spent, 3),
        final_neighbourhood=size,
        rounds=rounds,
        batch=batch,
        swap_moves=moves,
    )
