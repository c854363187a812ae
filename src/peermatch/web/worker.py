"""One run or repair of the workspace, in its own process: ``python -m peermatch.web.worker DATA RUN_ID``.

Started by :class:`peermatch.web.runs.RunManager`. It solves in its main
thread inside :func:`peermatch.interrupts.catching`, so SIGTERM (the
workspace's "stop") and Ctrl-C stop the search and the best solution so far
is written whole, as with ``peermatch run``. Progress goes to the database,
at most every :data:`EVERY` seconds and on every phase change; the output
folder is written by the library's writer into ``DATA/runs/RUN_ID/out``,
and its cohorts become the run's revision 0. When the server that started
it is gone (killed), it stops its search and records nothing more.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from peermatch.web.db import DB_FILE
from peermatch.web.store import Store

__all__ = ["EVERY", "main", "work"]

#: At most one progress write per this many seconds (phase changes are always written).
EVERY = 0.5
#: How often (seconds) a worker looks whether the server that started it is still there.
WATCH = 1.0
#: Set once the server that started this worker is gone: from then on nothing is recorded
#: (the next server marks the run failed; a result recorded before it starts would race it).
ORPHANED = threading.Event()

EXIT_INVALID, EXIT_INFEASIBLE, EXIT_NO_SOLUTION, EXIT_REJECTED = 1, 3, 4, 5


class _Progress:
    """The solver's progress events, written to the run's row."""

    def __init__(self, store: Store, run_id: int, start: float) -> None:
        self.store, self.run_id, self.start = store, run_id, start
        self.phase, self.last = "", 0.0

    def set_phase(self, phase: str) -> None:
        self.phase = phase
        self.store.update_run(
            self.run_id, only_if=("running",), phase=phase, elapsed=time.monotonic() - self.start
        )

    def __call__(self, event: Any) -> None:
        phase = getattr(event, "phase", "search")
        now = time.monotonic()
        if phase == self.phase and now - self.last < EVERY:
            return
        self.phase, self.last = phase, now
        fields: dict[str, Any] = {"phase": phase, "elapsed": now - self.start}
        if event.objective is not None:
            fields["objective"] = event.objective
            if event.bound is not None:
                fields["bound"] = event.bound
                fields["gap"] = max(0.0, event.objective - event.bound) / max(
                    abs(event.objective), 1.0
                )
        self.store.update_run(self.run_id, only_if=("running",), **fields)


def _watch_parent(parent: int) -> None:
    """Stop the search (SIGTERM to this process) once the server that started it is gone.

    A server killed with SIGKILL cannot stop its workers; they notice here,
    once a second, that they were handed to another parent.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH)
        ORPHANED.set()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="peermatch-watch-parent", daemon=True).start()


def _diagnosis(items: Any) -> list[dict[str, Any]]:
    return [
        {
            "rule": None if d.rule is None else str(d.rule),
            "message": d.message,
            "people": list(d.people),
            "organisations": list(d.organisations),
        }
        for d in items
    ]


def _finish(store: Store, run_id: int, start: float, **fields: Any) -> None:
    if ORPHANED.is_set():
        return
    store.update_run(
        run_id, only_if=("running",), elapsed=time.monotonic() - start, phase="", **fields
    )


def work(data_dir: Path, run_id: int) -> None:
    """Solve run ``run_id`` of the workspace in ``data_dir`` and record what happened."""
    from peermatch import interrupts

    store = Store(data_dir / DB_FILE)
    if not store.update_run(run_id, only_if=("queued",), status="running", phase="reading"):
        return  # cancelled meanwhile, or taken by another worker
    start = time.monotonic()
    progress = _Progress(store, run_id, start)
    parent = int(os.environ.get("PEERMATCH_WORKER_PARENT", "0") or 0)
    with interrupts.catching():
        if parent:
            _watch_parent(parent)
        # From here a signal only stops the search; the best solution is still written.
        interrupts.hold()
        try:
            _solve(store, data_dir, run_id, start, progress)
        except Exception as exc:  # recorded for the organiser; the traceback goes to worker.log
            import traceback

            traceback.print_exc()
            _finish(store, run_id, start, status="failed", message=f"internal error: {exc}")


