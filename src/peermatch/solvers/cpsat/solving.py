"""``solve()``: from a :class:`ProblemData` to a :class:`Result`.

The steps: pre-solve checks (cheap proofs of infeasibility in the
organiser's terms); the flat instance (slots on real dates, links); a greedy
warm start; the CP-SAT model with that hint; for large programs, a
large-neighbourhood search that re-optimises a few cohorts at a time; and,
when CP-SAT proves infeasibility, a diagnosis model whose assumption
literals name the rules and people in conflict.

Determinism: by default the time limit is CP-SAT's *deterministic* time
(close to seconds on a current machine), so the same input, seed and
worker count give the same cohorts on any machine; a generous wall-clock
cap still applies. ``deterministic=False`` (the command line's default)
makes it wall-clock seconds for the whole run instead, measured by a
:class:`peermatch.deadline.Deadline` that every phase shares.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ortools.sat.python import cp_model

from peermatch.compat import slot_table
from peermatch.deadline import Deadline
from peermatch.model import ProblemData
from peermatch.rules import Diagnosis, Rule
from peermatch.solution import Result, SearchStatistics, Solution, Statistics, Status
from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.model import FormationModel
from peermatch.solvers.finish import assign_facilitators, facilitator_pressure, finish_solution
from peermatch.solvers.greedy import GreedyCohorts, greedy_cohorts
from peermatch.solvers.grouping import respect_groups
from peermatch.solvers.instance import FormationInstance, build_instance
from peermatch.violations import violations

__all__ = ["Progress", "solve"]

#: Above this many participants the whole-model solve is followed by neighbourhood search.
LNS_THRESHOLD = 100
#: Wall-clock mode: the greedy start stops when fewer seconds than this (plus the
#: writing reserve) are left, so the search gets a moment to repair what it left.
SEARCH_MIN = 1.0
#: Wall-clock mode: the aggregate bound is skipped when fewer seconds are left.
BOUND_MIN = 2.0


@dataclass(frozen=True)
class Progress:
    """A progress event: seconds since the start, best cost so far, best bound, and the phase.

    ``phase`` is one of ``slot table``, ``checking``, ``warm start``, ``bound``
    and ``search`` (the command line adds ``reading`` and ``writing``); a
    phase's first event has no cost yet. ``limit`` is the wall-clock limit
    of the whole run, ``None`` in deterministic mode.
    """

    elapsed: float
    objective: float | None
    bound: float | None
    message: str = ""
    phase: str = "search"
    limit: float | None = None


ProgressFn = Callable[[Progress], None]


def _workers(requested: int | None) -> int:
    if requested:
        return requested
    return max(1, min(os.cpu_count() or 1, 8))


def _params(
    time_limit: float, seed: int, workers: int, deterministic: bool, log: bool = False
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.random_seed = seed
    p.num_workers = workers
    p.log_search_progress = log
    # Ctrl-C stops the search and keeps the best solution, but through interrupt.run:
    # CP-SAT's own handler would forget it after one solve (see interrupt.py).
    p.catch_sigint_signal = False
    if deterministic:
        p.max_deterministic_time = time_limit
        p.max_time_in_seconds = 3 * time_limit + 10
        if workers > 1:
            p.interleave_search = True
    else:
        p.max_time_in_seconds = time_limit
    return solver


class _Tracker(cp_model.CpSolverSolutionCallback):
    """Keeps the best solution's values and reports progress."""

    def __init__(self, fm: FormationModel, start: float, progress: ProgressFn | None):
        super().__init__()
        self.fm, self.start, self.progress = fm, start, progress
        self.best: tuple[list[list[int]], list[int | None] | None, list[int]] | None = None
        self.first_time: float | None = None

    def on_solution_callback(self) -> None:
        self.best = self.fm.extract(lambda var: self.boolean_value(var))
        elapsed = time.monotonic() - self.start
        if self.first_time is None:
            self.first_time = elapsed
        if self.progress:
            self.progress(Progress(elapsed, self.objective_value, self.best_objective_bound))


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return max(0.0, (objective - bound) / max(abs(objective), 1.0))


