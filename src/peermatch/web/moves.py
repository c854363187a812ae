"""Hand moves on the board: check one, apply it as a new revision, and the run's cached state.

A move takes one person out of their cohort (or out of the unassigned) and
puts them into another cohort (or the unassigned); the cohorts keep their
slot, sessions and facilitator. :func:`check_move` asks the solver-free
checker about the two cohorts concerned only
(:func:`peermatch.violations.cohort_violations`) plus the person's locks and
``together`` pairs, and reports what the move *breaks* (rules already broken
there before are not its fault) and the change in the objective
(:func:`peermatch.metrics.diversity_cost` of the two cohorts). Nothing here
depends on the size of the program but the problem, kept in memory per run
(:class:`StateCache`).

A revision's assignment is ``{"cohorts": {cohort id: [member ids]},
"unassigned": [[participant id, reason], ...]}``; everything else about the
cohorts comes from the run's own solution (revision 0).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peermatch.metrics import diversity_cost
from peermatch.model import Lock, ProblemData
from peermatch.rules import Rule, Violation
from peermatch.solution import Cohort, Solution, Unassigned
from peermatch.violations import cohort_violations

__all__ = [
    "HAND_REASON",
    "MoveResult",
    "RunState",
    "StateCache",
    "UnknownTarget",
    "apply_move",
    "assignment_of",
    "check_move",
    "hand_locks",
    "solution_of",
]

#: Why someone taken out of their cohort by hand is unassigned.
HAND_REASON = "taken out of their cohort by hand"


class UnknownTarget(LookupError):
    """The participant or the cohort of a move is not in the run."""


@dataclass(frozen=True)
class MoveResult:
    """What a move would break, and by how much it changes the objective."""

    violations: tuple[Violation, ...]
    objective_delta: float

    @property
    def allowed(self) -> bool:
        """Whether every rule still holds after the move."""
        return not self.violations


def assignment_of(solution: Solution) -> dict[str, Any]:
    """A solution's assignment, as a revision stores it."""
    return {
        "cohorts": {c.id: list(c.members) for c in solution.cohorts},
        "unassigned": [[u.participant_id, u.reason] for u in solution.unassigned],
    }


def solution_of(base: Solution, assignment: dict[str, Any]) -> Solution:
    """``base`` (slots, sessions, facilitators) with the members of ``assignment``."""
    members = assignment["cohorts"]
    cohorts = tuple(
        c.model_copy(update={"members": tuple(members.get(c.id, ()))}) for c in base.cohorts
    )
    left = tuple(Unassigned(participant_id=p, reason=r) for p, r in assignment["unassigned"])
    return Solution(cohorts=cohorts, unassigned=left)


def apply_move(
    assignment: dict[str, Any], participant_id: str, to_cohort: str | None
) -> dict[str, Any]:
    """The assignment after moving ``participant_id`` to ``to_cohort`` (``None``: unassigned)."""
    cohorts = {
        cid: [m for m in ms if m != participant_id] for cid, ms in assignment["cohorts"].items()
    }
    left = [[p, r] for p, r in assignment["unassigned"] if p != participant_id]
    if to_cohort is None:
        left.append([participant_id, HAND_REASON])
    else:
        cohorts[to_cohort].append(participant_id)
    return {"cohorts": cohorts, "unassigned": left}


def _key(v: Violation) -> tuple[str, str | None, tuple[str, ...], str]:
    return (str(v.rule), v.cohort, v.people, v.message)


def _requests(problem: ProblemData, where: dict[str, str | None], pid: str) -> list[Violation]:
    """The person's locks (locks.csv) and ``together`` pairs, with ``where`` as the placement."""
    out = []
    for lock in problem.locks:
        if lock.participant_id == pid and where.get(pid) != lock.cohort_id:
            out.append(
                Violation(
                    Rule.LOCK,
                    f"{pid} is locked to cohort {lock.cohort_id} (locks.csv)",
                    where.get(pid),
                    (pid,),
                )
            )
    for pair in problem.pairs:
        if pair.rule == "together" and pid in (pair.a, pair.b):
            a, b = where.get(pair.a), where.get(pair.b)
            if a != b:
                out.append(
                    Violation(
                        Rule.TOGETHER,
                        f"{pair.a} ({a or 'no cohort'}) and {pair.b} ({b or 'no cohort'}) "
                        "asked to be together",
                        a or b,
                        (pair.a, pair.b),
                    )
                )
    return out


def _hand_locks(
    pid: str,
    source: str | None,
    target: str | None,
    locked_members: Collection[str],
    locked_cohorts: Collection[str],
) -> list[Violation]:
    out = []
    if pid in locked_members:
        out.append(
            Violation(Rule.LOCK, f"{pid} is locked in {source or 'the unassigned'}", source, (pid,))
        )
    for cid, verb in ((source, "out of"), (target, "into")):
        if cid is not None and cid in locked_cohorts:
            out.append(
                Violation(Rule.LOCK, f"cohort {cid} is locked: nobody moves {verb} it", cid, (pid,))
            )
    return out


