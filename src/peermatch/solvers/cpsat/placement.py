"""The placement rules of program.toml as CP-SAT constraints (a part of :class:`Constraints`).

With ``x[i,k]`` person i in cohort k and ``used[k]`` cohort k exists:

- ``[limits] column = N``: for every value v held by more than N people and
  every cohort k, ``sum_{i holds v} x[i,k] <= N``.
- ``[presence] column = N``: ``y[k,v]`` says value v is present in cohort k;
  ``x[i,k] => y[k,v]`` for every holder i of v, and
  ``sum_{i holds v} x[i,k] >= N * y[k,v]``. A value held by fewer than N
  people can only be left out (``x[i,k] = 0`` for its holders).
- ``[required] column = [values]``: ``sum_{i holds one} x[i,k] >= used[k]``.
- ``[closeness] column = D``: integer ``lo[k] <= hi[k]`` with ``hi[k] - lo[k] <= D``
  and ``x[i,k] => lo[k] <= value_i <= hi[k]``; the numbers are scaled to whole
  numbers first (by 10^d, d the decimals written, at most 6), D rounded down.

Enforcement literals name, for the diagnosis, the rule and a key: the value
(limits, presence: ``(rule index, value)``), the rule (required: its index)
and the person (closeness: ``(rule index, person)``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection

from ortools.sat.python import cp_model

from peermatch.rules import Rule
from peermatch.solvers.cpsat.variables import Variables
from peermatch.solvers.instance import FormationInstance

__all__ = ["PlacementConstraints", "scaled"]

Literal = cp_model.IntVar | None


def scaled(numbers: Collection[float], band: float) -> tuple[int, list[int], int]:
    """A scale 10^d that makes every number whole, the scaled numbers and the scaled band.

    >>> scaled([1.5, 2, 10], 1.25)
    (10, [15, 20, 100], 12)
    """
    scale = 1
    for _ in range(6):
        if all(abs(x * scale - round(x * scale)) < 1e-9 for x in numbers):
            break
        scale *= 10
    return scale, [round(x * scale) for x in numbers], math.floor(band * scale + 1e-9)


class PlacementConstraints:
    """The four placement rule families; mixed into :class:`Constraints`."""

    model: cp_model.CpModel
    inst: FormationInstance
    v: Variables
    lit: Callable[[Rule, object], Literal]

    def _enforce(self, ct: cp_model.Constraint, lit: Literal) -> None:
        if lit is not None:
            ct.only_enforce_if(lit)

    def _holders(self, values: tuple[int | None, ...]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for i, value in enumerate(values):
            if value is not None:
                out.setdefault(value, []).append(i)
        return out

    def limits(self) -> None:
        """At most N members of a cohort share a value of a ``[limits]`` column."""
        v = self.v
        for r, rule in enumerate(self.inst.placement.limits):
            for value, people in sorted(self._holders(rule.values).items()):
                if len(people) <= rule.bound:
                    continue
                lit = self.lit(Rule.LIMITS, (r, value))
                for k in range(len(v.used)):
                    xs = [v.x[i, k] for i in people if (i, k) in v.x]
                    if len(xs) > rule.bound:
                        self._enforce(self.model.add(sum(xs) <= rule.bound), lit)

    def presence(self) -> None:
        """A ``[presence]`` value present in a cohort is held by at least N of its members."""
        v = self.v
        for r, rule in enumerate(self.inst.placement.presence):
            for value, people in sorted(self._holders(rule.values).items()):
                lit = self.lit(Rule.PRESENCE, (r, value))
                for k in range(len(v.used)):
                    xs = [v.x[i, k] for i in people if (i, k) in v.x]
                    if not xs:
                        continue
                    present = self.model.new_bool_var(f"present[{r},{value},{k}]")
                    for x in xs:
                        self._enforce(self.model.add_implication(x, present), lit)
                    self._enforce(self.model.add(sum(xs) >= rule.bound * present), lit)

    def required(self) -> None:
        """Every cohort has a member holding one of a ``[required]`` rule's values."""
        v = self.v
        for r, rule in enumerate(self.inst.placement.required):
            lit = self.lit(Rule.REQUIRED, r)
            for k, used in enumerate(v.used):
                xs = [v.x[i, k] for i in v.members_of[k] if rule.holds[i]]
                self._enforce(self.model.add(sum(xs) >= used), lit)

    def closeness(self) -> None:
        """Most minus least of a ``[closeness]`` column within a cohort is at most D."""
        v = self.v
        for r, rule in enumerate(self.inst.placement.closeness):
            _, numbers, band = scaled(rule.numbers, rule.band)
            if not numbers or max(numbers) - min(numbers) <= band:
                continue
            floor, top = min(numbers), max(numbers)
            for k in range(len(v.used)):
                lo = self.model.new_int_var(floor, top, f"lo[{r},{k}]")
                hi = self.model.new_int_var(floor, top, f"hi[{r},{k}]")
                self.model.add(hi - lo <= band)
                for i in v.members_of[k]:
                    lit = self.lit(Rule.CLOSENESS, (r, i))
                    both = [v.x[i, k]] if lit is None else [v.x[i, k], lit]
                    self.model.add(lo <= numbers[i]).only_enforce_if(both)
                    self.model.add(hi >= numbers[i]).only_enforce_if(both)
