"""The board's routes under ``/api/v1/runs/{run_id}``: cohorts, the board, moves, undo/redo, locks.

Every route works on the run's *current revision* (:mod:`peermatch.web.moves`).
A move is checked, then written as a new revision, committed before the
answer; moves of one run are taken one at a time, so that none is checked
against a revision another move has just replaced.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from peermatch.availability import DAY_NAMES
from peermatch.model import ProblemData
from peermatch.solution import Cohort, Solution
from peermatch.web.models import (
    BoardCohort,
    BoardMember,
    BoardPage,
    BoardUnassigned,
    CohortsAnswer,
    CohortsCohort,
    LockRequest,
    MoveCheck,
    MoveRequest,
    MoveViolation,
    RevisionAnswer,
)
from peermatch.web.moves import (
    MoveResult,
    RunState,
    StateCache,
    UnknownTarget,
    apply_move,
    check_move,
)
from peermatch.web.store import Store

__all__ = ["Board", "router"]

router = APIRouter()

_move_locks: dict[int, threading.Lock] = {}
_guard = threading.Lock()


def _move_lock(run_id: int) -> threading.Lock:
    with _guard:
        return _move_locks.setdefault(run_id, threading.Lock())


class Board:
    """One run's board as a request sees it: the run, its current revision and state."""

    def __init__(self, request: Request, run_id: int) -> None:
        self.store: Store = request.app.state.store
        self.data_dir: Path = request.app.state.data_dir
        run = self.store.run(run_id)
        if run is None:
            raise HTTPException(404, f"no run {run_id}")
        revision = self.store.revision(run_id)
        if not run["out_dir"] or revision is None:
            raise HTTPException(409, f"run {run_id} has no cohorts (status: {run['status']})")
        self.run, self.revision = run, revision
        states: StateCache = request.app.state.states
        self.state: RunState = states.get(run_id, self.data_dir / run["out_dir"])
        self.solution: Solution = self.state.solution(revision)
        self.locks = self.store.locks(run_id)

    @property
    def problem(self) -> ProblemData:
        """The run's problem (as it was solved)."""
        return self.state.problem

    def check(self, participant_id: str, to_cohort: str | None) -> MoveResult:
        """:func:`peermatch.web.moves.check_move` on this board (404 for an unknown id)."""
        try:
            return check_move(
                self.problem,
                self.solution,
                participant_id,
                to_cohort,
                graph=self.state.graph,
                locked_members=self.locks["member"],
                locked_cohorts=self.locks["cohort"],
            )
        except UnknownTarget as exc:
            raise HTTPException(404, str(exc)) from None

    def folder(self) -> Path:
        """The output folder of the current revision (written on first use)."""
        from peermatch.web.exports import revision_folder

        return revision_folder(self.data_dir, self.run, self.revision, self.state)


def _violations(result: MoveResult) -> list[MoveViolation]:
    return [
        MoveViolation(rule=str(v.rule), message=v.message, people=list(v.people), cohort=v.cohort)
        for v in result.violations
    ]


def _slot_text(cohort: Cohort) -> str:
    if cohort.slot is None:
        return "no weekly slot"
    h, m = divmod(cohort.slot.start_minute, 60)
    return f"{DAY_NAMES[cohort.slot.weekday]} {h:02d}:{m:02d} {cohort.slot.zone}"


# --- reading the board ------------------------------------------------------------


@router.get("/runs/{run_id}/cohorts", response_model=CohortsAnswer)
def cohorts(run_id: int, request: Request) -> CohortsAnswer:
    """The current revision's cohorts and unassigned people (ids only)."""
    board = Board(request, run_id)
    return CohortsAnswer(
        revision=board.revision["number"],
        cohorts=[
            CohortsCohort(
                cohort_id=c.id,
                slot=None if c.slot is None else _slot_text(c),
                facilitator_id=c.facilitator_id,
                members=list(c.members),
            )
            for c in board.solution.cohorts
        ],
        unassigned=[u.participant_id for u in board.solution.unassigned],
    )


def _member(board: Board, cohort: Cohort | None, pid: str) -> BoardMember:
    from peermatch.presolve import level_name

    p = board.problem.participants[board.problem.index[pid]]
    zone = board.problem.timezone_of(p)
    local = ""
    if cohort is not None and cohort.sessions:
        when = cohort.sessions[0].start.astimezone(ZoneInfo(zone))
        local = f"{when:%a %H:%M}"
    return BoardMember(
        id=p.id,
        name=p.name,
        organisation=p.organisation,
        level=level_name(board.problem, p.level),
        local_time=local,
        timezone=zone,
        locked=p.id in board.locks["member"],
    )


def _facilitator_name(problem: ProblemData, fid: str | None) -> str:
    if fid is None or fid not in problem.facilitator_index:
        return fid or ""
    return problem.facilitators[problem.facilitator_index[fid]].name


def _matches(board: Board, cohort: Cohort, q: str) -> bool:
    problem = board.problem
    texts = [
        cohort.id,
        cohort.facilitator_id or "",
        _facilitator_name(problem, cohort.facilitator_id),
    ]
    for m in cohort.members:
        if m in problem.index:
            p = problem.participants[problem.index[m]]
            texts += [p.id, p.name, p.organisation]
    return any(q in t.casefold() for t in texts)


