"""Invitations from the board: one folder per run that invitations are sent from.

``DATA/runs/RUN_ID/invite/`` holds the current revision as ``peermatch
invite`` needs it, written by the library's writer as a repair of what it
held before (:func:`peermatch.repair.calendar_plan`: unchanged calendars
byte for byte, changed ones with ``SEQUENCE`` raised;
:func:`peermatch.repair.carried_files`: the ledger ``invitations.json``), so
that sending again after hand moves sends only updates and cancellations.
A repair's first invitations start from its parent run's folder, ledger
included. :func:`peermatch.invitations.invite` does the sending.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from peermatch.web.moves import RunState
from peermatch.web.runs import run_dir
from peermatch.web.store import Store

__all__ = ["INVITE_FOLDER", "invite_folder"]

#: The folder invitations of a run are sent from, inside the run's folder.
INVITE_FOLDER = "invite"

_writing = threading.Lock()


def _earlier(data_dir: Path, store: Store, run: dict[str, Any]) -> Path | None:
    """The folder invitations were last sent from: the run's own, else its parent's."""
    current: dict[str, Any] | None = run
    while current is not None:
        folder = run_dir(data_dir, int(current["id"])) / INVITE_FOLDER
        if (folder / "summary.json").is_file():
            return folder
        parent = current["parent_run"]
        current = store.run(int(parent)) if parent is not None else None
    return None


def invite_folder(
    data_dir: Path, store: Store, run: dict[str, Any], revision: dict[str, Any], state: RunState
) -> Path:
    """Write the run's invitation folder for ``revision`` (see the module docstring)."""
    from peermatch.io.writers import write_outputs
    from peermatch.metrics import cohort_metrics, diversity_cost
    from peermatch.repair import calendar_plan, carried_files, read_previous_run
    from peermatch.solution import Result, Status

    problem, solution = state.problem, state.solution(revision)
    mode = problem.config.calendar.mode
    folder = run_dir(data_dir, int(run["id"])) / INVITE_FOLDER
    with _writing:
        earlier_dir = _earlier(data_dir, store, run)
        options: dict[str, Any] = {}
        if earlier_dir is not None:
            earlier = read_previous_run(earlier_dir, problem)
            sequences, kept = calendar_plan(problem, earlier, solution, mode)
            options = {"sequences": sequences, "extra": {**carried_files(earlier_dir), **kept}}
        result = Result(
            status=Status.FEASIBLE, objective=diversity_cost(problem, solution), solution=solution
        )
        write_outputs(
            folder,
            problem,
            result,
            calendar_mode=mode,
            metrics=cohort_metrics(problem, solution),
            **options,
        )
    return folder
