"""Neighbourhood search with several disjoint neighbourhoods solved at once.

Each *round* picks ``batch`` neighbourhoods on **disjoint** cohorts (a random
pivot cohort and the free cohorts nearest to it in seniority, as in
:mod:`peermatch.solvers.search.lns`), sends them to an
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

This module holds the rounds; the loop around them (limits, Ctrl-C, the
choice between swaps and neighbourhoods, growing neighbourhoods, progress)
is :func:`peermatch.solvers.search.lns.improve`'s, the one search loop, which
repairs defects (people left out, cohorts without a facilitator) one step at
a time before its first round.
"""

from __future__ import annotations

import random
import time

from peermatch.executor import Executor
from peermatch.params import NeighbourhoodParams
from peermatch.solution import SearchStatistics
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
from peermatch.solvers.parallel_swaps import SwapTask, descend_part, swap_parts
from peermatch.solvers.search.lns import (
    Search,
    Walk,
    descent_budget,
    improve,
    swap_pass,
)

__all__ = [
    "SWAP_PARTS_MIN",
    "SWAP_ROUND_MAX",
    "Rounds",
    "disjoint_neighbourhoods",
    "improve_parallel",
    "step_round",
    "swap_round",
]

#: Swap descents run side by side (one part per worker) from this many cohorts per worker;
#: below it one descent in this process (its parts would be too small to move people).
SWAP_PARTS_MIN = 24
#: Seconds at most for one round of side-by-side descents: the workers ignore Ctrl-C, so
#: the round must end soon for the search to stop when asked.
SWAP_ROUND_MAX = 5.0


def disjoint_neighbourhoods(
    inst: FormationInstance,
    current: list[list[int]],
    batch: int,
    size: int,
    rng: random.Random,
    excess_pool: int = NeighbourhoodParams().excess_pool,
    excess_share: float = NeighbourhoodParams().excess_share,
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
        if mine and rng.random() < excess_share:
            out.append(
                around_excess(inst, current, mine, rng, size, allowed=free, excess_pool=excess_pool)
            )
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


def _swap_tasks(walk: Walk, rng: random.Random, search: Search, batch: int) -> list[SwapTask]:
    """One descent per part of ``walk``'s grouping
    (:func:`~peermatch.solvers.parallel_swaps.swap_parts`), each with
    :func:`~peermatch.solvers.search.lns.descent_budget`'s limit (at most :data:`SWAP_ROUND_MAX`)
    and stall for its own cohorts."""
    inst, current, facs, used = walk.inst, walk.current, walk.facs, walk.used(search)
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
    """:func:`~peermatch.solvers.search.lns.improve` with ``batch`` neighbourhoods per round.

    One loop: the neighbourhood search repairs defects one step at a time,
    then solves rounds of ``batch`` disjoint neighbourhoods (:func:`step_round`)
    and side-by-side swap descents (:func:`swap_round`) on ``executor``.
    """
    return improve(inst, start, search, rounds=Rounds(inst, executor, batch))


class Rounds:
    """What the one search loop does with an executor: ``batch`` steps or descents at once.

    Parameters
    ----------
    inst
        The instance (sent to each worker once).
    executor
        Local processes or a Dask cluster.
    batch
        Disjoint neighbourhoods per round (and swap parts per descent round).
    """

    def __init__(self, inst: FormationInstance, executor: Executor, batch: int):
        self.inst, self.executor, self.batch = inst, executor, batch
        self.shared = executor.share(inst)
        #: Rounds run, and neighbourhoods solved in them.
        self.count, self.solved = 0, 0

    def steps(self, walk: Walk, rng: random.Random, search: Search) -> bool:
        """One round of disjoint neighbourhoods on the walk's complete grouping; whether it
        lowered the cost. Raises what the executor raises (a pool broken by Ctrl-C)."""
        nb = search.params.neighbourhood
        self.count += 1
        hoods = disjoint_neighbourhoods(
            self.inst,
            walk.current,
            self.batch,
            walk.size,
            rng,
            walk.nb.excess_pool,
            walk.nb.excess_share,
        )
        self.solved += len(hoods)
        used = walk.used(search)
        limit = min(nb.step_limit, max(0.1, search.time_limit - used))
        seed = search.params.seed + 1000 * self.count
        current, facs, kept, charged = step_round(
            self.inst, walk.current, walk.facs, hoods, search, self.executor, self.shared,
            seed, limit,
        )  # fmt: skip
        before = walk.cost
        walk.current, walk.facs = current, facs
        walk.cost = self.inst.cost(current, len(walk.left))
        walk.spent += charged
        walk.accepted += kept
        return walk.cost < before or kept > 0

    def swaps(self, walk: Walk, rng: random.Random, search: Search) -> bool:
        """Swap descents on the walk's complete grouping (side by side when it is large)."""
        cohorts, gained, charged = swap_round(
            walk, rng, search, self.executor, self.shared, self.batch
        )
        walk.current, walk.spent = cohorts, walk.spent + charged
        walk.cost = self.inst.cost(walk.current, len(walk.left))
        walk.moves = (walk.moves or 0) + gained
        return gained > 0


def step_round(
    inst: FormationInstance,
    current: list[list[int]],
    facs: list[int | None] | None,
    hoods: list[list[int]],
    search: Search,
    executor: Executor,
    shared: object,
    seed: int,
    limit: float,
) -> tuple[list[list[int]], list[int | None] | None, int, float]:
    """Solve the disjoint neighbourhoods ``hoods`` at once and merge them in pick order.

    Step ``j`` gets seed ``seed + j`` and ``limit`` seconds.

    Returns the cohorts, their facilitators, the neighbourhoods kept and the
    time to charge: the round's longest step (its critical path) plus the
    per-step overhead when deterministic, else the longest wall time.
    Raises what the executor raises (a pool broken by Ctrl-C).
    """
    params, nb = search.params, search.params.neighbourhood
    steps = [
        make_step(inst, current, facs, c, seed=seed + j, limit=limit,
                  deterministic=params.deterministic, may_leave=params.allow_unassigned,
                  cpsat=params.cpsat, facilitator_pool=nb.facilitator_pool)
        for j, c in enumerate(hoods)
    ]  # fmt: skip
    results = executor.map(solve_step, steps, shared=shared)
    worst = max(r.deterministic_time if params.deterministic else r.wall_time for r in results)
    # Merge in pick order; earlier merges shift indices, so find cohorts by content
    # (the neighbourhoods are disjoint, so a later one's cohorts are all still there).
    picked = [[tuple(current[k]) for k in c] for c in hoods]
    kept = 0
    for members, res in zip(picked, results, strict=True):
        index = {tuple(c): k for k, c in enumerate(current)}
        merged = _merge(inst, current, facs, [index[m] for m in members], res)
        if merged is not None:
            current, facs = merged
            kept += 1
    return current, facs, kept, worst + nb.step_overhead


def swap_round(
    walk: Walk,
    rng: random.Random,
    search: Search,
    executor: Executor,
    shared: object,
    batch: int,
) -> tuple[list[list[int]], int, float]:
    """Swap descents on ``walk``'s grouping, one per part side by side from
    :data:`SWAP_PARTS_MIN` cohorts per part, else one here
    (:func:`~peermatch.solvers.search.lns.swap_pass`); cohorts, moves, charge."""
    if len(walk.current) >= SWAP_PARTS_MIN * batch:
        tasks = _swap_tasks(walk, rng, search, batch)
        return _swap_round(walk.current, tasks, executor, shared)
    return swap_pass(walk, rng, search)