@interrupt.interruptible
def solve(
    problem: ProblemData,
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    allow_unassigned: bool = False,
    deterministic: bool = True,
    progress: ProgressFn | None = None,
    log: bool = False,
    scheduler: Any = None,
    deadline: Deadline | None = None,
) -> Result:
    """Form cohorts for ``problem``.

    Parameters
    ----------
    problem
        The validated problem.
    time_limit
        Seconds (deterministic by default, see the module docstring); default
        ``problem.config.solver.time_limit_seconds``.
    seed
        Random seed; default ``problem.config.solver.seed``.
    workers
        CP-SAT workers; default the config's, else (unset or 0) one per core,
        at most 8. A deterministic run reproduces for a given worker count, so
        pass it (or set ``[solver] workers``) where results must be compared.
    allow_unassigned
        Place as many as possible instead of failing; the rest are listed
        with a reason in ``solution.unassigned``.
    deterministic
        Measure the limit in CP-SAT's deterministic time, set-up not deducted,
        so runs reproduce. Otherwise the limit is wall-clock seconds for the
        whole run (see :mod:`peermatch.deadline`).
    progress
        Called with a :class:`Progress` on every improvement.
    log
        Print CP-SAT's search log.
    scheduler
        A Dask scheduler address or ``distributed.Client``: the neighbourhood
        search (n > ``LNS_THRESHOLD``) sends its neighbourhoods there. With
        ``workers`` > 1 (or a scheduler) the neighbourhood search solves that
        many disjoint neighbourhoods at once, one CP-SAT worker each
        (:mod:`peermatch.solvers.cpsat.parallel_lns`); the whole-program model
        uses ``workers`` CP-SAT workers.
    deadline
        Wall-clock mode only: the run's deadline, created by the caller when
        the run began (the command line creates it before reading the files);
        its limit defaults to ``time_limit``. Default: one starting now.

    Returns
    -------
    Result
        ``status`` is optimal or feasible with a solution; infeasible with a
        ``diagnosis``; or unknown when nothing was found in time.
    """
    from peermatch.presolve import presolve_checks

    settings = problem.config.solver
    time_limit = settings.time_limit_seconds if time_limit is None else time_limit
    seed = settings.seed if seed is None else seed
    workers = _workers(workers if workers is not None else settings.workers)
    clock: Deadline | None = None
    if not deterministic:
        clock = deadline if deadline is not None else Deadline()
        if clock.limit is None:
            clock.limit = time_limit
    start = clock.start if clock is not None else time.monotonic()
    notes: list[str] = []

    def phase(name: str) -> None:
        if progress:
            limit = clock.limit if clock is not None else None
            progress(Progress(time.monotonic() - start, None, None, phase=name, limit=limit))

    def result(status: Status, **kw: Any) -> Result:
        if notes:
            kw["stats"] = replace(kw.get("stats") or Statistics(), budget_notes=tuple(notes))
        return Result(
            status=status, runtime=time.monotonic() - start, seed=seed, workers=workers, **kw
        )

    phase("slot table")
    table = slot_table(problem)
    phase("checking")
    if not allow_unassigned:
        diagnoses = presolve_checks(problem, table)
        if diagnoses:
            return result(Status.INFEASIBLE, diagnosis=tuple(diagnoses))
    inst = build_instance(problem, table)
    stranded = [i for i in range(inst.n) if not inst.options_of[i]]
    if stranded and not allow_unassigned:
        names = ", ".join(inst.ids[i] for i in stranded[:20]) + (
            " ..." if len(stranded) > 20 else ""
        )
        rule, why = (
            (
                Rule.FACILITATOR,
                "no facilitator is free at any weekly slot they share with enough others",
            )
            if problem.facilitators
            else (
                Rule.AVAILABILITY,
                "their availability overlaps no full session with enough others",
            )
        )
        message = f"{len(stranded)} participant(s) cannot be placed: {why}: {names}"
        people = tuple(inst.ids[i] for i in stranded)
        return result(Status.INFEASIBLE, diagnosis=(Diagnosis(rule, message, people),))
    if inst.n == 0 or not inst.cohort_counts() or max(inst.cohort_counts()) <= 0:
        if allow_unassigned:
            sol = finish_solution(inst, [], list(range(inst.n)))
            return result(Status.FEASIBLE, solution=sol, objective=float(inst.cost([], inst.n)))
        return result(
            Status.INFEASIBLE,
            diagnosis=(
                Diagnosis(
                    Rule.SIZE, f"{inst.n} participants cannot form a cohort of {inst.min_size}"
                ),
            ),
        )

    reserve = clock.reserve(inst.n) if clock is not None else 0.0
    phase("warm start")
    from peermatch.solvers.cpsat import decompose

    parts_time = 0.0
    if inst.n > decompose.DECOMPOSE.threshold:
        greedy, parts_time = decompose.decomposed_start(
            inst, seed=seed, time_limit=time_limit, deterministic=deterministic,
            allow_unassigned=allow_unassigned, workers=workers, scheduler=scheduler,
        )  # fmt: skip
    else:
        greedy = greedy_cohorts(inst, seed, deadline=clock, margin=reserve + SEARCH_MIN)
    if clock is not None and clock.expired(reserve + SEARCH_MIN):
        notes.append(
            f"the greedy start stopped at the time limit with {len(greedy.unplaced)} people "
            "not yet placed; the search repairs what it can in the time left"
        )
    if inst.groups:
        # The constructor knows nothing of locks and together pairs: split groups are
        # gathered or left out, so that the search starts from what it can only improve.
        kept, left = respect_groups(inst, greedy.cohorts, greedy.unplaced)
        greedy = GreedyCohorts(tuple(map(tuple, kept)), tuple(left))
    fac_hint = assign_facilitators(inst, greedy.cohorts) if problem.facilitators else None
    greedy_ok = not greedy.unplaced and (fac_hint is None or None not in fac_hint)
    greedy_time = time.monotonic() - start
    greedy_time = time.monotonic() - start
    if progress:
        progress(
            Progress(
                time.monotonic() - start,
                float(inst.cost(greedy.cohorts, len(greedy.unplaced))),
                None,
                "greedy start",
                phase="warm start",
            )
        )

    phase("bound")
    bound = _budgeted_bound(inst, seed, clock, reserve, notes)
    phase("search")
    # Deterministic time must not depend on how long the set-up took on this machine
    # (or how busy it was), or the same input and seed would not give the same cohorts:
    # the search then gets the whole limit; wall-clock mode deducts the set-up and
    # keeps back the time for finishing, checking and writing.
    remaining = time_limit if clock is None else max(0.1, clock.remaining() - reserve)
    if deterministic:  # a decomposed start spent part of the budget on the parts
        remaining = max(0.5, remaining - parts_time)

    def finish(
        cohorts: Sequence[Sequence[int]],
        facs: Sequence[int | None] | None,
        unplaced: Sequence[int],
        optimal: bool,
        stats: Statistics,
        first: float | None,
    ) -> Result:
        return _finish(
            inst,
            result,
            cohorts,
            facs,
            unplaced,
            bound,
            optimal,
            stats=stats,
            first=first,
            allow_unassigned=allow_unassigned,
        )

    def neighbourhood_search(
        budget: float, until_complete: bool
    ) -> tuple[list[list[int]], list[int | None] | None, list[int], SearchStatistics]:
        from peermatch.solvers.cpsat.lns import improve

        # In wall-clock mode the search measures its limit from the run's start.
        limit = budget if clock is None else clock.elapsed() + budget
        if not until_complete and (workers > 1 or scheduler is not None):
            return _parallel_search(
                inst, greedy.cohorts, greedy.unplaced, limit, seed, workers, scheduler,
                deterministic=deterministic, allow_unassigned=allow_unassigned,
                progress=progress, start=start, bound=bound,
            )  # fmt: skip
        return improve(
            inst,
            greedy.cohorts,
            greedy.unplaced,
            time_limit=limit,
            seed=seed,
            workers=workers,
            deterministic=deterministic,
            allow_unassigned=allow_unassigned,
            progress=progress,
            start=start,
            bound=bound,
            until_complete=until_complete,
        )

    if inst.n > LNS_THRESHOLD:
        cohorts, facs, unplaced, lns = neighbourhood_search(remaining, until_complete=False)
        return finish(cohorts, facs, unplaced, False, Statistics(lns=lns), lns.first_complete_time)

    start_cohorts, start_facs = [list(c) for c in greedy.cohorts], fac_hint
    repair: SearchStatistics | None = None
    if not greedy_ok and greedy.cohorts:
        # Repair the incomplete start on neighbourhoods first: the whole model with a
        # partial hint may spend its whole budget looking for a first solution.
        cohorts, facs, unplaced, repair = neighbourhood_search(remaining / 3, until_complete=True)
        remaining = max(0.5, remaining - repair.solver_time)
        if not unplaced and (facs is None or None not in facs):
            start_cohorts, start_facs = cohorts, facs
            greedy_ok, greedy_time = True, float(repair.first_complete_time or 0.0)
    fm = FormationModel(inst, inst.max_cohorts, allow_unassigned=allow_unassigned)
    if start_cohorts:
        fm.add_hint(start_cohorts, start_facs)
        fm.complete_hint(seed)
    solver = _params(remaining, seed, workers, deterministic, log)
    tracker = _Tracker(fm, start, progress)
    code = interrupt.run(solver, fm.model, tracker)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = max(solver.best_objective_bound, bound or 0.0)
    stats = Statistics(
        cp_sat_status=solver.status_name(code),
        cp_sat_wall_time=solver.wall_time,
        cp_sat_deterministic_time=solver.deterministic_time,
        repair=repair,
    )
    if tracker.best is not None:
        cohorts, facs, unplaced = tracker.best
        return finish(
            cohorts,
            facs,
            unplaced,
            code == cp_model.OPTIMAL,
            stats,
            greedy_time if greedy_ok else tracker.first_time,
        )
    if code == cp_model.INFEASIBLE:
        budget = max(1.0, min(30.0, time_limit, remaining))
        return result(Status.INFEASIBLE, diagnosis=tuple(diagnose(inst, budget, seed)), stats=stats)
    if greedy_ok:
        return finish(start_cohorts, start_facs, [], False, stats, greedy_time)
    if code == cp_model.MODEL_INVALID:
        return result(
            Status.INVALID, diagnosis=(Diagnosis(None, fm.model.validate()),), stats=stats
        )
    return result(Status.UNKNOWN, stats=stats)


