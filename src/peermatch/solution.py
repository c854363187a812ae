"""What the engine returns: cohorts with their slot, facilitator and sessions.

A :class:`Solution` is plain data (pydantic, frozen) so that it can be
written, read back, compared and checked by :func:`peermatch.violations`
without a solver. A :class:`Result` wraps it with the solver's figures.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from peermatch.rules import Diagnosis, Violation
from peermatch.schedule import SessionTime, Slot

__all__ = [
    "Cohort",
    "FacilitatorPressure",
    "RepairStatistics",
    "Result",
    "SearchStatistics",
    "Solution",
    "Statistics",
    "Status",
    "Unassigned",
    "cohort_ids",
]

_GENERATED_ID = re.compile(r"C\d+")


def cohort_ids(count: int, taken: Iterable[str] = ()) -> Iterator[str]:
    """Fresh cohort ids ``C01``, ``C02``, ... that skip ``taken``: the one id scheme.

    Runs, repairs, locked cohorts and planted references all draw their ids
    here, so the ids of one program have one width and sort as text.

    Parameters
    ----------
    count
        How many cohorts the program will have: the digits grow with it
        (at least two: ``C01``; 100 cohorts give ``C001`` .. ``C100``).
    taken
        Ids already in use (a previous run's cohorts, lock ids): skipped, and
        a taken generated-style id (``C`` and digits) wider than ``count``
        needs sets the width, so that a repair of a run of 100 cohorts
        continues ``C101`` and never starts ``C01``.

    Yields
    ------
    str
        Ids in increasing order, without end.
    """
    used = set(taken)
    width = max(2, len(str(count)), *(len(t) - 1 for t in used if _GENERATED_ID.fullmatch(t)))
    number = 0
    while True:
        number += 1
        candidate = f"C{number:0{width}d}"
        if candidate not in used:
            yield candidate


class Cohort(BaseModel):
    """One cohort: its members (participant ids), weekly slot, facilitator and sessions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    members: tuple[str, ...]
    slot: Slot | None = None
    facilitator_id: str | None = None
    sessions: tuple[SessionTime, ...] = ()


class Unassigned(BaseModel):
    """A participant left out (only with ``allow_unassigned``) and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    participant_id: str
    reason: str


class Solution(BaseModel):
    """A set of cohorts, and the people who could not be placed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cohorts: tuple[Cohort, ...]
    unassigned: tuple[Unassigned, ...] = ()

    def cohort_of(self) -> dict[str, str]:
        """Participant id -> cohort id."""
        return {m: c.id for c in self.cohorts for m in c.members}


class Status(StrEnum):
    """How a solve ended."""

    OPTIMAL = "optimal"  #: proven best
    FEASIBLE = "feasible"  #: a solution, not proven best
    INFEASIBLE = "infeasible"  #: proven that no solution exists
    UNKNOWN = "unknown"  #: no solution found within the limits
    INVALID = "invalid"  #: the input could not be modelled
    #: a solution was found, but the independent checker rejected it (a solver bug)
    REJECTED = "rejected"


@dataclass(frozen=True)
class SearchStatistics:
    """What one neighbourhood search did (the LNS, or the repair before the whole model).

    Attributes
    ----------
    iterations
        Neighbourhoods solved.
    improvements
        Steps that lowered the cost (or the number of defects).
    solver_time
        Seconds charged to the search (deterministic time in deterministic mode).
    final_neighbourhood
        Cohorts per neighbourhood when it stopped.
    first_complete_time
        Seconds from the start to the first grouping with nobody left out and
        every cohort led; ``None`` when none was reached.
    rounds, batch
        The parallel search only: rounds of ``batch`` disjoint neighbourhoods
        solved at once (``None`` for the sequential search).
    swap_moves
        Improving moves and swaps of single people between neighbourhoods
        (:mod:`peermatch.solvers.swaps`); ``None`` when no descent ran.
    """

    iterations: int = 0
    improvements: int = 0
    solver_time: float = 0.0
    final_neighbourhood: int = 0
    first_complete_time: float | None = None
    rounds: int | None = None
    batch: int | None = None
    swap_moves: int | None = None

    def as_dict(self, prefix: str = "") -> dict[str, Any]:
        """Flat, summary.json form: ``lns_iterations``, ..., ``first_complete_time``."""
        out = {
            f"{prefix}lns_iterations": self.iterations,
            f"{prefix}lns_improvements": self.improvements,
            f"{prefix}lns_solver_time": self.solver_time,
            f"{prefix}lns_final_neighbourhood": self.final_neighbourhood,
            f"{prefix}first_complete_time": self.first_complete_time,
        }
        if self.rounds is not None:
            out[f"{prefix}lns_rounds"] = self.rounds
            out[f"{prefix}lns_parallel_batch"] = self.batch
        if self.swap_moves is not None:
            out[f"{prefix}lns_swap_moves"] = self.swap_moves
        return out


@dataclass(frozen=True)
class FacilitatorPressure:
    """How much the facilitators constrain a program.

    ``binding`` is true when every seat is taken, when some people could share
    a slot with enough others only where no facilitator is free, or when a
    cohort has a single facilitator able to lead it.
    """

    capacity: int
    seats_used: int
    binding: bool
    people_without_a_free_facilitator: int
    cohorts_with_a_single_possible_facilitator: int

    def as_dict(self) -> dict[str, Any]:
        """Flat, summary.json form (``facilitator_capacity``, ``facilitators_binding``, ...)."""
        return {
            "facilitator_capacity": self.capacity,
            "facilitator_seats_used": self.seats_used,
            "facilitators_binding": self.binding,
            "people_without_a_free_facilitator": self.people_without_a_free_facilitator,
            "cohorts_with_a_single_possible_facilitator": (
                self.cohorts_with_a_single_possible_facilitator
            ),
        }


@dataclass(frozen=True)
class RepairStatistics:
    """What ``peermatch repair``'s successive solves found, level by level.

    ``moved`` people moved (``moved_optimal``: no repair moves fewer), then
    ``cohorts_changed`` earlier cohorts whose slot or facilitator changed,
    then ``cost``; ``None`` for a level whose solve found nothing (the
    previous level's solution is kept). ``new_cohorts_allowed`` is how many
    new cohorts the model could open.
    """

    new_cohorts_allowed: int
    moved: int | None = None
    moved_optimal: bool = False
    cohorts_changed: int | None = None
    cohorts_changed_optimal: bool = False
    cost: int | None = None
    cost_optimal: bool = False
    seconds: tuple[float, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Flat, summary.json form: ``repair_moved``, ``repair_moved_optimal``, ..."""
        out: dict[str, Any] = {"repair_new_cohorts_allowed": self.new_cohorts_allowed}
        for name in ("moved", "cohorts_changed", "cost"):
            if getattr(self, name) is not None:
                out[f"repair_{name}"] = getattr(self, name)
                out[f"repair_{name}_optimal"] = getattr(self, f"{name}_optimal")
        out["repair_seconds"] = list(self.seconds)
        return out


@dataclass(frozen=True)
class Statistics:
    """The solver's own figures for one solve; every field is ``None`` when it does not apply.

    Attributes
    ----------
    cp_sat_status, cp_sat_wall_time, cp_sat_deterministic_time
        The whole-program CP-SAT solve (small programs only).
    lns
        The neighbourhood search of a large program.
    start_repair
        The neighbourhood search that completed an incomplete warm start
        before the whole-program model (summary.json's ``repair_*`` keys).
    facilitators
        How binding the facilitators are (programs with facilitators, with a solution).
    cohorts_without_facilitator, unplaced
        Why a search ended without a solution: cohorts nobody could lead,
        people left out.
    not_placed
        Those people, one ``"id: why"`` line each (at most 20), when a search
        ended without placing everyone.
    rejected_by_violations
        The first broken rules, when the checker rejected the solution.
    previous_run
        ``peermatch repair``'s levels (people moved, cohorts changed, cost).
    budget_notes
        What the wall-clock limit cut short (a partial greedy start, a skipped bound).
    """

    cp_sat_status: str | None = None
    cp_sat_wall_time: float | None = None
    cp_sat_deterministic_time: float | None = None
    lns: SearchStatistics | None = None
    start_repair: SearchStatistics | None = None
    facilitators: FacilitatorPressure | None = None
    cohorts_without_facilitator: int | None = None
    unplaced: int | None = None
    not_placed: tuple[str, ...] | None = None
    rejected_by_violations: tuple[str, ...] | None = None
    previous_run: RepairStatistics | None = None
    budget_notes: tuple[str, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        """Flat, sorted, JSON-ready form, as summary.json's ``stats`` (unset figures left out)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, SearchStatistics):
                # summary.json keeps its keys: the start repair's figures are "repair_*".
                out.update(value.as_dict("repair_" if f.name == "start_repair" else ""))
            elif isinstance(value, FacilitatorPressure | RepairStatistics):
                out.update(value.as_dict())
            elif isinstance(value, tuple):
                out[f.name] = list(value)
            else:
                out[f.name] = value
        return dict(sorted(out.items()))


#: The cost of one pair of cohort members sharing a value of an attribute of weight 1.
PAIR_COST = 1000.0


@dataclass(frozen=True)
class Result:
    """The outcome of :func:`peermatch.solve`.

    Attributes
    ----------
    status
        See :class:`Status`.
    objective
        Cost of the solution (lower is better), ``None`` without one.
    best_bound
        A proven lower bound on the cost, ``None`` when none is known.
    gap
        ``(objective - best_bound) / max(|objective|, 1)``, ``None`` when either is missing.
    runtime
        Wall-clock seconds spent.
    solution
        The cohorts, or ``None``.
    diagnosis
        For an infeasible problem, the reasons in the organiser's terms
        (render them with :func:`peermatch.rules.format_diagnoses`).
    first_solution_time
        Seconds until the first complete solution.
    seed, workers
        The seed and the number of CP-SAT workers used.
    stats
        The solver's figures, see :class:`Statistics`.
    violations
        With status ``REJECTED``: the rules the rejected solution broke.
    interrupted
        The signal (``"SIGINT"``, ``"SIGTERM"``) that stopped the search, so
        that the solution is the best found until then; ``None`` otherwise.
    """

    status: Status
    objective: float | None = None
    best_bound: float | None = None
    gap: float | None = None
    runtime: float = 0.0
    solution: Solution | None = None
    diagnosis: tuple[Diagnosis, ...] = ()
    first_solution_time: float | None = None
    seed: int = 0
    workers: int = 1
    stats: Statistics = field(default_factory=Statistics)
    violations: tuple[Violation, ...] = ()
    interrupted: str | None = None

    @property
    def feasible(self) -> bool:
        """Whether a solution was found."""
        return self.solution is not None

    @property
    def gap_pairs(self) -> float | None:
        """The gap in shared value pairs: ``(objective - best_bound) / 1000``, to one decimal.

        One pair of members sharing a value of an attribute of weight 1 costs
        1,000 (:mod:`peermatch.solvers.instance`), so this says how many such
        pairs at most a better grouping could avoid; a percentage alone says
        little when costs are small. ``None`` when either figure is missing.

        Examples
        --------
        >>> Result(Status.FEASIBLE, objective=33_000.0, best_bound=31_000.0).gap_pairs
        2.0
        """
        if self.objective is None or self.best_bound is None:
            return None
        pairs = (self.objective - self.best_bound) / PAIR_COST
        return round(pairs, 1) if math.isfinite(pairs) else None
