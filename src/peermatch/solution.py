"""What the engine returns: cohorts with their slot, facilitator and sessions.

A :class:`Solution` is plain data (pydantic, frozen) so that it can be
written, read back, compared and checked by :func:`peermatch.violations`
without a solver. A :class:`Result` wraps it with the solver's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from peermatch.rules import Diagnosis
from peermatch.schedule import SessionTime, Slot

__all__ = ["Cohort", "Result", "Solution", "Status", "Unassigned"]


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
    stats: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        """Whether a solution was found."""
        return self.solution is not None
