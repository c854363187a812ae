"""Ctrl-C while solving: stop the search and keep the best solution found so far.

CP-SAT's own SIGINT handling (the ``catch_sigint_signal`` parameter, on by
default) only stops the solve that is running, and when that solve ends it
resets SIGINT to the default action. ``solve()`` runs many solves in a row
(hint completion, the bound model, the main model, neighbourhood search), so
a Ctrl-C either stopped one small solve and was forgotten (the search went on
to the time limit), or, arriving between two solves, killed the process
before anything was written.

So peermatch switches CP-SAT's handler off and handles Ctrl-C itself. Within
:func:`catching`, Ctrl-C sets a flag and stops the running search; every
solve goes through :func:`run`, which returns at once when the flag is set;
loops of solves check :func:`requested`. :func:`run` solves in a helper
thread so that the main thread, which alone runs Python's signal handlers,
stays free to notice Ctrl-C while CP-SAT works.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from types import FrameType
from typing import Any, ParamSpec, TypeVar

from ortools.sat.python import cp_model

__all__ = ["catching", "interruptible", "requested", "run"]

P = ParamSpec("P")
R = TypeVar("R")

#: How often (seconds) the main thread looks for a Ctrl-C while a solve runs.
POLL = 0.05


class _State:
    def __init__(self) -> None:
        self.requested = False


_state: _State | None = None


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    if _state is not None:
        _state.requested = True


@contextmanager
def catching() -> Iterator[None]:
    """Within this block Ctrl-C stops the search instead of raising KeyboardInterrupt.

    Only the main thread can own a signal handler; elsewhere (and when
    nested) this does nothing and solves run as they are.
    """
    global _state
    if threading.current_thread() is not threading.main_thread() or _state is not None:
        yield
        return
    _state = _State()
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _state = None


def interruptible(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` within :func:`catching`."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with catching():
            return func(*args, **kwargs)

    return wrapper


def requested() -> bool:
    """Whether Ctrl-C was pressed within the current :func:`catching` block."""
    return _state is not None and _state.requested


def run(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    callback: cp_model.CpSolverSolutionCallback | None = None,
) -> Any:
    """``solver.solve(model, callback)``, stopped early by Ctrl-C within :func:`catching`."""
    # CP-SAT's handler would reset SIGINT to "terminate" when the solve ends.
    solver.parameters.catch_sigint_signal = False
    state = _state
    if state is None:
        return solver.solve(model, callback)
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["status"] = solver.solve(model, callback)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work, name="peermatch-cp-sat", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(POLL)
        if state.requested:
            # Repeated: a stop sent before the search has started is not remembered.
            solver.stop_search()
    if "error" in box:
        raise box["error"]
    return box["status"]
