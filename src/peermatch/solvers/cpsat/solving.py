"""The steps of :func:`peermatch.solvers.solve`, from a :class:`ProblemData` to a :class:`Result`.

Each step is a function below: pre-solve checks (cheap proofs of
infeasibility in the organiser's terms); the flat instance (slots on real
dates, links); a greedy warm start; then either, for large programs, a
large-neighbourhood search that re-optimises a few cohorts at a time, or the
whole-program CP-SAT model with the warm start as a hint; and the result,
rechecked by the independent checker. When CP-SAT proves infeasibility, a
diagnosis model whose assumption literals name the rules and people in
conflict explains why (:mod:`.diagnosis`).

Determinism: by default the time limit is CP-SAT's *deterministic* time
(close to seconds on a current machine), so the same input, seed and
worker count give the same cohorts on any machine; a generous wall-clock
cap still applies. ``deterministic=False`` (the command line's default)
makes it wall-clock seconds for the whole run instead, measured by a
:class:`peermatch.deadline.Deadline` that every phase shares: the greedy
start stops at it, the bound gets a tenth of what is left (or is skipped,
with a note in ``Statistics.budget_notes``) and the search ends leaving
:meth:`~peermatch.deadline.Deadline.reserve` seconds for writing.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any

from ortools.sat.python import cp_model

from peermatch.deadline import Deadline
from peermatch.model import ProblemData
from peermatch.params import SolveParams
from peermatch.presolve import presolve_checks
from peermatch.rules import Diagnosis, Rule
from peermatch.slots import SlotTable, slot_table
from peermatch.solution import Result, SearchStatistics, Statistics, Status
from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.diagnosis import diagnose
from peermatch.solvers.cpsat.model import FormationModel
from peermatch.solvers.cpsat.parameters import check_cpsat_parameters, cp_solver
from peermatch.solvers.finish import (
    assign_facilitators,
    facilitator_pressure,
    finish_solution,
    unassigned_reason,
)
from peermatch.solvers.greedy import GreedyCohorts, greedy_cohorts
from peermatch.solvers.grouping import Grouping, respect_groups
from peermatch.solvers.instance import FormationInstance, build_instance
from peermatch.solvers.leaderless import lead_leaderless
from peermatch.solvers.progress import Progress, ProgressFn
from peermatch.solvers.search.lns import Search, improve
from peermatch.solvers.search.run import SEARCH_MIN, Run, Start, budgeted_bound, search_budget
from peermatch.violations import checked_violations

__all__ = ["Progress", "diagnose"]


def _workers(requested: int | None) -> int:
    if requested:
        return requested
    return max(1, min(os.cpu_count() or 1, 8))


@interrupt.interruptible
def _solve(
    problem: ProblemData,
    params: SolveParams,
    progress: ProgressFn | None,
    scheduler: Any,
    deadline: Deadline | None,
) -> Result:
    """The body of :func:`peermatch.solvers.solve` (which documents it), OR-Tools loaded."""
    started = time.monotonic()
    check_cpsat_parameters(params.cpsat)
    clock: Deadline | None = None
    if not params.deterministic:
        clock = deadline if deadline is not None else Deadline(start=started)
        if clock.limit is None:
            clock.limit = params.time_limit
        started = clock.start
    run = Run(problem, params, _workers(params.workers), started, progress, scheduler, clock)
    run.phase("slot table")
    table = slot_table(problem)
    run.phase("checking")
    found = _pre_checks(run, table)
    if found is not None:
        return found
    inst = build_instance(problem, table)
    found = _instance_checks(run, inst)
    if found is not None:
        return found
    start = _warm_start(run, inst)
    run.phase("bound")
    bound = budgeted_bound(run, inst, start.grouping)
    run.phase("search")
    if inst.n > params.lns_threshold:
        return _large_program(run, inst, start, bound)
    return _whole_model(run, inst, start, bound)


def _pre_checks(run: Run, table: SlotTable) -> Result | None:
    """Proofs of infeasibility before any model is built (skipped when people may stay out)."""
    if run.params.allow_unassigned:
        return None
    diagnoses = presolve_checks(run.problem, table)
    return run.result(Status.INFEASIBLE, diagnosis=tuple(diagnoses)) if diagnoses else None


def _instance_checks(run: Run, inst: FormationInstance) -> Result | None:
    """People nobody can meet, and programs too small for one cohort."""
    allow = run.params.allow_unassigned
    stranded = [i for i in range(inst.n) if not inst.options_of[i]]
    if stranded and not allow:
        names = ", ".join(inst.ids[i] for i in stranded[:20]) + (
            " ..." if len(stranded) > 20 else ""
        )
        rule, why = (
            (
                Rule.FACILITATOR,
                "no facilitator is free at any weekly slot they share with enough others",
            )
            if run.problem.facilitators
            else (
                Rule.AVAILABILITY,
                "their availability overlaps no full session with enough others",
            )
        )
        message = f"{len(stranded)} participant(s) cannot be placed: {why}: {names}"
        people = tuple(inst.ids[i] for i in stranded)
        return run.result(Status.INFEASIBLE, diagnosis=(Diagnosis(rule, message, people),))
    if inst.n == 0 or not inst.cohort_counts() or max(inst.cohort_counts()) <= 0:
        if allow:
            sol = finish_solution(inst, [], list(range(inst.n)))
            return run.result(Status.FEASIBLE, solution=sol, objective=float(inst.cost([], inst.n)))
        message = f"{inst.n} participants cannot form a cohort of {inst.min_size}"
        return run.result(Status.INFEASIBLE, diagnosis=(Diagnosis(Rule.SIZE, message),))
    return None


def _warm_start(run: Run, inst: FormationInstance) -> Start:
    """The greedy start, with facilitators assigned; reported as the first progress event.

    Above ``greedy.parts_threshold`` people it is the parts' solutions
    (:mod:`peermatch.solvers.search.decompose`); the time charged for them is ``Start.parts_time``.
    """
    from peermatch.solvers.search import decompose

    run.phase("warm start")
    margin = run.reserve(inst.n) + SEARCH_MIN
    parts_time = 0.0
    if inst.n > run.params.greedy.parts_threshold:
        parts = decompose.decomposed_start(
            inst, run.params, workers=run.workers, scheduler=run.scheduler,
            deadline=run.clock, reserve=run.reserve(inst.n),
        )  # fmt: skip
        greedy, parts_time = parts.start, parts.spent
        if parts.skipped:
            run.notes.append(
                f"{parts.skipped} of the program's parts had no time for their own search "
                f"(a greedy start only; {len(greedy.unplaced)} people not yet placed); "
                "the search repairs what it can"
            )
    else:
        greedy = greedy_cohorts(
            inst,
            run.params.seed,
            deadline=run.clock,
            margin=_attempts_margin(run, inst, margin),
            params=run.params.greedy,
        )
    if run.clock is not None and run.clock.expired(margin):
        run.notes.append(
            f"the greedy start stopped at the time limit with {len(greedy.unplaced)} people "
            "not yet placed; the search repairs what it can in the time left"
        )
    if inst.groups:
        # The constructor knows nothing of locks and together pairs: split groups are
        # gathered or left out, so that the search starts from what it can only improve.
        kept, left = respect_groups(inst, greedy.cohorts, greedy.unplaced)
        greedy = GreedyCohorts(tuple(map(tuple, kept)), tuple(left))
    facs = assign_facilitators(inst, greedy.cohorts) if run.problem.facilitators else None
    if facs is not None and inst.n > run.params.greedy.parts_threshold and None in facs:
        greedy, facs = _lead_all(run, inst, greedy, facs)
    grouping = Grouping.of(greedy.cohorts, facs, greedy.unplaced)
    start = Start(grouping, grouping.complete, run.elapsed(), parts_time)
    if run.progress:
        cost = float(inst.cost(greedy.cohorts, len(greedy.unplaced)))
        run.progress(Progress(run.elapsed(), cost, None, "greedy start", phase="warm start"))
    return start


def _lead_all(
    run: Run, inst: FormationInstance, greedy: GreedyCohorts, facs: list[int | None]
) -> tuple[GreedyCohorts, list[int | None]]:
    """A program built in parts: its leaderless cohorts dissolved into led ones at once.

    Regression (issue 25): the parts' cohorts are formed without regard to where
    facilitators are free, and with every seat needed n = 100,000 kept 279 cohorts
    no facilitator could lead, repaired one per search step, and ended with no answer.
    """
    # It stops where the search's own minimum and the writing reserve begin.
    margin = run.reserve(inst.n) + SEARCH_MIN
    repaired = lead_leaderless(inst, greedy.cohorts, facs, clock=run.clock, margin=margin)
    if repaired.dissolved or repaired.handed_over:
        run.notes.append(
            f"{repaired.dissolved} cohort(s) of the parts no free facilitator could lead were "
            f"dissolved into led cohorts, {repaired.handed_over} were given the facilitator of "
            f"a led cohort dissolved in their place ({repaired.leaderless} left for the search)"
        )
    cohorts = tuple(tuple(c) for c in repaired.cohorts)
    return GreedyCohorts(cohorts, greedy.unplaced), repaired.facilitators


def _attempts_margin(run: Run, inst: FormationInstance, margin: float) -> float:
    """Wall clock: the greedy start tries further seeds only while ``greedy.attempts_share``
    (three quarters) of what was left at its start remains (the search places people left out better than another
    seed does: at n = 1,000 with every placement rule each seed took 10 s of a 60 s run and
    all three left 12 out). Programs built in parts keep ``margin``: there it decides
    which parts are built at all."""
    if run.clock is None or inst.n > run.params.greedy.part_size:
        return margin
    return margin + run.params.greedy.attempts_share * run.clock.remaining()


def _large_program(run: Run, inst: FormationInstance, start: Start, bound: float | None) -> Result:
    """Neighbourhood search from the warm start and its facilitators.

    With several workers or a Dask scheduler, disjoint neighbourhoods are solved at once.
    """
    search = run.search(search_budget(run, inst, start), bound, until_complete=False)
    # The warm start's facilitators are what the search would assign again to the same
    # cohorts (assign_facilitators is deterministic): keeping them saves that second
    # assignment, 30 s of a run at n = 100,000.
    begin = start.grouping
    if any(not c for c in begin.cohorts):
        begin = replace(begin, facilitators=None)
    if run.workers > 1 or run.scheduler is not None:
        grouping, lns = _parallel_search(inst, begin, search, run.scheduler)
    else:
        grouping, lns = improve(inst, begin, search)
    grouping, lns = _complete_in_margin(run, inst, grouping, lns)
    return _finish(run, inst, grouping, bound, False, Statistics(lns=lns), lns.first_complete_time)


def _complete_in_margin(
    run: Run, inst: FormationInstance, grouping: Grouping, lns: SearchStatistics
) -> tuple[Grouping, SearchStatistics]:
    """An incomplete grouping keeps being repaired in the writing reserve's safety margin.

    Regression (issue 25): n = 100,000 at ``--time-limit 300`` ended with "no solution"
    and about five people unplaced, 116 s before the limit: the search stopped where
    the reserve began, and the reserve is sized for a slow machine. A run that would
    otherwise write nothing may spend the margin (down to :meth:`Deadline.writing`,
    what the writing needs) on placing people; the search stops as soon as no one is left.
    """
    if run.clock is None or run.params.allow_unassigned or grouping.complete:
        return grouping, lns
    budget = run.clock.remaining() - run.clock.writing(inst.n)
    if budget < SEARCH_MIN:
        return grouping, lns
    run.notes.append(
        f"the search had {len(grouping.unplaced)} people not yet placed at the writing "
        f"reserve; it went on placing them for up to {budget:.0f}s of the reserve's margin"
    )
    more = run.search(budget, None, until_complete=True)
    repaired, again = improve(inst, grouping, more)
    return repaired, replace(
        lns,
        iterations=lns.iterations + again.iterations,
        improvements=lns.improvements + again.improvements,
        solver_time=lns.solver_time + again.solver_time,
        first_complete_time=lns.first_complete_time or again.first_complete_time,
    )


def _parallel_search(
    inst: FormationInstance, start: Grouping, search: Search, scheduler: Any
) -> tuple[Grouping, SearchStatistics]:
    """Neighbourhood search with ``workers`` disjoint neighbourhoods per round (local or Dask)."""
    from peermatch.executor import make_executor
    from peermatch.solvers.search.parallel_lns import improve_parallel

    with make_executor(search.workers, scheduler) as executor:
        # The batch is the requested number, not the cluster's size, so that a
        # deterministic run gives the same cohorts here and on any cluster.
        batch = search.workers if search.workers > 1 else executor.workers
        return improve_parallel(inst, start, search, executor=executor, batch=batch)


def _whole_model(run: Run, inst: FormationInstance, start: Start, bound: float | None) -> Result:
    """The whole-program model, hinted with the warm start (repaired first when incomplete)."""
    params, remaining = run.params, search_budget(run, inst, start)
    hint, complete, first = start.grouping, start.complete, start.time
    start_repair: SearchStatistics | None = None
    if not complete and hint.cohorts:
        # Repair the incomplete start on neighbourhoods first: the whole model with a
        # partial hint may spend its whole budget looking for a first solution.
        search = run.search(remaining / 3, bound, until_complete=True)
        repaired, start_repair = improve(inst, replace(hint, facilitators=None), search)
        remaining = max(0.5, remaining - start_repair.solver_time)
        if repaired.complete:
            hint, complete, first = repaired, True, float(start_repair.first_complete_time or 0.0)
    fm = FormationModel(inst, inst.max_cohorts, allow_unassigned=params.allow_unassigned)
    if hint.cohorts:
        fm.add_hint(hint.cohorts, hint.facilitators)
        fm.complete_hint(params.seed, time_limit=None if run.clock is None else remaining)
    if run.clock is not None:
        # Wall clock: building the model and completing the hint came out of the budget.
        remaining = max(0.1, run.clock.remaining() - run.reserve(inst.n))
    solver = cp_solver(
        remaining, params.seed, run.workers, params.deterministic, params.log, params.cpsat
    )
    tracker = _Tracker(fm, run)
    code = interrupt.run(solver, fm.model, tracker)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = max(solver.best_objective_bound, bound or 0.0)
    stats = Statistics(
        cp_sat_status=solver.status_name(code),
        cp_sat_wall_time=solver.wall_time,
        cp_sat_deterministic_time=solver.deterministic_time,
        start_repair=start_repair,
    )
    if tracker.best is not None:
        first_time = first if complete else tracker.first_time
        return _finish(run, inst, tracker.best, bound, code == cp_model.OPTIMAL, stats, first_time)
    if code == cp_model.INFEASIBLE:
        budget = max(1.0, min(30.0, params.time_limit, remaining))
        diagnosis = tuple(diagnose(inst, budget, params.seed))
        return run.result(Status.INFEASIBLE, diagnosis=diagnosis, stats=stats)
    if complete:
        return _finish(run, inst, replace(hint, unplaced=[]), bound, False, stats, first)
    if params.allow_unassigned and code != cp_model.MODEL_INVALID:
        # People may stay out: the (repaired) start is a solution, with its left-out people.
        # Regression: under load a 0.01 s run found nothing in the model and said "no
        # solution", although the greedy start had placed 54 of 60.
        return _finish(run, inst, hint, bound, False, stats, first)
    if code == cp_model.MODEL_INVALID:
        invalid = (Diagnosis(None, fm.model.validate()),)
        return run.result(Status.INVALID, diagnosis=invalid, stats=stats)
    return run.result(Status.UNKNOWN, stats=_not_placed(inst, hint, stats, run.clock))


def _not_placed(
    inst: FormationInstance, grouping: Grouping, stats: Statistics, clock: Deadline | None
) -> Statistics:
    """``stats`` with who the best grouping found leaves out, and why (at most 20 named).

    Under a wall clock nobody more is named once the limit is reached (the message
    counts the rest): the time limit covers the whole run, the message included.
    """
    if not grouping.unplaced:
        return stats
    why: list[str] = []
    for i in grouping.unplaced[:20]:
        if clock is not None and clock.expired():
            break
        why.append(f"{inst.ids[i]}: {unassigned_reason(inst, i, grouping.cohorts)}")
    return replace(stats, unplaced=len(grouping.unplaced), not_placed=tuple(why))


class _Tracker(cp_model.CpSolverSolutionCallback):
    """Keeps the best solution's grouping and reports progress."""

    def __init__(self, fm: FormationModel, run: Run):
        super().__init__()
        self.fm, self.run = fm, run
        self.best: Grouping | None = None
        self.first_time: float | None = None

    def on_solution_callback(self) -> None:
        self.best = self.fm.extract(lambda var: self.boolean_value(var))
        elapsed = self.run.elapsed()
        if self.first_time is None:
            self.first_time = elapsed
        if self.run.progress:
            self.run.progress(Progress(elapsed, self.objective_value, self.best_objective_bound))


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return max(0.0, (objective - bound) / max(abs(objective), 1.0))


