"""The progress display of ``peermatch run`` on stderr (issue 11).

From the first second it names the phase (reading, slot table, checking,
warm start, bound, search, writing) and the time spent against the limit;
during the search, the best cost, bound and gap. On a terminal it is one
live line (rich); otherwise a plain line per phase and at most one every
five seconds during the search; nothing with ``--quiet``. The same events
reach library callers as :class:`peermatch.solvers.cpsat.Progress`.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from peermatch.deadline import Deadline

__all__ = ["ProgressDisplay"]

#: Plain (not a terminal) output: at most one search line per this many seconds.
PLAIN_EVERY = 5.0


class ProgressDisplay:
    """Progress on stderr for one run, timed by the run's :class:`Deadline`."""

    def __init__(self, quiet: bool, deadline: Deadline, wall_clock: bool = True) -> None:
        self.quiet, self.deadline, self.wall_clock = quiet, deadline, wall_clock
        self.current = ""
        self.last = -1e9
        self.status: Any = None
        self.live = not quiet and sys.stderr.isatty()

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc and exc[0] is not None:
            self.close()

    def close(self) -> None:
        """Stop the live line (the run's own messages follow)."""
        if self.status is not None:
            self.status.stop()
            self.status = None

    def phase(self, name: str) -> None:
        """Announce a phase the command itself runs (reading, writing)."""
        self._show(name, "")

    def __call__(self, event: Any) -> None:
        details = ""
        if event.objective is not None:
            details = f"  cost {event.objective:,.0f}"
            if event.bound is not None:
                gap = max(0.0, event.objective - event.bound) / max(abs(event.objective), 1.0)
                details += f"  bound {event.bound:,.0f}  gap {100 * gap:.2f}%"
        if event.message:
            details += f" ({event.message})"
        self._show(getattr(event, "phase", "search"), details)

    def _clock(self) -> str:
        limit = self.deadline.limit
        elapsed = self.deadline.elapsed()
        if limit is None or not self.wall_clock:
            return f"{elapsed:6.1f}s"
        return f"{elapsed:6.1f}s of {limit:g}s"

    def _show(self, phase: str, details: str) -> None:
        if self.quiet:
            return
        text = f"{phase:<10} {self._clock()}{details}"
        if self.live:
            if self.status is None:
                from rich.console import Console

                self.status = Console(stderr=True).status(text)
                self.status.start()
            self.status.update(text)
        elif phase != self.current or self.deadline.elapsed() - self.last >= PLAIN_EVERY:
            self.last = self.deadline.elapsed()
            click.echo(text, err=True)
        self.current = phase