def _parallel_search(
    inst: FormationInstance,
    cohorts: Sequence[Sequence[int]],
    unplaced: Sequence[int],
    budget: float,
    seed: int,
    workers: int,
    scheduler: Any,
    **kw: Any,
) -> tuple[list[list[int]], list[int | None] | None, list[int], SearchStatistics]:
    """Neighbourhood search with ``workers`` disjoint neighbourhoods per round (local or Dask)."""
    from peermatch.executor import make_executor
    from peermatch.solvers.cpsat.parallel_lns import improve_parallel

    with make_executor(workers, scheduler) as executor:
        # The batch is the requested number, not the cluster's size, so that a
        # deterministic run gives the same cohorts here and on any cluster.
        batch = workers if workers > 1 else executor.workers
        return improve_parallel(
            inst, cohorts, unplaced, executor=executor, batch=batch, time_limit=budget,
            seed=seed, **kw,
        )  # fmt: skip


def _bound(inst: FormationInstance, seed: int, time_limit: float = 5.0) -> float | None:
    """The best cheap lower bound: balanced spread, and the level-aware aggregate relaxation.

    Both bound every *complete* solution; a solution that leaves someone out
    costs more than either, so they bound the unassigned variant too.
    """
    from peermatch.solvers.cpsat.bound import aggregate_bound

    found = aggregate_bound(inst, time_limit=time_limit, seed=seed)
    bounds = [b for b in (inst.lower_bound(), found) if b is not None]
    return float(max(bounds)) if bounds else None


