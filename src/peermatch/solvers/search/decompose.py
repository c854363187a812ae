"""Large programs solved in parts, in parallel, then improved across parts.

Above :attr:`~peermatch.params.GreedyParams.parts_threshold` participants, :func:`decomposed_start`
splits the program into level-band / time-zone parts with organisations
balanced (:mod:`peermatch.solvers.partition`: a part never holds more of an
organisation than ``max_per_organisation`` times the fewest cohorts it can
form), gives each part a share of every facilitator's capacity, and solves
each part -- greedy start, then its own neighbourhood search -- as one task
on an :class:`~peermatch.executor.Executor` (local processes or Dask). The
parts' cohorts are concatenated into the start of the whole-program
neighbourhood search, which sees everyone: it re-assigns facilitators over
all cohorts, repairs anyone a part left out, and then moves people across
part boundaries. Every hard rule is therefore enforced on the whole program
(and the final grouping is rechecked by ``violations()``).

The bound. The parts are a *restriction* (people may only share a cohort
with their own part), so the sum of the parts' lower bounds bounds the best
*decomposed* grouping, not the best grouping of the whole, and is not
reported. The gap is taken against the whole instance's relaxation bound
(``solving._bound``: balanced spread and the level-aware aggregate bound),
which bounds every complete grouping of the whole program, decomposed or not.

Determinism: each part has a deterministic-time budget and its own seed, the
executor returns results in part order, and the time charged is the largest
part's, so a deterministic run does not depend on where the parts ran.

Wall clock: the parts share ``share`` of what is left of the run's deadline.
They run ``workers`` at a time, so each part gets that share divided by the
number of rounds (``ceil(parts / workers)``), its greedy start included; a
part whose greedy start has not finished by then returns what it placed and
the whole-program search repairs the rest. (Before this, every part got
``share`` of the whole limit: nine parts on one worker took 9 x 24 s of a
60 s run.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from peermatch.deadline import Deadline
from peermatch.params import GreedyParams, NeighbourhoodParams, SolveParams
from peermatch.solvers.greedy import GreedyCohorts, greedy_cohorts
from peermatch.solvers.grouping import Grouping, respect_groups
from peermatch.solvers.instance import FormationInstance
from peermatch.solvers.partition import split_parts
from peermatch.solvers.search.lns import Search, improve

__all__ = [
    "DecomposedStart",
    "PartResult",
    "PartTask",
    "decomposed_start",
]


@dataclass(frozen=True)
class DecomposedStart:
    """What :func:`decomposed_start` returns."""

    start: GreedyCohorts
    #: Seconds charged for the parts.
    spent: float
    #: Parts started late, given a greedy start alone (no search of their own).
    skipped: int = 0


@dataclass(frozen=True)
class PartTask:
    """One part to solve; positions are the whole program's."""

    people: tuple[int, ...]
    capacity: tuple[int, ...]
    seed: int
    time_limit: float
    deterministic: bool
    allow_unassigned: bool
    #: The run's search settings (not its ``SolveParams``: the CP-SAT pass-through
    #: mapping is read-only and does not pickle, so it travels as pairs).
    neighbourhood: NeighbourhoodParams = field(default_factory=NeighbourhoodParams)
    greedy: GreedyParams = field(default_factory=GreedyParams)
    cpsat: tuple[tuple[str, Any], ...] = ()
    #: Wall-clock mode: a part not started by then (``time.time()``, comparable across
    #: machines, unlike ``monotonic``) gets its greedy start alone, no search of its own.
    start_by: float | None = None


@dataclass(frozen=True)
class PartResult:
    """A part's cohorts and left-out people (whole-program positions), and its solver time."""

    cohorts: tuple[tuple[int, ...], ...]
    unplaced: tuple[int, ...]
    solver_time: float
    #: Started late (the run's time for parts was over): a greedy start alone, no search.
    skipped: bool = False


def solve_part(inst: FormationInstance, task: PartTask) -> PartResult:
    """Greedy start and neighbourhood search on one part (run on a worker).

    In wall-clock mode ``task.time_limit`` covers the part's greedy start too.
    """
    if task.start_by is not None and time.time() >= task.start_by:
        # Late: the part gets its greedy start alone, here on its worker (in the parent,
        # one after another, the late parts of n = 100,000 took most of the warm start).
        return _greedy_only(inst, task)
    began = time.monotonic()
    people = list(task.people)
    sub = inst.restrict(people, task.capacity)
    clock = None if task.deterministic else Deadline(task.time_limit, began)
    cohorts, left = _part_start(sub, task, clock)
    params = SolveParams(
        time_limit=task.time_limit, deterministic=task.deterministic, seed=task.seed, workers=1,
        allow_unassigned=task.allow_unassigned, neighbourhood=task.neighbourhood,
        greedy=task.greedy, cpsat=dict(task.cpsat),
    )  # fmt: skip
    # Swap descents are left to the whole-program search, which moves people across parts.
    search = Search(
        params, 1, task.time_limit, time.monotonic() if clock is None else began, swaps=False
    )
    found, stats = improve(sub, Grouping(cohorts, None, left), search)
    return PartResult(
        cohorts=tuple(tuple(sorted(people[i] for i in c)) for c in found.cohorts),
        unplaced=tuple(sorted(people[i] for i in found.unplaced)),
        solver_time=stats.solver_time,
    )


