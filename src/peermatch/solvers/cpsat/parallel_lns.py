"""Neighbourhood search with several disjoint neighbourhoods solved at once.

Each *round* picks ``batch`` neighbourhoods on **disjoint** cohorts (a random
pivot cohort and the free cohorts nearest to it in seniority, as in
:mod:`peermatch.solvers.cpsat.lns`), sends them to an
:class:`~peermatch.executor.Executor` (local processes or a Dask cluster) as
:class:`~peermatch.solvers.cpsat.neighbourhood.Step` tasks, and merges the
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
from collections.abc import Callable, Sequence
from dataclasses import replace

from peermatch.executor import Executor
from peermatch.solution import SearchStatistics
from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.lns import (
    MAX_NEIGHBOURHOOD,
    MIN_NEIGHBOURHOOD,
    STALE_STEPS,
    STEP_LIMIT,
    STEP_OVERHEAD,
    _mean_level,
    improve,
)
from peermatch.solvers.cpsat.neighbourhood import (
    StepResult,
    facilitators_ok,
    make_step,
    replace_cohorts,
    solve_step,
)
from peermatch.solvers.instance import FormationInstance

__all__ = ["improve_parallel"]

Grouping = tuple[list[list[int]], list[int | None] | None, list[int], SearchStatistics]


def _disjoint(
    inst: FormationInstance, current: list[list[int]], batch: int, size: int, rng: random.Random
) -> list[list[int]]:
    """Up to ``batch`` neighbourhoods (cohort indices), pairwise disjoint."""
    free = set(range(len(current)))
    out: list[list[int]] = []
    size = min(size, max(2, len(current) // batch))
    while free and len(out) < batch:
        pivot = sorted(free)[rng.randrange(len(free))]
        level = _mean_level(inst, current[pivot])
        ranked = sorted(
            free, key=lambda k: (k != pivot, abs(_mean_level(inst, current[k]) - level), k)
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


def improve_parallel(
    inst: FormationInstance,
    cohorts: Sequence[Sequence[int]],
    unplaced: Sequence[int],
    *,
    executor: Executor,
    batch: int,
    time_limit: float,
    seed: int,
    deterministic: bool,
    allow_unassigned: bool,
    progress: Callable[..., None] | None,
    start: float,
    bound: float | None = None,
) -> Grouping:
    """Like :func:`~peermatch.solvers.cpsat.lns.improve`, ``batch`` neighbourhoods per round."""
    from peermatch.solvers.cpsat.solving import Progress

    common = dict(
        seed=seed, deterministic=deterministic, allow_unassigned=allow_unassigned,
        progress=progress, start=start, bound=bound,
    )  # fmt: skip
    current, facs, left, stats = improve(
        inst, cohorts, unplaced, time_limit=time_limit, workers=1, until_complete=True,
        **common,  # type: ignore[arg-type]
    )  # fmt: skip
    spent = stats.solver_time
    if left or (facs is not None and None in facs):
        rest = improve(
            inst, current, left, time_limit=max(0.5, time_limit - spent), workers=1,
            **common,  # type: ignore[arg-type]
        )  # fmt: skip
        more = rest[3]
        return (
            rest[0],
            rest[1],
            rest[2],
            replace(
                more,
                iterations=stats.iterations + more.iterations,
                improvements=stats.improvements + more.improvements,
                solver_time=round(spent + more.solver_time, 3),
            ),
        )
    rng = random.Random(seed)
    shared = executor.share(inst)
    cost = inst.cost(current)
    rounds = accepted = stale = 0
    hood_counts: list[int] = []
    size = MIN_NEIGHBOURHOOD
    wall_cap = 3 * time_limit + 10  # as in lns.improve: a safety net on a starved machine
    while current and (spent if deterministic else time.monotonic() - start) < time_limit:
        if (bound is not None and cost <= bound) or interrupt.requested():
            break
        if time.monotonic() - start > wall_cap:
            break
        rounds += 1
        hoods = _disjoint(inst, current, batch, size, rng)
        hood_counts.append(len(hoods))
        limit = min(STEP_LIMIT, max(0.1, time_limit - spent))
        steps = [
            make_step(inst, current, facs, c, seed=seed + 1000 * rounds + j, limit=limit,
                      deterministic=deterministic, may_leave=allow_unassigned)
            for j, c in enumerate(hoods)
        ]  # fmt: skip
        results = executor.map(solve_step, steps, shared=shared)
        worst = max(r.deterministic_time if deterministic else r.wall_time for r in results)
        spent += worst + STEP_OVERHEAD
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
        if improved:
            stale = 0
            if progress:
                progress(Progress(time.monotonic() - start, float(cost), bound))
        else:
            stale += 1
            if stale % max(1, STALE_STEPS // batch) == 0:
                size = min(MAX_NEIGHBOURHOOD, size + 1)
    solved = stats.iterations + sum(hood_counts)
    return (
        current,
        facs,
        left,
        replace(
            stats,
            iterations=solved,
            improvements=stats.improvements + accepted,
            solver_time=round(spent, 3),
            final_neighbourhood=size,
            rounds=rounds,
            batch=batch,
        ),
    )
