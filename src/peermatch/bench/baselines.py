"""Baselines to compare solvers against, and a one-call evaluation of any solution.

:func:`random_baseline` is what an organiser without peermatch might do:
shuffle the list and cut it into cohorts of the right size, then pick for
each cohort the weekly slot most of its members can attend. It respects the
size bounds and nothing else on purpose; :func:`evaluate` then says how many
hard rules it breaks and how diverse it is, the yardstick a solver must beat.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from peermatch.generate import cohort_count
from peermatch.metrics import cohort_metrics, diversity_cost
from peermatch.model import ProblemData
from peermatch.schedule import session_times
from peermatch.slots import SlotTable, slot_table
from peermatch.solution import Cohort, Solution
from peermatch.violations import RULES, anchor_zone, violations

__all__ = ["evaluate", "greedy_baseline", "random_baseline"]


def random_baseline(problem: ProblemData, seed: int = 0) -> Solution:
    """A random assignment that only respects the cohort size bounds.

    Participants are shuffled and cut into ``k`` consecutive cohorts whose
    sizes differ by at most one, ``k`` being ``round(n / target_size)`` or,
    when such sizes would leave ``min_size..max_size``, the nearest count for
    which they do not (:func:`peermatch.generate.cohort_count`); that is the
    "move people to fix sizes" repair done at once. When no ``k`` fits (say 13 people with sizes
    7..12) ``round(n / target_size)`` cohorts are cut anyway and the size
    rule is reported broken.

    Each cohort gets the slot anchored in its zone (see
    :func:`peermatch.violations.anchor_zone`) that admits most of its members,
    with that slot's sessions, so :func:`peermatch.violations.violations`
    judges availability on real dates. With facilitators, each cohort takes a
    random facilitator free for its slot with capacity left, else any with
    capacity left, else none.

    Parameters
    ----------
    problem
        The problem to split.
    seed
        Seed of the shuffle (and of the facilitator draw).

    Returns
    -------
    Solution
        Everyone is placed; no one is listed unassigned.
    """
    rng = np.random.default_rng(seed)
    n = len(problem.participants)
    if n == 0:
        return Solution(cohorts=())
    rules = problem.config.cohort
    k = cohort_count(n, rules) or max(1, round(n / rules.target_size))
    order = rng.permutation(n)
    groups = [g for g in np.array_split(order, k) if len(g)]
    table = slot_table(problem, offsets=1)
    remaining = [f.max_cohorts for f in problem.facilitators]
    width = max(3, len(str(len(groups))))
    cohorts = []
    for c, group in enumerate(groups):
        members = sorted(int(i) for i in group)
        ids = tuple(problem.participants[i].id for i in members)
        slot_index = _best_slot(problem, table, members, ids)
        slot = table.slots[slot_index] if slot_index is not None else None
        facilitator = None
        if problem.facilitators:
            free = table.facilitator_masks[slot_index] if slot_index is not None else 0
            j = _pick_facilitator(rng, remaining, free)
            if j is not None:
                remaining[j] -= 1
                facilitator = problem.facilitators[j].id
        cohorts.append(
            Cohort(
                id=f"R{c + 1:0{width}d}",
                members=ids,
                slot=slot,
                facilitator_id=facilitator,
                sessions=_sessions(problem, slot),
            )
        )
    return Solution(cohorts=tuple(cohorts))


def greedy_baseline(problem: ProblemData, seed: int = 0) -> Solution:
    """The greedy construction of :mod:`peermatch.solvers.greedy`.

    Imported lazily so that this module works before (and without) the greedy solver.

    Raises
    ------
    ImportError
        When :func:`peermatch.solvers.greedy.greedy_solution` is not available.
    """
    from peermatch.solvers.greedy import greedy_solution

    result = greedy_solution(problem, seed=seed)
    # Accept a Result as well as a bare Solution: the hook must not guess wrong.
    solution = getattr(result, "solution", result)
    if not isinstance(solution, Solution):
        raise TypeError(f"greedy_solution returned {type(result).__name__}, not a Solution")
    return solution


def evaluate(problem: ProblemData, solution: Solution) -> dict[str, Any]:
    """Violations per rule and quality metrics of any solution.

    Returns
    -------
    dict
        ``violations``: count per rule of :data:`peermatch.violations.RULES`
        (zeros included); ``violations_total``; ``feasible`` (no violation);
        ``diversity_cost`` (:func:`peermatch.metrics.diversity_cost`);
        ``metrics`` (:func:`peermatch.metrics.cohort_metrics`). JSON-serialisable.
    """
    counts = Counter(v.rule for v in violations(problem, solution))
    per_rule = {rule: int(counts.get(rule, 0)) for rule in RULES}
    for rule, n in counts.items():  # a rule label added to violations() later still counts
        per_rule.setdefault(rule, int(n))
    total = sum(per_rule.values())
    return {
        "violations": per_rule,
        "violations_total": total,
        "feasible": total == 0,
        "diversity_cost": diversity_cost(problem, solution),
        "metrics": cohort_metrics(problem, solution),
    }


def _best_slot(
    problem: ProblemData, table: SlotTable, members: list[int], ids: tuple[str, ...]
) -> int | None:
    """Index of the slot in the cohort's anchor zone admitting most members (earliest on ties)."""
    zone = anchor_zone(problem, ids)
    need = 0
    for i in members:
        need |= 1 << i
    best, best_count = None, -1
    for s, (slot, mask) in enumerate(zip(table.slots, table.masks, strict=True)):
        if slot.zone != zone:
            continue
        count = (mask & need).bit_count()
        if count > best_count:
            best, best_count = s, count
    return best


def _pick_facilitator(rng: np.random.Generator, remaining: list[int], free: int) -> int | None:
    with_capacity = [j for j, r in enumerate(remaining) if r > 0]
    if not with_capacity:
        return None
    free_ones = [j for j in with_capacity if free >> j & 1]
    pool = free_ones or with_capacity
    return int(pool[int(rng.integers(len(pool)))])


def _sessions(problem: ProblemData, slot: Any) -> tuple[Any, ...]:
    if slot is None:
        return ()
    try:
        return session_times(problem.config.schedule, slot)
    except ValueError:  # the series cannot leave the blackout dates: violations() says so
        return ()
