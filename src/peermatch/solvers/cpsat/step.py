"""One neighbourhood re-solve, as a self-contained task for a worker process or a Dask worker.

The parallel neighbourhood search (:mod:`peermatch.solvers.search.parallel_lns`)
sends a :class:`Step` (who is freed, what facilitator capacity remains, the
current grouping of those people as a hint, a seed and a *deterministic*
time budget) to :func:`solve_step`, together with the whole program's
instance, which the executor sends to each worker once. The task rebuilds
the sub-instance and its CP-SAT model there, so only a few hundred integers
travel per step; one CP-SAT worker per step (the parallelism is across
steps). With a deterministic budget the answer depends only on the step,
not on the machine, its load or which worker ran it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from peermatch.params import NeighbourhoodParams
from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.model import FormationModel
from peermatch.solvers.cpsat.parameters import cp_solver
from peermatch.solvers.finish import stagger
from peermatch.solvers.instance import FormationInstance

__all__ = ["Step", "StepResult", "facilitators_ok", "make_step", "replace_cohorts", "solve_step"]


@dataclass(frozen=True)
class Step:
    """A neighbourhood to re-solve; positions are the whole program's."""

    people: tuple[int, ...]
    capacity: tuple[int, ...]
    cohorts: tuple[tuple[int, ...], ...]
    facilitators: tuple[int | None, ...] | None
    may_leave: bool
    seed: int
    time_limit: float
    deterministic: bool = True
    #: CP-SAT workers for this one step (the sequential search may use several).
    workers: int = 1
    #: Seed that completes the hint (the sequential search keeps its run's seed).
    hint_seed: int | None = None
    #: CP-SAT parameters passed through (``SolveParams.cpsat``), as pairs so a step pickles.
    cpsat: tuple[tuple[str, Any], ...] = ()
    #: Placement first: minimise only the people left out (``FormationModel(placing=True)``).
    placing: bool = False
    #: Placement first: the step must place at least one more of the people it takes in,
    #: and ends at its first solution (see :func:`solve_step`).
    place_more: bool = False


@dataclass(frozen=True)
class StepResult:
    """What the sub-model found (``found`` False: nothing in time); whole-program positions."""

    found: bool
    cohorts: tuple[tuple[int, ...], ...] = ()
    facilitators: tuple[int | None, ...] | None = None
    unplaced: tuple[int, ...] = ()
    deterministic_time: float = 0.0
    wall_time: float = 0.0


def solve_step(inst: FormationInstance, step: Step) -> StepResult:
    """Re-form ``step.people`` into cohorts with the current grouping as a hint.

    With a wall-clock limit (``step.deterministic`` false) the limit covers the
    whole step: building the model and completing the hint are deducted from
    what CP-SAT gets, and a step whose limit is gone by then returns nothing
    found. Regression: the whole-program attempt of placement first at
    n = 1,000 spent minutes building its model and completing its hint before
    CP-SAT's own limit started, and a 60 s run took 120-330 s.
    """
    began = time.monotonic()
    people = list(step.people)
    sub = inst.restrict(people, step.capacity)
    fm = FormationModel(sub, sub.max_cohorts, allow_unassigned=step.may_leave, placing=step.placing)
    local = {old: k for k, old in enumerate(people)}
    fm.add_hint(
        [[local[i] for i in c] for c in step.cohorts],
        list(step.facilitators) if step.facilitators is not None else None,
    )
    wall = None if step.deterministic else step.time_limit - (time.monotonic() - began)
    if wall is not None and wall <= 0:
        return StepResult(False, wall_time=time.monotonic() - began)
    fm.complete_hint(step.seed if step.hint_seed is None else step.hint_seed, time_limit=wall)
    limit = step.time_limit if wall is None else step.time_limit - (time.monotonic() - began)
    if limit <= 0:
        return StepResult(False, wall_time=time.monotonic() - began)
    cpsat = dict(step.cpsat)
    left = len(people) - sum(len(c) for c in step.cohorts)
    if step.place_more and step.may_leave and left > 0:
        # A step taking in people left out spent its whole limit on diversity once it had
        # placed them (issue 25: scarce slots, n = 120, took 20 deterministic seconds to
        # place six people, a second a step). Asking for one more placed person and
        # stopping at the first such grouping ends it as soon as it succeeds (the
        # following steps improve the cost) or as soon as CP-SAT proves it cannot.
        fm.model.add(sum(fm.v.placed) >= len(people) - left + 1)
        cpsat.setdefault("stop_after_first_solution", True)
    solver = cp_solver(limit, step.seed, step.workers, step.deterministic, cpsat=cpsat)
    code = interrupt.run(solver, fm.model)
    spent = solver.wall_time if step.deterministic else time.monotonic() - began
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return StepResult(False, deterministic_time=solver.deterministic_time, wall_time=spent)
    found = fm.extract(solver.boolean_value)
    return StepResult(
        True,
        cohorts=tuple(tuple(people[i] for i in c) for c in found.cohorts),
        facilitators=tuple(found.facilitators) if found.facilitators is not None else None,
        unplaced=tuple(people[i] for i in found.unplaced),
        deterministic_time=solver.deterministic_time,
        wall_time=spent,
    )


