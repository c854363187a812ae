"""Which search operator runs next: swap descents or neighbourhood steps, by what each gains.

The neighbourhood search has two operators. A *swap descent*
(:mod:`peermatch.solvers.swaps`) moves single people at a few microseconds
per candidate; a *neighbourhood step* (:mod:`peermatch.solvers.search.lns`)
re-forms a few cohorts with CP-SAT at a few tenths of a second each, and
can make moves no single swap makes. Which pays depends on the program: at
n = 1,000 (planted, seed 1) a fixed interleaving of ten steps per descent
spent 40 of 56 s in steps that lowered the cost twice (178,000 at 60 s),
while descents alone reached 174,000 in 11 s and 172,000 in 31 s; on small
programs the steps do the work.

So the choice is adaptive, as in adaptive large-neighbourhood search (Ropke
& Pisinger 2006): each operator keeps its recent rate of cost decrease per
second (gains and seconds both decayed by ``operator_decay`` at every call of
that operator), and the one with the higher rate runs next. Each operator
keeps at least ``operator_min_share`` of the time (both in
:class:`~peermatch.params.NeighbourhoodParams`), so a rate that has fallen to
nothing is measured again later (the other operator changes the grouping
it works on). Ties go to the operator that has had less time.

The seconds are the search's own: charged seconds in deterministic mode,
so the same run makes the same choices on any machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from peermatch.params import NeighbourhoodParams

__all__ = ["OPERATORS", "OperatorChoice"]

#: The operators, in the order they are first tried.
OPERATORS = ("swaps", "steps")
_DEFAULT = NeighbourhoodParams()


@dataclass
class OperatorChoice:
    """Recent gains and seconds of each operator, and the choice of the next.

    Attributes
    ----------
    gains, seconds
        Decayed sums per operator (cost decrease, seconds).
    total
        Seconds each operator has had in all.
    decay, min_share
        ``operator_decay`` and ``operator_min_share`` of
        :class:`~peermatch.params.NeighbourhoodParams`.
    """

    gains: dict[str, float] = field(default_factory=lambda: dict.fromkeys(OPERATORS, 0.0))
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(OPERATORS, 0.0))
    total: dict[str, float] = field(default_factory=lambda: dict.fromkeys(OPERATORS, 0.0))
    decay: float = _DEFAULT.operator_decay
    min_share: float = _DEFAULT.operator_min_share

    def rate(self, op: str) -> float:
        """Recent cost decrease per second of ``op`` (0 before its first call)."""
        return self.gains[op] / self.seconds[op] if self.seconds[op] > 0 else 0.0

    def pick(self, allowed: tuple[str, ...] = OPERATORS) -> str:
        """The operator to run next, among ``allowed`` (one: that one)."""
        if len(allowed) == 1:
            return allowed[0]
        for op in allowed:
            if not self.total[op]:  # never run (every call adds a positive time)
                return op
        spent = sum(self.total[op] for op in allowed)
        starved = [op for op in allowed if self.total[op] < self.min_share * spent]
        if starved:
            return starved[0]
        return max(allowed, key=lambda op: (self.rate(op), -self.total[op]))

    def record(self, op: str, gain: float, seconds: float) -> None:
        """Count a call of ``op`` that lowered the cost by ``gain`` in ``seconds``."""
        self.gains[op] = self.decay * self.gains[op] + max(0.0, gain)
        self.seconds[op] = self.decay * self.seconds[op] + max(seconds, 1e-6)
        self.total[op] += max(seconds, 1e-6)
