"""Progress events of a solve (solver-free, so that callers need not import a back end)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Progress", "ProgressFn"]


@dataclass(frozen=True)
class Progress:
    """A progress event: seconds since the start, best cost so far, best bound, and the phase.

    ``phase`` is one of ``slot table``, ``checking``, ``warm start``, ``bound``
    and ``search`` (the command line adds ``reading`` and ``writing``); a
    phase's first event has no cost yet. ``limit`` is the wall-clock limit
    of the whole run, ``None`` in deterministic mode.
    """

    elapsed: float
    objective: float | None
    bound: float | None
    message: str = ""
    phase: str = "search"
    limit: float | None = None


#: What ``solve(progress=...)`` calls on every improvement.
ProgressFn = Callable[[Progress], None]