_FACILITATOR_POOL = NeighbourhoodParams().facilitator_pool


def _facilitator_pool(
    inst: FormationInstance,
    people: Sequence[int],
    capacity: list[int],
    leaders: set[int],
    seed: int,
    pool: int,
) -> None:
    """Leave capacity to the step's leaders and at most ``pool`` others.

    The sub-model has a variable per cohort and facilitator with capacity left,
    and a clash check per facilitator and option: with the thousands of free
    facilitators of a program of 100,000 that took 12 s of every step. The
    step's own leaders always stay, so the current grouping stays feasible in
    it (a restricted neighbourhood is still a neighbourhood). The others are
    a sample, drawn with the step's seed (so that steps differ), of those free
    at some option of the step's people.
    """
    spare = [j for j, c in enumerate(capacity) if c > 0 and j not in leaders]
    if len(spare) <= pool:
        return
    free = 0
    for i in people:
        for c in inst.options_of[i]:
            free |= inst.options[c].facilitator_mask
    ranked = [j for j in spare if free >> j & 1]
    random.Random(seed).shuffle(ranked)
    keep = set(ranked[:pool])
    for j in spare:
        if j not in keep:
            capacity[j] = 0


def make_step(
    inst: FormationInstance,
    current: Sequence[Sequence[int]],
    facs: Sequence[int | None] | None,
    chosen: Sequence[int],
    *,
    extra: Sequence[int] = (),
    seed: int,
    limit: float,
    deterministic: bool,
    may_leave: bool,
    workers: int = 1,
    hint_seed: int | None = None,
    cpsat: Mapping[str, Any] | None = None,
    facilitator_pool: int = _FACILITATOR_POOL,
    placing: bool = False,
    place_more: bool = False,
) -> Step:
    """The step that re-forms cohorts ``chosen`` of ``current`` (and takes in ``extra``).

    Facilitator capacity is what the cohorts outside the step leave, so the
    sub-model cannot over-book a facilitator on its own. Of the facilitators
    with capacity left, the step offers those leading its cohorts and at most
    ``facilitator_pool`` others (:func:`_facilitator_pool`;
    :attr:`~peermatch.params.NeighbourhoodParams.facilitator_pool`).
    ``placing`` (with ``may_leave``): the step minimises only the people it
    leaves out (:class:`~peermatch.solvers.cpsat.model.FormationModel`).
    ``place_more``: see :attr:`Step.place_more`.
    """
    capacity = list(inst.facilitator_capacity)
    picked = set(chosen)
    if facs is not None:
        for k, f in enumerate(facs):
            if f is not None and k not in picked:
                capacity[f] -= 1
    people = tuple(sorted([i for k in chosen for i in current[k]] + list(extra)))
    leaders = {f for k in chosen if (f := facs[k]) is not None} if facs is not None else set()
    _facilitator_pool(inst, people, capacity, leaders, seed, facilitator_pool)
    return Step(
        people=people,
        capacity=tuple(capacity),
        cohorts=tuple(tuple(current[k]) for k in chosen),
        facilitators=tuple(facs[k] for k in chosen) if facs is not None else None,
        may_leave=may_leave,
        seed=seed,
        time_limit=limit,
        deterministic=deterministic,
        workers=workers,
        hint_seed=hint_seed,
        cpsat=tuple(sorted((cpsat or {}).items())),
        placing=placing and may_leave,
        place_more=place_more,
    )


def facilitators_ok(
    inst: FormationInstance,
    cohorts: Sequence[Sequence[int]],
    facs: Sequence[int | None],
    new: Sequence[int | None],
) -> bool:
    """Capacity and non-overlapping sessions of every facilitator in ``new``, over all they lead.

    A sub-model cannot see the sessions of the cohorts outside it, and two
    parallel steps can each give one facilitator another cohort.
    """
    for f in {f for f in new if f is not None}:
        led = [list(c) for c, g in zip(cohorts, facs, strict=True) if g == f]
        if len(led) > inst.facilitator_capacity[f] or stagger(inst, led, f) is None:
            return False
    return True


def replace_cohorts(
    current: Sequence[Sequence[int]],
    facs: Sequence[int | None] | None,
    chosen: Sequence[int],
    res: StepResult,
) -> tuple[list[list[int]], list[int | None] | None]:
    """The grouping with cohorts ``chosen`` replaced by the step's (the others keep their order)."""
    out = set(chosen)
    keep = [k for k in range(len(current)) if k not in out]
    cohorts = [list(current[k]) for k in keep] + [list(c) for c in res.cohorts]
    if facs is None:
        return cohorts, None
    new = list(res.facilitators) if res.facilitators is not None else [None] * len(res.cohorts)
    return cohorts, [facs[k] for k in keep] + new
