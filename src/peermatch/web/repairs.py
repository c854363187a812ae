"""A repair from the board: the current revision, its hand moves kept as locks, the current inputs.

Run by the worker (:mod:`peermatch.web.worker`) for a run of kind
``repair``. The parent run's current revision is written as an output folder
(:func:`peermatch.web.exports.revision_folder`) and read back as the earlier
run (:func:`peermatch.repair.read_previous_run`); everyone moved by hand, every
locked member and every member of a locked cohort is locked to their cohort
(:func:`peermatch.web.moves.hand_locks`) for the search only, and the result is
written as ``peermatch repair`` writes it (changes.csv, calendars kept).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peermatch.model import ProblemData
from peermatch.web.store import Store

__all__ = ["solve_repair"]


def solve_repair(
    store: Store, data_dir: Path, run: dict[str, Any], problem: ProblemData, progress: Any
) -> tuple[Any, dict[str, Any] | None]:
    """The repair's result and the writer's keyword arguments (``None`` without a solution)."""
    from peermatch.previous_run import calendar_plan, changes, changes_csv, read_previous_run
    from peermatch.solvers.search.repairing import repair
    from peermatch.web.exports import revision_folder
    from peermatch.web.moves import RunState, hand_locks

    parent = store.run(int(run["parent_run"]))
    assert parent is not None and parent["out_dir"]
    revision = store.revision(int(parent["id"]), run["parent_revision"])
    assert revision is not None
    state = RunState(data_dir / parent["out_dir"])
    current = state.solution(revision)
    before = state.base.cohort_of()
    moved = {p for p, c in current.cohort_of().items() if before.get(p) != c}
    locks = store.locks(int(parent["id"]))
    extra_locks = hand_locks(problem, current, moved, locks["member"], locks["cohort"])
    searched = problem.replace(locks=problem.locks + extra_locks)
    progress.set_phase("repair")
    earlier = read_previous_run(revision_folder(data_dir, parent, revision, state), problem)
    result, reasons = repair(
        searched,
        earlier,
        time_limit=run["time_limit"],
        seed=run["seed"],
        workers=problem.config.solver.workers,
        deterministic=bool(run["deterministic"]),
    )
    if result.solution is None:
        return result, None
    mode = problem.config.calendar.mode
    rows = changes(problem, earlier, result.solution, reasons)
    sequences, kept = calendar_plan(problem, earlier, result.solution, mode)
    return result, {
        "calendar_mode": mode,
        "sequences": sequences,
        "extra": {**kept, "changes.csv": changes_csv(rows)},
    }
