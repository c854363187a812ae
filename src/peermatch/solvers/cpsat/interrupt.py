"""Ctrl-C and SIGTERM while solving: stop the search and keep the best solution found so far.

CP-SAT's own SIGINT handling (the ``catch_sigint_signal`` parameter, on by
default) only stops the solve that is running, and when that solve ends it
resets SIGINT to the default action; it knows nothing of SIGTERM. ``solve()``
runs many solves in a row (hint completion, the bound model, the main model,
neighbourhood search), so a signal either stopped one small solve and was
forgotten (the search went on to the time limit), or, arriving between two
solves, killed the process before anything was written.

So peermatch switches CP-SAT's handler off and handles both signals itself
(:mod:`peermatch.interrupts`). Within :func:`interruptible` a signal is only
recorded and stops the running search; every solve goes through :func:`run`,
which does not start a search once a signal has arrived; loops of solves
check :func:`requested`. :func:`run` solves in a helper thread so that the
main thread, which alone runs Python's signal handlers, stays free to notice
a signal while CP-SAT works. The :class:`~peermatch.solution.Result` of an
interrupted solve names the signal in ``interrupted``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any, ParamSpec, TypeVar, cast

from ortools.sat.python import cp_model

from peermatch import interrupts
from peermatch.interrupts import catching, requested
from peermatch.solution import Result

__all__ = ["catching", "interruptible", "requested", "run"]

P = ParamSpec("P")
R = TypeVar("R")

#: How often (seconds) the main thread looks for a signal while a solve runs.
POLL = 0.05


def interruptible(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with SIGINT and SIGTERM stopping the search; mark its result if one came.

    The :class:`~peermatch.solution.Result` ``func`` returns (alone, or first
    in a tuple, as ``repair`` returns it) gets ``interrupted`` set to the
    signal's name.
    """

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with catching(), interrupts.deferred():
            value = func(*args, **kwargs)
            name = interrupts.received()
        return _marked(value, name) if name else value

    return wrapper


def _marked(value: R, name: str) -> R:
    if isinstance(value, Result):
        return cast(R, replace(value, interrupted=name))
    if isinstance(value, tuple) and value and isinstance(value[0], Result):
        return cast(R, (replace(value[0], interrupted=name), *value[1:]))
    return value


def run(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    callback: cp_model.CpSolverSolutionCallback | None = None,
) -> Any:
    """``solver.solve(model, callback)``, stopped early by SIGINT or SIGTERM within :func:`catching`."""
    # CP-SAT's handler would reset SIGINT to "terminate" when the solve ends.
    solver.parameters.catch_sigint_signal = False
    if requested():
        # No new search after a signal; a zero budget still gives the solver a
        # response (status UNKNOWN, times) for the caller to read.
        solver.parameters.max_time_in_seconds = 0.0
        return solver.solve(model, callback)
    if not interrupts.active():
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
        if requested():
            # Repeated: a stop sent before the search has started is not remembered.
            solver.stop_search()
    if "error" in box:
        raise box["error"]
    return box["status"]
