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

This decomposition is also where parallelism will go: disjoint
neighbourhoods can be solved on separate processes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from ortools.sat.python import cp_model

from peermatch.solvers.cpsat.model import FormationModel
from peermatch.solvers.finish import assign_facilitators
from peermatch.solvers.instance import FormationInstance, MeetingOption

__all__ = ["improve", "sub_instance"]

#: Deterministic seconds charged per neighbourhood for building its model.
STEP_OVERHEAD = 0.08


def sub_instance(
    inst: FormationInstance, people: Sequence[int], capacity: Sequence[int]
) -> FormationInstance:
    """The instance restricted to ``people`` (renumbered 0..len-1), with facilitator ``capacity``."""
    new = {old: k for k, old in enumerate(people)}

    def remap(mask: int) -> int:
        out = 0
        for old, k in new.items():
            if mask >> old & 1:
                out |= 1 << k
        return out

    options = []
    seen = set()
    for o in inst.options:
        m = remap(o.mask)
        if m and (o.zone, m, o.facilitator_mask) not in seen:
            seen.add((o.zone, m, o.facilitator_mask))
            options.append(MeetingOption(o.zone, m, o.facilitator_mask, o.slots))
    value_of = tuple(tuple(values[i] for i in people) for values in inst.value_of)
    counts = []
    for values, full in zip(value_of, inst.value_counts, strict=True):
        c = [0] * len(full)
        for v in values:
            if v is not None:
                c[v] += 1
        counts.append(tuple(c))
    return replace(
        inst,
        n=len(people),
        ids=tuple(inst.ids[i] for i in people),
        levels=tuple(inst.levels[i] for i in people),
        org_of=tuple(inst.org_of[i] for i in people),
        tz_of=tuple(inst.tz_of[i] for i in people),
        conflicts=tuple(
            sorted(
                (min(new[i], new[j]), max(new[i], new[j]))
                for i, j in inst.conflicts
                if i in new and j in new
            )
        ),
        options=tuple(options),
        similarity=tuple(tuple(values[i] for i in people) for values in inst.similarity),
        value_of=value_of,
        value_counts=tuple(counts),
        facilitator_capacity=tuple(capacity),
        facilitator_conflicts=tuple(
            frozenset(new[i] for i in bad if i in new) for bad in inst.facilitator_conflicts
        ),
    )


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
    neighbourhood: int = 8,
) -> tuple[list[list[int]], list[int | None] | None, list[int], float | None, dict[str, object]]:
    """Improve a complete grouping by re-solving a few cohorts at a time.

    Returns the cohorts, their facilitators (``None`` without facilitators),
    the unplaced, a lower bound and statistics.
    """
    from peermatch.solvers.cpsat.solving import Progress, _params

    rng = random.Random(seed)
    current = [list(c) for c in cohorts if c]
    facs: list[int | None] | None = (
        assign_facilitators(inst, current) if inst.problem.facilitators else None
    )
    left = list(unplaced)
    cost = inst.cost(current, len(left))
    bound = inst.lower_bound() if not left else None
    spent, iterations, accepted = 0.0, 0, 0
    wall_cap = 3 * time_limit + 10
    step_limit = 1.0
    stats: dict[str, object] = {"first_solution_time": time.monotonic() - start}
    while len(current) > 1:
        if (
            spent if deterministic else time.monotonic() - start
        ) >= time_limit or time.monotonic() - start > wall_cap:
            break
        if bound is not None and cost <= bound:
            break
        iterations += 1
        pivot = rng.randrange(len(current))
        level = sum(inst.levels[i] for i in current[pivot]) / len(current[pivot])
        ranked = sorted(
            range(len(current)),
            key=lambda k: (
                abs(sum(inst.levels[i] for i in current[k]) / len(current[k]) - level),
                rng.random(),
            ),
        )
        chosen = sorted(ranked[: min(neighbourhood, len(current))])
        people = sorted(i for k in chosen for i in current[k])
        if allow_unassigned and left:
            people = sorted(people + left[:8])
        capacity = list(inst.facilitator_capacity)
        if facs is not None:
            for k, f in enumerate(facs):
                if f is not None and k not in chosen:
                    capacity[f] -= 1
        sub = sub_instance(inst, people, capacity)
        fm = FormationModel(sub, sub.max_cohorts, allow_unassigned=allow_unassigned)
        local = {old: k for k, old in enumerate(people)}
        fm.add_hint(
            [[local[i] for i in current[k]] for k in chosen],
            [facs[k] for k in chosen] if facs else None,
        )
        fm.complete_hint(seed)
        solver = _params(
            min(step_limit, max(0.1, time_limit - spent)), seed + iterations, workers, deterministic
        )
        code = solver.solve(fm.model)
        # Building a sub-model costs Python time that deterministic time does not see;
        # charge a fixed amount per step so the budget stays reproducible and honest.
        spent += (solver.deterministic_time + STEP_OVERHEAD) if deterministic else solver.wall_time
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        sub_cohorts, sub_facs, sub_unplaced = fm.extract(solver.boolean_value)
        before = sub.cost(
            [[local[i] for i in current[k]] for k in chosen],
            len([i for i in people if i in set(left)]),
        )
        after = sub.cost(sub_cohorts, len(sub_unplaced))
        if after > before:
            continue
        accepted += after < before
        keep = [k for k in range(len(current)) if k not in set(chosen)]
        current = [current[k] for k in keep] + [[people[i] for i in c] for c in sub_cohorts]
        if facs is not None:
            facs = [facs[k] for k in keep] + list(sub_facs)
        in_sub = set(people)
        left = [i for i in left if i not in in_sub] + [people[i] for i in sub_unplaced]
        cost = inst.cost(current, len(left))
        if progress and after < before:
            progress(
                Progress(
                    time.monotonic() - start, float(cost), None if bound is None else float(bound)
                )
            )
    stats.update(
        {
            "lns_iterations": iterations,
            "lns_improvements": accepted,
            "lns_solver_time": round(spent, 3),
        }
    )
    return current, facs, sorted(left), None if bound is None else float(bound), stats
