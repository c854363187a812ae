"""One neighbourhood re-solve, as a self-contained task for a worker process or a Dask worker.

The parallel neighbourhood search (:mod:`peermatch.solvers.cpsat.parallel_lns`)
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

from dataclasses import dataclass

from ortools.sat.python import cp_model

from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.model import FormationModel
from peermatch.solvers.instance import FormationInstance

__all__ = ["Step", "StepResult", "solve_step"]


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
    """Re-form ``step.people`` into cohorts with the current grouping as a hint."""
    people = list(step.people)
    sub = inst.restrict(people, step.capacity)
    fm = FormationModel(sub, sub.max_cohorts, allow_unassigned=step.may_leave)
    local = {old: k for k, old in enumerate(people)}
    fm.add_hint(
        [[local[i] for i in c] for c in step.cohorts],
        list(step.facilitators) if step.facilitators is not None else None,
    )
    fm.complete_hint(step.seed)
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.random_seed = step.seed
    p.num_workers = 1
    if step.deterministic:
        p.max_deterministic_time = step.time_limit
        p.max_time_in_seconds = 3 * step.time_limit + 10
    else:
        p.max_time_in_seconds = step.time_limit
    code = interrupt.run(solver, fm.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return StepResult(
            False, deterministic_time=solver.deterministic_time, wall_time=solver.wall_time
        )
    cohorts, facs, unplaced = fm.extract(solver.boolean_value)
    return StepResult(
        True,
        cohorts=tuple(tuple(people[i] for i in c) for c in cohorts),
        facilitators=tuple(facs) if facs is not None else None,
        unplaced=tuple(people[i] for i in unplaced),
        deterministic_time=solver.deterministic_time,
        wall_time=solver.wall_time,
    )