def check_move(
    problem: ProblemData,
    solution: Solution,
    participant_id: str,
    to_cohort: str | None,
    *,
    graph: Any = None,
    locked_members: Collection[str] = (),
    locked_cohorts: Collection[str] = (),
) -> MoveResult:
    """What moving ``participant_id`` into ``to_cohort`` (``None``: unassigned) would break.

    Only the cohort the person leaves and the one they join are checked,
    with the person's locks and ``together`` pairs and the board's locks
    (``locked_members``, ``locked_cohorts``).

    Raises
    ------
    UnknownTarget
        When the participant or the cohort is not in the run.
    """
    if participant_id not in problem.index:
        raise UnknownTarget(f"{participant_id} is not a participant of this run")
    by_id = {c.id: c for c in solution.cohorts}
    if to_cohort is not None and to_cohort not in by_id:
        raise UnknownTarget(f"this run has no cohort {to_cohort}")
    source = next((c.id for c in solution.cohorts if participant_id in c.members), None)
    if source == to_cohort:
        return MoveResult((), 0.0)
    before = [by_id[c] for c in (source, to_cohort) if c is not None]
    after = [
        c.model_copy(
            update={
                "members": tuple(m for m in c.members if m != participant_id)
                + ((participant_id,) if c.id == to_cohort else ())
            }
        )
        for c in before
    ]
    known = {_key(v) for c in before for v in cohort_violations(problem, c, graph)}
    where: dict[str, str | None] = dict(solution.cohort_of())
    known |= {_key(v) for v in _requests(problem, where, participant_id)}
    where[participant_id] = to_cohort
    found = [v for c in after for v in cohort_violations(problem, c, graph)]
    found += _requests(problem, where, participant_id)
    new = [v for v in found if _key(v) not in known]
    new += _hand_locks(participant_id, source, to_cohort, locked_members, locked_cohorts)
    delta = diversity_cost(problem, Solution(cohorts=tuple(after))) - diversity_cost(
        problem, Solution(cohorts=tuple(before))
    )
    return MoveResult(tuple(new), delta)


def hand_locks(
    problem: ProblemData,
    solution: Solution,
    moved: Collection[str],
    locked_members: Collection[str],
    locked_cohorts: Collection[str],
) -> tuple[Lock, ...]:
    """Locks that keep the board's hand work in a repair.

    Everyone moved by hand into a cohort, every locked member and every
    member of a locked cohort is locked to their cohort of ``solution``;
    people the program no longer has, or whom locks.csv already fixes, are left out.
    """
    fixed = {lock.participant_id for lock in problem.locks}
    keep: dict[str, str] = {}
    for cohort in solution.cohorts:
        for m in cohort.members:
            if m in moved or m in locked_members or cohort.id in locked_cohorts:
                keep[m] = cohort.id
    return tuple(
        Lock(participant_id=p, cohort_id=c)
        for p, c in keep.items()
        if p in problem.index and p not in fixed
    )


class RunState:
    """A finished run in memory: its problem, its own solution and the relationship graph."""

    def __init__(self, out_dir: Path) -> None:
        from peermatch.graph import relationship_graph
        from peermatch.report.folder import read_folder

        folder = read_folder(out_dir)
        if folder.solution is None:
            raise ValueError(f"{out_dir} holds no solution")
        self.problem: ProblemData = folder.problem
        self.base: Solution = folder.solution
        self.graph = relationship_graph(self.problem)
        self._lock = threading.Lock()
        self._at: tuple[tuple[int, str], Solution] | None = None

    def solution(self, revision: dict[str, Any]) -> Solution:
        """The solution of a revision row (the last one asked for is kept).

        Kept by number and creation time: a number undone and then made again
        by another move is another revision.
        """
        key = (int(revision["number"]), str(revision["created"]))
        with self._lock:
            if self._at is not None and self._at[0] == key:
                return self._at[1]
        found = solution_of(self.base, revision["assignment"])
        with self._lock:
            self._at = (key, found)
        return found


class StateCache:
    """The :class:`RunState` of the runs used lately (a few, least recently used dropped)."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._states: OrderedDict[int, RunState] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[int, threading.Lock] = {}

    def get(self, run_id: int, out_dir: Path) -> RunState:
        """The run's state, loaded once (concurrent callers wait for the first)."""
        with self._lock:
            loading = self._loading.setdefault(run_id, threading.Lock())
        with loading:
            with self._lock:
                if run_id in self._states:
                    self._states.move_to_end(run_id)
                    return self._states[run_id]
            state = RunState(out_dir)
            with self._lock:
                self._states[run_id] = state
                while len(self._states) > self.size:
                    self._states.popitem(last=False)
            return state


def cohort_of(solution: Solution, participant_id: str) -> Cohort | None:
    """The cohort ``participant_id`` is in, ``None`` when unassigned."""
    return next((c for c in solution.cohorts if participant_id in c.members), None)
