"""The placement rules of program.toml by position, as every solver reads them.

``[limits]``, ``[presence]``, ``[required]`` and ``[closeness]`` (see
:mod:`peermatch.placement` for their meaning) turned into per-person value
indices, holder flags and numbers, carried by
:class:`~peermatch.solvers.instance.FormationInstance` and restricted with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from peermatch.model import ProblemData, closeness_value
from peermatch.placement import holds_required
from peermatch.rules import Rule

__all__ = ["BandRule", "PlacementRules", "RequiredRule", "ValueRule"]


@dataclass(frozen=True)
class ValueRule:
    """A ``[limits]`` or ``[presence]`` rule: ``bound`` = N, each person's value index (or None)."""

    column: str
    bound: int
    values: tuple[int | None, ...]
    names: tuple[str, ...]

    def restrict(self, people: Sequence[int]) -> ValueRule:
        return ValueRule(self.column, self.bound, tuple(self.values[i] for i in people), self.names)


@dataclass(frozen=True)
class RequiredRule:
    """A ``[required]`` rule: whether each person holds one of ``wanted``."""

    column: str
    wanted: tuple[str, ...]
    holds: tuple[bool, ...]

    def restrict(self, people: Sequence[int]) -> RequiredRule:
        return RequiredRule(self.column, self.wanted, tuple(self.holds[i] for i in people))


@dataclass(frozen=True)
class BandRule:
    """A ``[closeness]`` rule: most minus least of ``numbers`` within a cohort at most ``band``."""

    column: str
    band: float
    numbers: tuple[float, ...]

    def restrict(self, people: Sequence[int]) -> BandRule:
        return BandRule(self.column, self.band, tuple(self.numbers[i] for i in people))

    def spread(self, members: Sequence[int]) -> float:
        """Most minus least among ``members`` (0 when empty)."""
        if not members:
            return 0.0
        xs = [self.numbers[i] for i in members]
        return max(xs) - min(xs)


@dataclass(frozen=True)
class PlacementRules:
    """Every placement rule of a program, by position (empty: none asked)."""

    limits: tuple[ValueRule, ...] = ()
    presence: tuple[ValueRule, ...] = ()
    required: tuple[RequiredRule, ...] = ()
    closeness: tuple[BandRule, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.limits or self.presence or self.required or self.closeness)

    def blockers(self, i: int, members: Sequence[int]) -> list[tuple[Rule, str]]:
        """The rules that keep person ``i`` out of a cohort of ``members``, with short phrases."""
        out: list[tuple[Rule, str]] = []
        for rule in self.limits:
            v = rule.values[i]
            if v is not None and sum(rule.values[m] == v for m in members) >= rule.bound:
                out.append((Rule.LIMITS, f"[limits] {rule.column}"))
        for rule in self.presence:
            v = rule.values[i]
            if v is not None and sum(rule.values[m] == v for m in members) + 1 < rule.bound:
                out.append(
                    (Rule.PRESENCE, f"[presence] {rule.column} (they would be the only one)")
                )
        for band in self.closeness:
            if members and band.spread([*members, i]) > band.band:
                out.append((Rule.CLOSENESS, f"[closeness] {band.column}"))
        return out

    def restrict(self, people: Sequence[int]) -> PlacementRules:
        """The rules for ``people`` only (renumbered 0..len-1)."""
        if not self:
            return self
        return PlacementRules(
            tuple(r.restrict(people) for r in self.limits),
            tuple(r.restrict(people) for r in self.presence),
            tuple(r.restrict(people) for r in self.required),
            tuple(r.restrict(people) for r in self.closeness),
        )

    @classmethod
    def of(cls, problem: ProblemData) -> PlacementRules:
        """The rules of ``problem``'s config (its columns were checked when it was built)."""
        config, people = problem.config, problem.participants

        def value_rule(column: str, bound: int) -> ValueRule:
            cells = [p.attribute(column) for p in people]
            names = tuple(sorted({c for c in cells if c is not None}))
            index = {v: k for k, v in enumerate(names)}
            return ValueRule(
                column, bound, tuple(None if c is None else index[c] for c in cells), names
            )

        return cls(
            tuple(value_rule(c, n) for c, n in sorted(config.limits.items())),
            tuple(value_rule(c, n) for c, n in sorted(config.presence.items())),
            tuple(
                RequiredRule(c, w, tuple(holds_required(p.attribute(c), w) for p in people))
                for c, w in sorted(config.required.items())
            ),
            tuple(
                BandRule(c, d, tuple(closeness_value(p.attribute(c)) or 0.0 for p in people))
                for c, d in sorted(config.closeness.items())
            ),
        )