@router.get("/runs/{run_id}/board", response_model=BoardPage)
def board_page(
    run_id: int,
    request: Request,
    offset: int = Query(0, ge=0),
    limit: int = Query(24, ge=1, le=500),
    q: str = Query("", max_length=200),
) -> BoardPage:
    """One page of cohort cards, filtered by ``q`` (id, name, organisation), and the unassigned."""
    from peermatch.metrics import diversity_cost
    from peermatch.presolve import level_name

    board = Board(request, run_id)
    problem = board.problem
    needle = q.strip().casefold()
    shown = [c for c in board.solution.cohorts if not needle or _matches(board, c, needle)]
    cards = [
        BoardCohort(
            cohort_id=c.id,
            slot=_slot_text(c),
            facilitator_id=c.facilitator_id,
            facilitator=_facilitator_name(problem, c.facilitator_id),
            locked=c.id in board.locks["cohort"],
            members=[_member(board, c, m) for m in c.members if m in problem.index],
        )
        for c in shown[offset : offset + limit]
    ]
    left = []
    for u in board.solution.unassigned:
        if u.participant_id not in problem.index:
            continue
        p = problem.participants[problem.index[u.participant_id]]
        if needle and not any(needle in t.casefold() for t in (p.id, p.name, p.organisation)):
            continue
        left.append(
            BoardUnassigned(
                id=p.id,
                name=p.name,
                organisation=p.organisation,
                level=level_name(problem, p.level),
                reason=u.reason,
                locked=p.id in board.locks["member"],
            )
        )
    number = int(board.revision["number"])
    return BoardPage(
        run_id=run_id,
        revision=number,
        can_undo=number > 0,
        can_redo=board.store.can_redo(run_id),
        total=len(shown),
        offset=offset,
        limit=limit,
        cohorts=cards,
        unassigned=left,
        objective=diversity_cost(problem, board.solution),
    )


# --- moves ------------------------------------------------------------------------


@router.post("/runs/{run_id}/moves/check", response_model=MoveCheck)
def check(run_id: int, body: MoveRequest, request: Request) -> MoveCheck:
    """What the move would break and cost; changes nothing."""
    result = Board(request, run_id).check(body.participant_id, body.to_cohort)
    return MoveCheck(
        allowed=result.allowed,
        violations=_violations(result),
        objective_delta=result.objective_delta,
    )


@router.post(
    "/runs/{run_id}/moves", response_model=RevisionAnswer, responses={409: {"model": MoveCheck}}
)
def move(run_id: int, body: MoveRequest, request: Request) -> Any:
    """Make the move as a new revision when every rule holds (or with ``force``); else 409."""
    with _move_lock(run_id):
        board = Board(request, run_id)
        result = board.check(body.participant_id, body.to_cohort)
        if not result.allowed and not body.force:
            answer = MoveCheck(
                allowed=False,
                violations=_violations(result),
                objective_delta=result.objective_delta,
            )
            return JSONResponse(answer.model_dump(), status_code=409)
        source = next(
            (c.id for c in board.solution.cohorts if body.participant_id in c.members), None
        )
        if source == body.to_cohort:
            return RevisionAnswer(revision=board.revision["number"], objective_delta=0.0)
        made = {
            "participant_id": body.participant_id,
            "from": source,
            "to": body.to_cohort,
            "forced": bool(result.violations),
            "violations": [v.model_dump() for v in _violations(result)],
            "objective_delta": result.objective_delta,
        }
        number = board.store.add_revision(
            run_id,
            apply_move(board.revision["assignment"], body.participant_id, body.to_cohort),
            made,
        )
        return RevisionAnswer(
            revision=number,
            move=made,
            violations=_violations(result),
            objective_delta=result.objective_delta,
        )


def _step(request: Request, run_id: int, forward: bool) -> RevisionAnswer:
    with _move_lock(run_id):
        board = Board(request, run_id)
        number = board.store.redo(run_id) if forward else board.store.undo(run_id)
        if number is None:
            raise HTTPException(409, "nothing to redo" if forward else "nothing to undo")
        revision = board.store.revision(run_id, number)
        assert revision is not None
        return RevisionAnswer(revision=number, move=revision["move"])


@router.post("/runs/{run_id}/undo", response_model=RevisionAnswer)
def undo(run_id: int, request: Request) -> RevisionAnswer:
    """Back to the revision before (409 at the run's own cohorts)."""
    return _step(request, run_id, forward=False)


@router.post("/runs/{run_id}/redo", response_model=RevisionAnswer)
def redo(run_id: int, request: Request) -> RevisionAnswer:
    """Forward to the revision undone last (409 when none)."""
    return _step(request, run_id, forward=True)


@router.post("/runs/{run_id}/locks")
def set_lock(run_id: int, body: LockRequest, request: Request) -> dict[str, list[str]]:
    """Lock or unlock a member or a whole cohort: moves and repairs keep them in place."""
    board = Board(request, run_id)
    if body.participant_id is not None:
        if body.participant_id not in board.problem.index:
            raise HTTPException(404, f"{body.participant_id} is not a participant of this run")
        board.store.set_lock(run_id, "member", body.participant_id, body.locked)
    else:
        assert body.cohort_id is not None
        if body.cohort_id not in {c.id for c in board.solution.cohorts}:
            raise HTTPException(404, f"this run has no cohort {body.cohort_id}")
        board.store.set_lock(run_id, "cohort", body.cohort_id, body.locked)
    locks = board.store.locks(run_id)
    return {"members": sorted(locks["member"]), "cohorts": sorted(locks["cohort"])}
