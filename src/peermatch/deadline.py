"""The wall-clock budget of a whole run, shared by every phase.

``peermatch run --time-limit S`` means S seconds of wall clock from the
moment the command starts (before the files are read) to the last file
written. The command creates one :class:`Deadline` first thing and hands it
to :func:`peermatch.solvers.cpsat.solve`, which passes it to each phase: the
greedy start stops at it and returns what it has, the bound is skipped when
it would not fit, the search ends early enough to leave
:meth:`Deadline.reserve` seconds for finishing, checking and writing.

In deterministic mode (``--deterministic``) there is no deadline: the
search's limit is CP-SAT's deterministic time and the set-up is not
deducted, so that runs reproduce on any machine.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

__all__ = ["Deadline", "safety_cap"]

#: Seconds per participant kept back for finishing, checking and writing the outputs.
#: It was 2 ms, then 1.2 ms (n = 100,000 at --time-limit 300 stopped its search 120 s
#: before the limit and wrote nothing, issue 25). With the calendars serialised from
#: their specs and the files synced together, n = 30,000 on a loaded machine (load 4 on
#: 2 cores) took 8.7 s to check, 2.1 s for the metrics, 19.8 s of CPU to render and 5.2 s
#: to publish: about 1.2 ms per person there, half that on quiet cores.
RESERVE_PER_PERSON = 0.0009
#: What finishing and writing need on quiet cores (:meth:`Deadline.writing`): the reserve
#: less its margin, which a search still placing people may spend.
WRITING_PER_PERSON = 0.0005
#: Seconds always kept back at the end: the summary and the report (n = 300 ended 2.7 s
#: after a 30 s limit with 1 s, when the report's charts still took 1.5 s of matplotlib).
RESERVE_BASE = 2.5
#: The reserve never takes more than this share of the whole limit.
RESERVE_SHARE = 0.5


def safety_cap(limit: float) -> float:
    """Deterministic mode's wall-clock safety net for a search of ``limit`` deterministic seconds.

    Only a starved machine reaches it (a run cut by it is no longer reproducible),
    so it is generous: at 3 x limit + 10 s, a CI machine at load 4 cut 4-second
    deterministic searches and the same input gave other cohorts.
    """
    return 20 * limit + 60


@dataclass
class Deadline:
    """A wall-clock limit measured from ``start`` (``time.monotonic()``).

    Attributes
    ----------
    limit
        Seconds allowed for the whole run; ``None`` for no wall-clock limit.
    start
        When the run started (``time.monotonic()``), by default on creation.
    """

    limit: float | None = None
    start: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self.start

    def remaining(self) -> float:
        """Seconds left (``inf`` without a limit; never negative)."""
        if self.limit is None:
            return math.inf
        return max(0.0, self.limit - self.elapsed())

    def expired(self, margin: float = 0.0) -> bool:
        """Whether fewer than ``margin`` seconds are left."""
        return self.remaining() <= margin

    def reserve(self, people: int) -> float:
        """Seconds to keep back after the search for a program of ``people`` participants."""
        if self.limit is None:
            return 0.0
        return min(RESERVE_BASE + RESERVE_PER_PERSON * people, RESERVE_SHARE * self.limit)

    def writing(self, people: int) -> float:
        """The part of :meth:`reserve` that finishing and writing need, without its margin.

        A search that would otherwise end with people unplaced (and nothing
        written) may spend the rest of the reserve.
        """
        if self.limit is None:
            return 0.0
        return min(RESERVE_BASE + WRITING_PER_PERSON * people, self.reserve(people))