def _budgeted_bound(
    inst: FormationInstance, seed: int, clock: Deadline | None, reserve: float, notes: list[str]
) -> float | None:
    """:func:`_bound` within the wall-clock budget: a tenth of what is left, or skipped."""
    if clock is None:
        return _bound(inst, seed)
    left = clock.remaining() - reserve
    if left < BOUND_MIN:
        notes.append(
            f"the aggregate bound was skipped ({left:.1f}s left before the time limit); "
            "the balanced-spread bound is reported"
        )
        simple = inst.lower_bound()
        return None if simple is None else float(simple)
    return _bound(inst, seed, time_limit=min(5.0, left / 10))


def _finish(
    inst: FormationInstance,
    result: Callable[..., Result],
    cohorts: Sequence[Sequence[int]],
    facs: Sequence[int | None] | None,
    unplaced: Sequence[int],
    bound: float | None,
    optimal: bool,
    *,
    stats: Statistics,
    first: float | None,
    allow_unassigned: bool,
) -> Result:
    cohorts = [list(c) for c in cohorts]
    unplaced = list(unplaced)
    reasons: dict[int, str] = {}
    if not inst.problem.facilitators:
        facs = None  # the model's "no facilitator" is then no one missing
    if facs is not None and any(f is None for f in facs):
        if not allow_unassigned:
            leaderless = sum(f is None for f in facs)
            return result(
                Status.UNKNOWN, stats=replace(stats, cohorts_without_facilitator=leaderless)
            )
        # A cohort nobody can lead is dissolved: its members are left out, with the reason.
        for members, f in zip(cohorts, facs, strict=True):
            if f is None:
                unplaced += members
                reasons.update(
                    {
                        i: "no facilitator is free and neutral for any cohort they fit"
                        for i in members
                    }
                )
        keep = [k for k, f in enumerate(facs) if f is not None]
        cohorts, facs = [cohorts[k] for k in keep], [facs[k] for k in keep]
    if unplaced and not allow_unassigned:
        return result(Status.UNKNOWN, stats=replace(stats, unplaced=len(unplaced)))
    solution: Solution = finish_solution(inst, cohorts, unplaced, facs, reasons)
    stats = replace(stats, facilitators=facilitator_pressure(inst, cohorts))
    # The last word belongs to the independent checker: a solution it rejects
    # (say, slots that cannot be staggered for a facilitator) is no solution.
    broken = tuple(violations(inst.problem, solution))
    if broken:
        rejected = tuple(str(v) for v in broken[:10])
        return result(
            Status.REJECTED,
            stats=replace(stats, rejected_by_violations=rejected),
            violations=broken,
        )
    objective = float(inst.cost(cohorts, len(unplaced)))
    if bound is not None:
        bound = min(bound, objective)
    status = (
        Status.OPTIMAL if optimal or (bound is not None and bound >= objective) else Status.FEASIBLE
    )
    return result(
        status,
        solution=solution,
        objective=objective,
        best_bound=bound,
        gap=_gap(objective, bound),
        first_solution_time=first,
        stats=stats,
    )