def _finish(
    run: Run,
    inst: FormationInstance,
    grouping: Grouping,
    bound: float | None,
    optimal: bool,
    stats: Statistics,
    first: float | None,
) -> Result:
    """The result of a grouping: dissolved leaderless cohorts, the checker's verdict, the gap."""
    grouping, reasons = _dissolve_leaderless(inst, grouping, run.params.allow_unassigned)
    if grouping.leaderless:
        # Who is also left out, named (they were dropped from the message before).
        stats = replace(stats, cohorts_without_facilitator=grouping.leaderless)
        return run.result(Status.UNKNOWN, stats=_not_placed(inst, grouping, stats, run.clock))
    if grouping.unplaced and not run.params.allow_unassigned:
        return run.result(Status.UNKNOWN, stats=_not_placed(inst, grouping, stats, run.clock))
    cohorts, facs = grouping.cohorts, grouping.facilitators
    solution = finish_solution(inst, cohorts, grouping.unplaced, facs, reasons)
    stats = replace(stats, facilitators=facilitator_pressure(inst, cohorts))
    # The last word belongs to the independent checker: a solution it rejects
    # (say, slots that cannot be staggered for a facilitator) is no solution.
    broken = checked_violations(inst.problem, solution)
    if broken:
        rejected = tuple(str(v) for v in broken[:10])
        stats = replace(stats, rejected_by_violations=rejected)
        return run.result(Status.REJECTED, stats=stats, violations=broken)
    objective = float(inst.cost(cohorts, len(grouping.unplaced)))
    if bound is not None:
        bound = min(bound, objective)
    proven = optimal or (bound is not None and bound >= objective)
    return run.result(
        Status.OPTIMAL if proven else Status.FEASIBLE,
        solution=solution,
        objective=objective,
        best_bound=bound,
        gap=_gap(objective, bound),
        first_solution_time=first,
        stats=stats,
    )


def _dissolve_leaderless(
    inst: FormationInstance, grouping: Grouping, allow_unassigned: bool
) -> tuple[Grouping, dict[int, str]]:
    """With ``allow_unassigned``, a cohort nobody can lead is dissolved: its members are left out.

    Returns the grouping (unchanged when nothing is dissolved) and the reason per person left out.
    """
    if not inst.problem.facilitators:
        # The model's "no facilitator" is then no one missing.
        return replace(grouping, facilitators=None), {}
    facs = grouping.facilitators
    if facs is None or None not in facs or not allow_unassigned:
        return grouping, {}
    why = "no facilitator is free and neutral for any cohort they fit"
    unplaced = list(grouping.unplaced)
    reasons: dict[int, str] = {}
    for members, f in zip(grouping.cohorts, facs, strict=True):
        if f is None:
            unplaced += members
            reasons.update({i: why for i in members})
    keep = [k for k, f in enumerate(facs) if f is not None]
    kept = Grouping([grouping.cohorts[k] for k in keep], [facs[k] for k in keep], unplaced)
    return kept, reasons
