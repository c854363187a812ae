"""The run manager: runs and repairs in worker processes, their progress in the database.

Each run is solved by its own process, ``python -m peermatch.web.worker DATA
RUN_ID`` (:mod:`peermatch.web.worker`), which reads the inputs copied into
the run's folder when it was asked for, calls the library
(:func:`peermatch.solve` or the repair), records its progress in the
database, writes the output folder with the command line's writer into
``DATA/runs/RUN_ID/out/`` and records the cohorts as the run's revision 0.
A process, not a thread: stopping a run is SIGTERM, exactly as for
``peermatch run`` (the search stops and the best solution so far is written),
and a solver crash cannot take the server down.

A dispatcher thread starts queued runs oldest first, at most
:data:`MAX_PARALLEL` at once, and notices workers that ended without saying
how (a crash): their runs are marked ``failed``.

After a restart
---------------
Runs left ``queued`` or ``running`` by a server that was killed are marked
``failed`` with a message saying so (the organiser starts them again; a
silent re-run could surprise them with a different result). A worker
orphaned by the killed server notices within a second, stops its search and
records nothing more.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from peermatch.web.store import ACTIVE, Store

__all__ = ["ABANDONED", "MAX_PARALLEL", "RunManager", "run_dir"]

#: How many runs solve at once; the others wait, queued.
MAX_PARALLEL = 1
#: The message of a run a killed server left unfinished.
ABANDONED = "the server stopped before this run finished; start it again"
#: How often (seconds) the dispatcher looks for work and for ended workers.
POLL = 0.2


def run_dir(data_dir: Path, run_id: int) -> Path:
    """The folder of one run: ``inputs/`` (its copy of the tables), ``out/``, ``revisions/``."""
    return data_dir / "runs" / str(run_id)


class RunManager:
    """Queue, start, watch and stop runs (see the module docstring)."""

    def __init__(self, store: Store, data_dir: Path, *, start_workers: bool = True) -> None:
        self.store, self.data_dir, self.start_workers = store, data_dir, start_workers
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- life cycle -------------------------------------------------------------

    def recover(self) -> None:
        """Mark runs a killed server left unfinished as failed; start the dispatcher."""
        for run in self.store.runs_in(ACTIVE):
            self.store.update_run(
                run["id"], only_if=ACTIVE, status="failed", message=ABANDONED, phase=""
            )
        if self.start_workers and self._thread is None:
            self._thread = threading.Thread(
                target=self._dispatch, name="peermatch-runs", daemon=True
            )
            self._thread.start()

    def shutdown(self, wait: float = 10.0) -> None:
        """Stop the dispatcher; stop running workers as SIGTERM does (they write their best)."""
        self._stopping.set()
        self._wake.set()
        with self._lock:
            children = list(self._children.items())
        for _, child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for run_id, child in children:
            try:
                child.wait(wait)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            self._reap(run_id, child)
        if self._thread is not None:
            self._thread.join(wait)
            self._thread = None

    # --- requests ---------------------------------------------------------------

    def submit(
        self,
        program_id: int,
        inputs: dict[str, Path],
        *,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> tuple[int, bool]:
        """Queue a run (or find the one already asked for): ``(run_id, created)``.

        ``inputs`` (table -> stored file) are copied into the run's folder,
        so that later uploads do not change what it solves. ``fields`` are
        :meth:`Store.create_run`'s (kind, parent_run, time_limit...).
        """
        run_id, created = self.store.create_run(
            program_id, idempotency_key=idempotency_key, **fields
        )
        if created:
            folder = run_dir(self.data_dir, run_id) / "inputs"
            folder.mkdir(parents=True, exist_ok=True)
            for path in inputs.values():
                shutil.copyfile(path, folder / path.name)
            self._wake.set()
        return run_id, created

    def stop(self, run_id: int) -> bool:
        """Stop a run: a queued one is cancelled; a running one stops its search and keeps its best.

        Returns whether the run was still queued or running.
        """
        if self.store.update_run(run_id, only_if=("queued",), status="cancelled", exit_code=4):
            return True
        if not self.store.update_run(run_id, only_if=("running",), stop_requested=1):
            return False
        with self._lock:
            child = self._children.get(run_id)
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
        return True

    # --- the dispatcher ---------------------------------------------------------

    def _dispatch(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(POLL)
            self._wake.clear()
            with self._lock:
                ended = [(i, c) for i, c in self._children.items() if c.poll() is not None]
            for run_id, child in ended:
                self._reap(run_id, child)
            with self._lock:
                free = MAX_PARALLEL - len(self._children)
            if free <= 0 or self._stopping.is_set():
                continue
            for run in self.store.runs_in(("queued",))[:free]:
                self._launch(int(run["id"]))

    def _launch(self, run_id: int) -> None:
        folder = run_dir(self.data_dir, run_id)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "worker.log", "ab") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "peermatch.web.worker", str(self.data_dir), str(run_id)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PEERMATCH_WORKER_PARENT": str(os.getpid())},
            )
        with self._lock:
            self._children[run_id] = child

    def _reap(self, run_id: int, child: subprocess.Popen[bytes]) -> None:
        """Forget an ended worker; a run it left unfinished failed (it crashed)."""
        with self._lock:
            self._children.pop(run_id, None)
        code = child.poll()
        self.store.update_run(
            run_id,
            only_if=ACTIVE,
            status="failed",
            phase="",
            message=f"the worker process ended unexpectedly (exit status {code}); "
            f"see {run_dir(self.data_dir, run_id) / 'worker.log'}",
        )