def _solve(store: Store, data_dir: Path, run_id: int, start: float, progress: _Progress) -> None:
    from peermatch.errors import InputError
    from peermatch.solution import Status
    from peermatch.web.inputs import read_program
    from peermatch.web.runs import run_dir

    run = store.run(run_id)
    assert run is not None
    folder = run_dir(data_dir, run_id)
    files = {_table(p): p for p in (folder / "inputs").iterdir() if p.is_file()}
    try:
        problem = read_program(files)
    except InputError as exc:
        _finish(
            store,
            run_id,
            start,
            status="failed",
            exit_code=EXIT_INVALID,
            message="the inputs have problems",
            diagnosis=[{"rule": None, "message": str(p), "people": []} for p in exc.problems],
        )
        return
    if run["kind"] == "repair":
        from peermatch.web.repairs import solve_repair

        result, extra = solve_repair(store, data_dir, run, problem, progress)
    else:
        from peermatch.deadline import Deadline
        from peermatch.solvers import solve

        deterministic = bool(run["deterministic"])
        result = solve(
            problem,
            time_limit=run["time_limit"],
            seed=run["seed"],
            workers=problem.config.solver.workers,
            allow_unassigned=bool(run["allow_unassigned"]),
            deterministic=deterministic,
            progress=progress,
            deadline=None if deterministic else Deadline(run["time_limit"]),
        )
        extra = None
    stopped = result.interrupted is not None or bool(
        (store.run(run_id) or {}).get("stop_requested")
    )
    if result.status == Status.INFEASIBLE:
        _finish(
            store,
            run_id,
            start,
            status="failed",
            exit_code=EXIT_INFEASIBLE,
            message="no cohorts can satisfy every rule",
            diagnosis=_diagnosis(result.diagnosis),
        )
        return
    if result.status == Status.REJECTED or result.solution is None:
        rejected = result.status == Status.REJECTED
        _finish(
            store,
            run_id,
            start,
            status="cancelled" if stopped and not rejected else "failed",
            exit_code=EXIT_REJECTED if rejected else EXIT_NO_SOLUTION,
            message="the checker rejected the solver's solution (please report this)"
            if rejected
            else "no solution found"
            + (" before the run was stopped" if stopped else " within the time limit"),
            diagnosis=[
                {"rule": str(v.rule), "message": v.message, "people": list(v.people)}
                for v in result.violations
            ],
        )
        return
    _write(store, data_dir, run_id, start, problem, result, extra, stopped)


def _write(
    store: Store,
    data_dir: Path,
    run_id: int,
    start: float,
    problem: Any,
    result: Any,
    extra: Any,
    stopped: bool,
) -> None:
    from peermatch.io.writers import write_outputs
    from peermatch.metrics import cohort_metrics
    from peermatch.violations import violations
    from peermatch.web.moves import assignment_of

    broken = list(violations(problem, result.solution))
    if broken:
        _finish(
            store,
            run_id,
            start,
            status="failed",
            exit_code=EXIT_REJECTED,
            message="the checker rejected the solver's solution (please report this)",
            diagnosis=[
                {"rule": str(v.rule), "message": v.message, "people": list(v.people)}
                for v in broken
            ],
        )
        return
    if ORPHANED.is_set():
        return  # see ORPHANED
    progress_phase = {"phase": "writing"}
    store.update_run(run_id, only_if=("running",), **progress_phase)
    from peermatch.web.runs import run_dir

    out = run_dir(data_dir, run_id) / "out"
    write_outputs(
        out,
        problem,
        result,
        metrics=cohort_metrics(problem, result.solution),
        **(extra or {}),
    )
    if (store.run(run_id) or {}).get("status") != "running":
        return  # the server was restarted meanwhile: this run is no longer ours
    store.add_revision(run_id, assignment_of(result.solution), None)
    _finish(
        store,
        run_id,
        start,
        status="cancelled" if stopped else "done",
        exit_code=0,
        objective=result.objective,
        bound=result.best_bound,
        gap=result.gap,
        # Relative to the data folder, so that the folder may move as a whole.
        out_dir=os.path.relpath(out, data_dir),
        message=f"stopped: the best solution found until {result.interrupted or 'then'} was kept"
        if stopped
        else f"{result.status.value}: {len(result.solution.cohorts)} cohorts, "
        f"{len(result.solution.unassigned)} unassigned",
    )


def _table(path: Path) -> str:
    return "config" if path.name == "program.toml" else path.stem


def main(argv: list[str] | None = None) -> int:
    """``python -m peermatch.web.worker DATA_DIR RUN_ID``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or not args[1].isdigit():
        print("usage: python -m peermatch.web.worker DATA_DIR RUN_ID", file=sys.stderr)
        return 2
    work(Path(args[0]), int(args[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
