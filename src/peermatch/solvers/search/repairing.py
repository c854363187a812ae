"""``repair()``: from an earlier run and updated inputs to a :class:`Result`.

The steps mirror :func:`~peermatch.solvers.solve`: the
pre-solve checks (a repair is possible exactly when a run is, since keeping
cohorts is a preference, not a rule); the flat instance; the successive
solves of :mod:`peermatch.solvers.cpsat.repair`; the solution, rechecked by
:func:`~peermatch.violations.violations`; and, when the rules admit no
cohorts at all, the run's diagnosis naming the rules and the people.
"""

from __future__ import annotations

import time
from typing import Any

from peermatch.model import ProblemData
from peermatch.previous_run import PreviousRun
from peermatch.rules import Diagnosis, Rule
from peermatch.slots import slot_table
from peermatch.solution import Result, Statistics, Status
from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.repair import solve_repair
from peermatch.solvers.instance import build_instance
from peermatch.solvers.repair_finish import finish_repair, move_reasons
from peermatch.violations import violations

__all__ = ["repair"]


@interrupt.interruptible
def repair(
    problem: ProblemData,
    previous: PreviousRun,
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    deterministic: bool = True,
    merge_below: int | None = None,
) -> tuple[Result, dict[str, str]]:
    """Change ``previous`` as little as the rules allow for ``problem``.

    With ``merge_below`` N, every earlier cohort left with fewer than N
    members is dissolved and its people placed elsewhere, moving as few
    others as possible (``repair --merge-below``).

    Returns
    -------
    Result, dict
        The result (``stats`` holds ``repair_moved``, ``repair_cohorts_changed``
        and whether each level was proven optimal), and why each moved person moved.
    """
    from peermatch.presolve import presolve_checks
    from peermatch.solvers.cpsat.solving import diagnose

    start = time.monotonic()
    settings = problem.config.solver
    time_limit = settings.time_limit_seconds if time_limit is None else time_limit
    seed = settings.seed if seed is None else seed
    workers = workers or settings.workers or 1

    def result(status: Status, **kw: Any) -> Result:
        return Result(
            status=status, runtime=time.monotonic() - start, seed=seed, workers=workers, **kw
        )

    table = slot_table(problem)
    found = presolve_checks(problem, table)
    if found:
        return result(Status.INFEASIBLE, diagnosis=tuple(found)), {}
    inst = build_instance(problem, table)
    stranded = tuple(inst.ids[i] for i in range(inst.n) if not inst.options_of[i])
    if stranded:
        why = (
            f"{len(stranded)} participant(s) share no weekly slot (with a free facilitator, "
            f"when there are facilitators) with enough others: {', '.join(stranded[:20])}"
        )
        rule = Rule.FACILITATOR if problem.facilitators else Rule.AVAILABILITY
        return result(Status.INFEASIBLE, diagnosis=(Diagnosis(rule, why, stranded),)), {}
    merged = _shrunk(problem, previous, merge_below)
    kw = {
        "time_limit": time_limit,
        "seed": seed,
        "workers": workers,
        "deterministic": deterministic,
        "merged": merged,
    }
    out = solve_repair(inst, previous, **kw)  # type: ignore[arg-type]
    if out.status == "infeasible" and inst.n // inst.min_size > int(out.stats.new_cohorts_allowed):
        # Fewer new cohorts than a run could open were allowed: allow them all before giving up.
        out = solve_repair(inst, previous, extra_cohorts=inst.n // inst.min_size, **kw)  # type: ignore[arg-type]
    if out.status == "infeasible":
        budget = max(1.0, min(30.0, time_limit))
        return result(Status.INFEASIBLE, diagnosis=tuple(diagnose(inst, budget, seed))), {}
    if out.status == "unknown":
        return result(Status.UNKNOWN, stats=Statistics(previous_run=out.stats)), {}
    solution = finish_repair(inst, previous, out.cohorts, out.facilitators, out.keep_slot)
    broken = list(violations(problem, solution))
    if broken:
        stats = Statistics(
            previous_run=out.stats, rejected_by_violations=tuple(str(v) for v in broken[:10])
        )
        return result(Status.REJECTED, stats=stats, violations=tuple(broken)), {}
    members = [[problem.index[m] for m in c.members] for c in solution.cohorts]
    objective = float(inst.cost(members))
    status = Status.OPTIMAL if out.status == "optimal" else Status.FEASIBLE
    return (
        result(
            status, solution=solution, objective=objective, stats=Statistics(previous_run=out.stats)
        ),
        {
            **move_reasons(inst, previous, solution),
            **_merge_reasons(problem, previous, merged, merge_below),
        },
    )


def _shrunk(problem: ProblemData, previous: PreviousRun, merge_below: int | None) -> list[int]:
    """Earlier cohorts left with fewer than ``merge_below`` members (none without it)."""
    if merge_below is None:
        return []
    return [
        k
        for k, c in enumerate(previous.cohorts)
        if sum(1 for m in c.members if m in problem.index) < merge_below
    ]


def _merge_reasons(
    problem: ProblemData, previous: PreviousRun, merged: list[int], merge_below: int | None
) -> dict[str, str]:
    """``cohort C04 merged: fewer than 6 members`` for everyone of a merged cohort."""
    out: dict[str, str] = {}
    for k in merged:
        cohort = previous.cohorts[k]
        for pid in cohort.members:
            if pid in problem.index:
                out[pid] = f"cohort {cohort.id} merged: fewer than {merge_below} members"
    return out
