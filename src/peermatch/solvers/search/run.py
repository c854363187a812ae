"""One solve's run state and budget: settings, clock, notes, and how the time is shared.

Private to :mod:`peermatch.solvers.cpsat.solving`, whose steps pass a
:class:`Run` along; kept apart so that ``solving`` reads as the pipeline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from peermatch.deadline import Deadline
from peermatch.model import ProblemData
from peermatch.params import SolveParams
from peermatch.solution import Result, Statistics, Status
from peermatch.solvers.cpsat.bound import aggregate_bound
from peermatch.solvers.cpsat.config_bound import configuration_bound, start_columns
from peermatch.solvers.cpsat.typed_bound import typed_bound
from peermatch.solvers.grouping import Grouping
from peermatch.solvers.instance import FormationInstance
from peermatch.solvers.progress import Progress, ProgressFn
from peermatch.solvers.search.lns import Search

__all__ = [
    "BOUND_MIN",
    "CONFIG_NEED",
    "CONFIG_SHARE",
    "SEARCH_MIN",
    "Run",
    "Start",
    "budgeted_bound",
    "lower_bound",
    "search_budget",
]

#: Wall-clock mode: the greedy start stops when fewer seconds than this (plus the
#: writing reserve) are left, so the search gets a moment to repair what it left.
SEARCH_MIN = 1.0
#: Wall-clock mode: the aggregate bound is skipped when fewer seconds are left.
BOUND_MIN = 2.0
#: The share of the run's time limit the configuration bound may take (small programs only).
CONFIG_SHARE = 0.05
#: Wall-clock seconds a person the configuration bound needs to converge, below which it
#: is not tried (locks-together, n = 120, seeded with a start: 127 rounds, 55 s, loaded
#: machine; a bound stopped far earlier is rarely above the typed one).
CONFIG_NEED = 0.4


@dataclass(frozen=True)
class Run:
    """One solve's settings and clock, and the :class:`Result` it builds.

    ``clock`` is the run's wall-clock deadline (``None`` in deterministic
    mode); ``notes`` collects what it cut short, for ``Statistics.budget_notes``.
    """

    problem: ProblemData
    params: SolveParams
    workers: int
    started: float
    progress: ProgressFn | None
    scheduler: Any = None
    clock: Deadline | None = None
    notes: list[str] = field(default_factory=list)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def reserve(self, people: int) -> float:
        """Wall-clock seconds kept back after the search for finishing and writing."""
        return self.clock.reserve(people) if self.clock is not None else 0.0

    def phase(self, name: str) -> None:
        """Report the start of a phase (no cost yet)."""
        if self.progress:
            limit = self.clock.limit if self.clock is not None else None
            self.progress(Progress(self.elapsed(), None, None, phase=name, limit=limit))

    def result(self, status: Status, **kw: Any) -> Result:
        if self.notes:
            stats = kw.get("stats") or Statistics()
            kw["stats"] = replace(stats, budget_notes=tuple(self.notes))
        return Result(
            status=status,
            runtime=self.elapsed(),
            seed=self.params.seed,
            workers=self.workers,
            **kw,
        )

    def search(self, budget: float, bound: float | None, until_complete: bool) -> Search:
        # In wall-clock mode the search measures its limit from the run's start.
        limit = budget if self.clock is None else self.clock.elapsed() + budget
        return Search(
            self.params, self.workers, limit, self.started, bound, until_complete, self.progress
        )


@dataclass(frozen=True)
class Start:
    """The warm start: the grouping, and whether (and when) it was complete."""

    grouping: Grouping
    complete: bool
    time: float
    #: Seconds charged for solving a large program in parts (0 otherwise).
    parts_time: float = 0.0


def lower_bound(
    inst: FormationInstance,
    seed: int,
    time_limit: float = 5.0,
    *,
    deterministic: bool = True,
    config_limit: float = 0.0,
    start: Grouping | None = None,
) -> float | None:
    """The best cheap lower bound: balanced spread, the level-aware aggregate relaxation,
    the relaxation by cohort types (level band and option, with organisations and
    facilitators; :func:`~peermatch.solvers.cpsat.typed_bound.typed_bound`) and, on small
    programs, the configuration LP's Lagrangian bound
    (:func:`~peermatch.solvers.cpsat.config_bound.configuration_bound`).

    All bound every *complete* solution; a solution that leaves someone out
    costs more than any, so they bound the unassigned variant too. In wall-clock
    mode (``deterministic`` false) ``time_limit`` is shared: the typed bound gets
    what the aggregate one left of it. The configuration bound gets
    ``config_limit`` seconds of its own (deterministic ones in deterministic mode;
    0: not tried), beginning with ``start``'s cohorts as columns if given.
    """
    started = time.monotonic()
    found = aggregate_bound(inst, time_limit=time_limit, seed=seed)
    left = time_limit if deterministic else time_limit - (time.monotonic() - started)
    typed = typed_bound(inst, left, deterministic=deterministic) if left > 0 else None
    config = (
        configuration_bound(
            inst,
            config_limit,
            deterministic=deterministic,
            columns=() if start is None else start_columns(inst, start.cohorts, start.facilitators),
        )
        if config_limit > 0
        else None
    )
    bounds = [b for b in (inst.lower_bound(), found, typed, config) if b is not None]
    return float(max(bounds)) if bounds else None


def budgeted_bound(
    run: Run, inst: FormationInstance, start: Grouping | None = None
) -> float | None:
    """:func:`lower_bound` within the budget: a tenth of what is left (or skipped), and
    :data:`CONFIG_SHARE` of the limit (at most another tenth) for the configuration bound,
    seeded with ``start``'s cohorts. In wall-clock mode the configuration bound is not
    tried when that is under :data:`CONFIG_NEED` seconds a person: it would not converge,
    and the time is the search's."""
    # The configuration bound gets a share of the run's limit (it stops on it with a valid bound).
    config = CONFIG_SHARE * run.params.time_limit
    if run.clock is None:
        return lower_bound(inst, run.params.seed, config_limit=config, start=start)
    left = run.clock.remaining() - run.reserve(inst.n)
    if left < BOUND_MIN:
        run.notes.append(
            f"the aggregate bound was skipped ({left:.1f}s left before the time limit); "
            "the balanced-spread bound is reported"
        )
        simple = inst.lower_bound()
        return None if simple is None else float(simple)
    config = min(config, left / 10)
    return lower_bound(
        inst,
        run.params.seed,
        time_limit=min(5.0, left / 10),
        deterministic=False,
        config_limit=config if config >= CONFIG_NEED * inst.n else 0.0,
        start=start,
    )


def search_budget(run: Run, inst: FormationInstance, start: Start) -> float:
    """Seconds for the search.

    Deterministic time must not depend on how long the set-up took on this
    machine (or how busy it was), or the same input and seed would not give
    the same cohorts: the search then gets the whole limit, less what a
    decomposed start charged for its parts. Wall-clock mode gets what is left
    of the run's deadline (set-up and parts included) minus the writing reserve.
    """
    if run.clock is not None:
        return max(0.1, run.clock.remaining() - run.reserve(inst.n))
    limit = run.params.time_limit
    return max(0.5, limit - start.parts_time) if start.parts_time else limit