def diagnose(inst: FormationInstance, time_limit: float, seed: int = 0) -> list[Diagnosis]:
    """Name the rules (and people or organisations) that together admit no cohorts.

    Every rule instance gets an assumption literal; CP-SAT's sufficient set of
    assumptions for infeasibility is then translated into the organiser's terms:
    one :class:`~peermatch.rules.Diagnosis` per rule, reported ``jointly``.
    """
    fm = FormationModel(inst, inst.max_cohorts, diagnose=True)
    solver = _params(time_limit, seed, 1, True)
    code = interrupt.run(solver, fm.model)
    if code != cp_model.INFEASIBLE:
        return [
            Diagnosis(
                None,
                "no cohorts were found, but the rules could not be proven to conflict "
                "within the time limit",
            )
        ]
    core = solver.sufficient_assumptions_for_infeasibility()
    by_index = {var.index: key for key, var in fm.literals.items()}
    keys: dict[Rule, list[object]] = {}
    for idx in core:
        rule, key = by_index[idx]
        keys.setdefault(rule, []).append(key)
    return [_diagnosis(inst, rule, found) for rule, found in sorted(keys.items())]


def _diagnosis(inst: FormationInstance, rule: Rule, keys: list[object]) -> Diagnosis:
    """One rule of an infeasible core, with the people or organisations its literals name."""
    names = sorted({_name(inst, rule, key) for key in keys})
    shown = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
    people: list[str] = []
    organisations: list[str] = []
    for key in keys:
        if rule == Rule.ORGANISATION and isinstance(key, int):
            organisations.append(inst.org_names[key])
        elif rule == Rule.NEUTRALITY and isinstance(key, tuple):
            people += [inst.ids[key[0]], inst.ids[key[1]]]
        elif rule in (Rule.LEVEL, Rule.AVAILABILITY) and isinstance(key, int):
            people.append(inst.ids[key])
        elif rule == Rule.FACILITATOR and isinstance(key, int):
            people.append(inst.problem.facilitators[key].id)
    return Diagnosis(
        rule,
        rule.phrase.format(shown),
        tuple(sorted(set(people))),
        tuple(sorted(set(organisations))),
        jointly=True,
    )


def _name(inst: FormationInstance, rule: Rule, key: object) -> str:
    if rule == Rule.ORGANISATION and isinstance(key, int):
        return inst.org_names[key]
    if rule == Rule.NEUTRALITY and isinstance(key, tuple):
        return f"{inst.ids[key[0]]}-{inst.ids[key[1]]}"
    if rule in (Rule.LEVEL, Rule.AVAILABILITY) and isinstance(key, int):
        return inst.ids[key]
    if rule == Rule.SIMILARITY and isinstance(key, int):
        return inst.problem.config.similarity[key]
    if rule in (Rule.TOGETHER, Rule.LOCK) and isinstance(key, int):
        return "+".join(inst.ids[i] for i in inst.groups[key])
    if rule == Rule.FACILITATOR and isinstance(key, int):
        return inst.problem.facilitators[key].id
    return str(key)
