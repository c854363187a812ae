"""The repair model: the earlier cohorts, changed as little as the rules allow.

Cohort ``k < m`` of the model *is* earlier cohort ``k`` (same id); cohorts
``m..`` are new ones. Every hard rule of a run holds (the constraint
families of :class:`~peermatch.solvers.cpsat.constraints.Constraints`,
without the symmetry breaking that would make cohorts interchangeable).
On top, per earlier cohort, ``keep_slot[k]`` (its weekly slot, hence its
dates, still suits every member) and ``keep_fac[k]`` (its facilitator still
leads it).

The objective is lexicographic, solved as **successive solves with the
previous level fixed** (no big weights, so each level's bound is CP-SAT's
own): (1) the fewest people moved (earlier members, still participants, in
another cohort than before); (2) with that number fixed, the fewest earlier
cohorts whose slot or facilitator changed; (3) with both fixed, the run's
cost (diversity and sizes). When level 1 is solved to optimality (the
``moved_optimal`` statistic) no repair within the rules moves fewer people.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from peermatch.previous_run import PreviousRun
from peermatch.schedule import attends
from peermatch.solution import RepairStatistics
from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.constraints import Constraints
from peermatch.solvers.cpsat.objective import Objective
from peermatch.solvers.cpsat.parameters import cp_solver
from peermatch.solvers.cpsat.variables import Variables
from peermatch.solvers.instance import FormationInstance

__all__ = ["RepairModel", "RepairOutcome", "solve_repair"]


class _RepairConstraints(Constraints):
    """The run's rules; cohorts are not interchangeable, so no symmetry breaking."""

    def __init__(self, model: cp_model.CpModel, inst: FormationInstance, v: Variables, m: int):
        super().__init__(model, inst, v, lambda family, key: None)
        # New cohorts open in order; earlier ones may close anywhere.
        self.ordered_from = m

    def neutrality(self) -> None:
        """No linked pair shares any cohort (every cohort is open to everyone here)."""
        inst, v = self.inst, self.v
        for i, j in inst.conflicts:
            if inst.max_per_org == 1 and inst.org_of[i] == inst.org_of[j]:
                continue  # the organisation rule keeps them apart
            for k in range(len(v.used)):
                if (i, k) in v.x and (j, k) in v.x:
                    self.model.add_bool_or([v.x[i, k].Not(), v.x[j, k].Not()])


def _variables(model: cp_model.CpModel, inst: FormationInstance, cohorts: int) -> Variables:
    v = Variables()
    v.used = [model.new_bool_var(f"used[{k}]") for k in range(cohorts)]
    v.members_of = [[] for _ in range(cohorts)]
    for i in range(inst.n):
        ks = list(range(cohorts)) if inst.options_of[i] else []
        v.add_person(model, i, ks)
        v.placed.append(model.new_constant(1))
    v.add_cohorts(model, inst, cohorts)
    return v


class RepairModel:
    """The CP-SAT model of one repair (see the module docstring)."""

    def __init__(
        self,
        inst: FormationInstance,
        previous: PreviousRun,
        extra_cohorts: int,
        merged: Collection[int] = (),
    ):
        self.inst, self.previous = inst, previous
        self.m = len(previous.cohorts)
        self.model = cp_model.CpModel()
        self.v = _variables(self.model, inst, self.m + extra_cohorts)
        _RepairConstraints(self.model, inst, self.v, self.m).add_all()
        # A merged cohort is closed; its people must move anyway, so moving them costs nothing.
        for k in merged:
            self.model.add(self.v.used[k] == 0)
        self.home = {
            inst.problem.index[pid]: k
            for k, c in enumerate(previous.cohorts)
            for pid in c.members
            if pid in inst.problem.index and k not in merged
        }
        self.keep_slot = [self.model.new_bool_var(f"keep_slot[{k}]") for k in range(self.m)]
        self.keep_fac = [self.model.new_bool_var(f"keep_fac[{k}]") for k in range(self.m)]
        self.changed = [self.model.new_bool_var(f"changed[{k}]") for k in range(self.m)]
        for k in range(self.m):
            self._keeping(k)
        self._lock_ids()
        x = self.v.x
        self.moved = sum(1 - x[i, k] if (i, k) in x else 1 for i, k in self.home.items())
        self.changes = sum(self.changed)

    def _free(self, k: int) -> set[int]:
        """Who can attend earlier cohort ``k``'s sessions (and may sit in a cohort anchored there)."""
        inst, problem = self.inst, self.inst.problem
        cohort = self.previous.cohorts[k]
        if cohort.slot is None:
            return set()
        zone = cohort.slot.zone
        out = set()
        for i, p in enumerate(problem.participants):
            if zone != inst.program_zone and inst.tz_of[i] != zone:
                continue  # a cohort anchored in another zone holds only people of that zone
            if attends(problem.availability_of(p), problem.timezone_of(p), cohort.sessions):
                out.add(i)
        return out

    def _keeping(self, k: int) -> None:
        """``keep_slot[k]``/``keep_fac[k]`` and ``changed[k]`` of earlier cohort ``k``."""
        inst, v, model = self.inst, self.v, self.model
        cohort, problem = self.previous.cohorts[k], self.inst.problem
        free = self._free(k)
        for i in v.members_of[k]:
            if i not in free:
                model.add(v.x[i, k] + self.keep_slot[k] <= 1)
        if cohort.slot is None:
            model.add(self.keep_slot[k] == 0)
        elif cohort.slot.zone == inst.program_zone:
            # Anchored in the program's zone: not all members may share one other zone.
            for z in sorted(set(inst.tz_of) - {inst.program_zone}):
                outside = [v.x[i, k] for i in v.members_of[k] if inst.tz_of[i] != z]
                model.add(sum(outside) >= 1).only_enforce_if([self.keep_slot[k], v.used[k]])
        j = problem.facilitator_index.get(cohort.facilitator_id or "")
        if not problem.facilitators:
            model.add(self.keep_fac[k] == 1)
        elif j is None or (k, j) not in v.fac:
            model.add(self.keep_fac[k] == 0)
        else:
            model.add_implication(self.keep_fac[k], v.fac[k, j])
        for jj, f in enumerate(problem.facilitators):
            # Whoever leads a cohort that keeps its slot must be free for those sessions.
            if (
                (k, jj) in v.fac
                and cohort.slot is not None
                and not attends(problem.availability_of(f), problem.timezone_of(f), cohort.sessions)
            ):
                model.add(v.fac[k, jj] + self.keep_slot[k] <= 1)
        model.add(self.changed[k] >= v.used[k] - self.keep_slot[k])
        model.add(self.changed[k] >= v.used[k] - self.keep_fac[k])

    def _lock_ids(self) -> None:
        """A group locked to an earlier cohort's id is in that cohort; other lock ids open new ones."""
        inst, v = self.inst, self.v
        index = {c.id: k for k, c in enumerate(self.previous.cohorts)}
        for members, lock in zip(inst.groups, inst.group_locks, strict=True):
            if lock is None:
                continue
            first = members[0]
            for k in v.cohorts_of[first]:
                if k < self.m:
                    self.model.add(v.x[first, k] == int(index.get(lock) == k))

    def hint_previous(self) -> None:
        """Hint the earlier cohorts, kept as they were."""
        for (i, k), var in self.v.x.items():
            self.model.add_hint(var, self.home.get(i) == k)
        for k in range(self.m):
            self.model.add_hint(self.keep_slot[k], True)
            self.model.add_hint(self.keep_fac[k], True)

    def groups(self, value: Any) -> tuple[list[list[int]], list[int | None]]:
        """Members and facilitator of every model cohort (empty lists for unused ones)."""
        cohorts: list[list[int]] = [[] for _ in self.v.used]
        for (i, k), var in self.v.x.items():
            if value(var):
                cohorts[k].append(i)
        facs: list[int | None] = [None] * len(self.v.used)
        for (k, j), var in self.v.fac.items():
            if value(var):
                facs[k] = j
        return cohorts, facs


