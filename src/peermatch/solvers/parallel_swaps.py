"""Swap descents side by side: the program cut into disjoint parts, one descent per part.

A swap descent (:mod:`peermatch.solvers.swaps`) runs in one process; with
several workers the neighbourhood search
(:mod:`peermatch.solvers.search.parallel_lns`) cuts the cohorts into as many
disjoint parts and sends one :class:`SwapTask` per part to the executor
(local worker processes or Dask workers), then puts the parts' cohorts
back in place. Moves between parts wait for a later round, whose cuts
fall elsewhere. Each task has its own seed and (in deterministic mode) a
charged budget, so the round's answer does not depend on which worker ran
which part.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from peermatch.solvers.instance import FormationInstance
from peermatch.solvers.swaps import SwapBudget, descend

__all__ = ["SwapTask", "descend_part", "swap_parts"]


@dataclass(frozen=True)
class SwapTask:
    """One part's descent, as a task for a worker process or a Dask worker.

    Attributes
    ----------
    cohorts, facilitators
        The part's cohorts (whole-program positions) and their facilitators.
    seed
        Seeds the descent's random draws.
    limit, deterministic, stall
        As in :class:`SwapBudget`.
    """

    cohorts: tuple[tuple[int, ...], ...]
    facilitators: tuple[int | None, ...] | None
    seed: int
    limit: float
    deterministic: bool
    stall: int


def descend_part(
    inst: FormationInstance, task: SwapTask
) -> tuple[tuple[tuple[int, ...], ...], int, float]:
    """Run :func:`descend` on one part; its cohorts, improving moves and seconds spent.

    Every rule of a cohort is checked on the part's own cohorts, which is
    exact as long as a facilitator's cohorts are all in one part
    (:func:`swap_parts` keeps them so): the stagger of their sessions is the
    only rule that spans cohorts.
    """
    budget = SwapBudget(limit=task.limit, deterministic=task.deterministic, stall=task.stall)
    found, gained = descend(inst, task.cohorts, task.facilitators, random.Random(task.seed), budget)
    return tuple(tuple(c) for c in found), gained, budget.spent


def swap_parts(
    inst: FormationInstance,
    cohorts: Sequence[Sequence[int]],
    facs: Sequence[int | None] | None,
    parts: int,
    rng: random.Random,
) -> list[list[int]]:
    """Cohort indices in at most ``parts`` disjoint parts, for descents side by side.

    Cohorts led by one facilitator stay together (see :func:`descend_part`).
    Otherwise the parts are contiguous in seniority, since moves only happen
    between cohorts within ``max_level_gap`` of each other, cut at a random
    offset so that the cuts move from one round to the next.
    """
    root = list(range(len(cohorts)))

    def find(k: int) -> int:
        while root[k] != k:
            root[k] = root[root[k]]
            k = root[k]
        return k

    first: dict[int, int] = {}
    for k, f in enumerate(facs or ()):
        if f is not None:
            root[find(k)] = find(first.setdefault(f, k))
    groups: dict[int, list[int]] = {}
    for k in range(len(cohorts)):
        groups.setdefault(find(k), []).append(k)

    def level(group: list[int]) -> float:
        members = [i for k in group for i in cohorts[k]]
        return sum(inst.levels[i] for i in members) / max(1, len(members))

    order = sorted(groups.values(), key=lambda g: (level(g), g[0]))
    cut = rng.randrange(len(order)) if order else 0
    order = order[cut:] + order[:cut]
    share = -(-len(cohorts) // max(1, parts))
    out: list[list[int]] = [[]]
    for group in order:
        if len(out[-1]) >= share and len(out) < parts:
            out.append([])
        out[-1].extend(group)
    return [sorted(part) for part in out if part]