def _part_start(
    sub: FormationInstance, task: PartTask, clock: Deadline | None, attempts: int = 3
) -> tuple[list[list[int]], list[int]]:
    """A part's greedy start (part positions), locks and together groups respected."""
    # Keep a fifth of the part's time for its search to repair what the greedy start left.
    start = greedy_cohorts(
        sub, task.seed, attempts, clock, margin=0.2 * task.time_limit, params=task.greedy
    )
    cohorts, left = [list(c) for c in start.cohorts], list(start.unplaced)
    if sub.groups:
        cohorts, left = respect_groups(sub, cohorts, left)
    return cohorts, left


def _greedy_only(inst: FormationInstance, task: PartTask) -> PartResult:
    """A part started late, given its greedy start alone (no search of its own), on its worker.

    Regression (issue 25): at n = 100,000 and ``--time-limit 300`` the parts not
    started in time left their people out, thousands more than the whole-program
    search can place, and the run ended with "no solution" and 116 s unused. A
    greedy start of a part takes about a second; a complete start matters more
    than the parts' share of the time.
    """
    people = list(task.people)
    sub = inst.restrict(people, task.capacity)
    cohorts, left = _part_start(sub, task, None, attempts=1)
    return PartResult(
        cohorts=tuple(tuple(sorted(people[i] for i in c)) for c in cohorts),
        unplaced=tuple(sorted(people[i] for i in left)),
        solver_time=0.0,
        skipped=True,
    )


def _capacities(inst: FormationInstance, parts: int) -> list[tuple[int, ...]]:
    """Each facilitator's capacity dealt over the parts (the whole search re-assigns them)."""
    out: list[list[int]] = [[] for _ in range(parts)]
    for f, cap in enumerate(inst.facilitator_capacity):
        q, r = divmod(cap, parts)
        for p in range(parts):
            out[p].append(q + (1 if (f + p) % parts < r else 0))
    return [tuple(c) for c in out]


def _part_budget(solve_params: SolveParams, parts: int, workers: int, left: float | None) -> float:
    """Seconds per part: ``parts_share`` of the limit (deterministic), or of the ``left`` per round."""
    share = solve_params.greedy.parts_share
    if left is None:
        return max(0.5, share * solve_params.time_limit)
    rounds = -(-parts // max(1, workers))
    return max(0.2, share * left / rounds)


def decomposed_start(
    inst: FormationInstance,
    solve_params: SolveParams,
    *,
    workers: int,
    scheduler: Any = None,
    deadline: Deadline | None = None,
    reserve: float = 0.0,
) -> DecomposedStart:
    """The parts' cohorts concatenated, the time charged for them, and the parts skipped.

    Parameters
    ----------
    inst
        The whole program.
    solve_params
        The run's parameters; part ``p`` uses seed ``seed + p``, the parts hold
        about ``greedy.part_size`` people each and get ``greedy.parts_share``
        of the time limit.
    workers, scheduler
        The executor the parts run on (:func:`peermatch.executor.make_executor`).
    deadline, reserve
        Wall-clock mode: the run's deadline, and the seconds it keeps back
        for finishing and writing. The parts share ``greedy.parts_share`` of the
        time left, running ``workers`` at a time.

    Returns
    -------
    DecomposedStart
        The start for the whole-program search; the seconds charged (the
        largest part's solver time when deterministic, else the wall time
        taken); how many parts were skipped for want of time (wall clock).
    """
    from peermatch.executor import make_executor

    began = time.monotonic()
    parts = split_parts(inst, max(2, -(-inst.n // solve_params.greedy.part_size)))
    capacity = _capacities(inst, len(parts))
    sp, deterministic = solve_params, solve_params.deterministic
    # Wall clock: what is left of the run's deadline, less the reserve for writing.
    left = None
    if deadline is not None and deadline.limit is not None:
        left = max(0.0, deadline.remaining() - reserve)
    budget = _part_budget(sp, len(parts), workers, left)
    # Parts may start until greedy.parts_end of the time left: a part's greedy start cannot
    # stop half-way, so under load the parts can take longer than their share.
    start_by = None if left is None else time.time() + sp.greedy.parts_end * left
    cpsat = tuple(sorted(sp.cpsat.items()))
    tasks = [
        PartTask(
            tuple(p),
            capacity[k],
            sp.seed + k,
            budget,
            deterministic,
            sp.allow_unassigned,
            sp.neighbourhood,
            sp.greedy,
            cpsat,
            start_by,
        )
        for k, p in enumerate(parts)
    ]
    with make_executor(max(1, workers), scheduler) as executor:
        results = executor.map(solve_part, tasks, shared=executor.share(inst))
    cohorts = tuple(c for r in results for c in r.cohorts)
    unplaced = tuple(sorted(i for r in results for i in r.unplaced))
    spent = max(r.solver_time for r in results) if deterministic else time.monotonic() - began
    skipped = sum(r.skipped for r in results)
    return DecomposedStart(GreedyCohorts(cohorts, unplaced), spent, skipped)