@dataclass(frozen=True)
class RepairOutcome:
    """What the successive solves found."""

    status: str  # optimal | feasible | infeasible | unknown
    cohorts: list[list[int]]
    facilitators: list[int | None]
    keep_slot: list[bool]
    stats: RepairStatistics


def _solver(limit: float, seed: int, workers: int, deterministic: bool) -> cp_model.CpSolver:
    return cp_solver(limit, seed, workers, deterministic)


def _rehint(rm: RepairModel, solver: cp_model.CpSolver) -> None:
    values = solver.response_proto.solution
    rm.model.clear_hints()
    for index, value in enumerate(values):
        rm.model.add_hint(rm.model.get_int_var_from_proto_index(index), value)


def solve_repair(
    inst: FormationInstance,
    previous: PreviousRun,
    *,
    time_limit: float,
    seed: int = 0,
    workers: int = 1,
    deterministic: bool = True,
    extra_cohorts: int | None = None,
    merged: Collection[int] = (),
) -> RepairOutcome:
    """Three successive solves: people moved, then cohorts changed, then cost.

    ``extra_cohorts`` new cohorts may be opened (default: enough for the
    joiners and two more, at most ``n // min_size``). The earlier cohorts
    numbered in ``merged`` are dissolved (``repair --merge-below``); their
    people are placed elsewhere and are not counted as moved.
    """
    problem = inst.problem
    joined = sum(1 for p in problem.participants if p.id not in previous.cohort_of())
    if extra_cohorts is None:
        extra_cohorts = min(inst.n // inst.min_size, joined // inst.min_size + 2)
    rm = RepairModel(inst, previous, extra_cohorts, merged)
    rm.hint_previous()
    found: dict[str, Any] = {}
    seconds: list[float] = []
    levels: Sequence[tuple[str, Any, float]] = (
        ("moved", rm.moved, 0.5),
        ("cohorts_changed", rm.changes, 0.2),
        ("cost", None, 0.3),
    )
    status = "optimal"
    last: cp_model.CpSolver | None = None
    for name, expr, share in levels:
        if expr is None:
            expr = Objective(rm.model, inst, rm.v, False).build()
        else:
            rm.model.minimize(expr)
        solver = _solver(max(0.5, share * time_limit), seed, workers, deterministic)
        started = time.monotonic()
        code = interrupt.run(solver, rm.model)
        seconds.append(round(time.monotonic() - started, 3))
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if last is None:
                stats = RepairStatistics(extra_cohorts, seconds=tuple(seconds))
                why = "infeasible" if code == cp_model.INFEASIBLE else "unknown"
                return RepairOutcome(why, [], [], [], stats)
            status = "feasible"
            break  # keep the previous level's solution
        best = round(solver.objective_value)
        found[name], found[f"{name}_optimal"] = best, code == cp_model.OPTIMAL
        if code != cp_model.OPTIMAL:
            status = "feasible"
        _rehint(rm, solver)
        rm.model.add(expr <= best)
        last = solver
    assert last is not None  # the first level succeeded
    value = last.boolean_value
    cohorts, facs = rm.groups(value)
    keep = [bool(value(v)) for v in rm.keep_slot]
    stats = RepairStatistics(extra_cohorts, seconds=tuple(seconds), **found)
    return RepairOutcome(status, cohorts, facs, keep, stats)
