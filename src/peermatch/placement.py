"""The four placement rules of program.toml, checked on a cohort's members (no solver).

- ``[limits] column = N``: at most N members share a (non-blank) value.
- ``[presence] column = N``: a (non-blank) value held in a cohort is held by at
  least N members: nobody is the only one.
- ``[required] column = [values]``: some member holds one of the values
  (compared without regard to case).
- ``[closeness] column = D``: most minus least of a numeric column at most D.
  Every cell of such a column must be a number (a blank is an input error:
  the band could not be checked).

:func:`placement_violations` is the checker's half (:func:`peermatch.violations`);
:func:`placement_reasons` says, for :mod:`peermatch.explain`, which of these
rules a person joining a cohort would break. Neither shares code with the
solver's model or its cohort state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from peermatch.model import Participant, ProblemData, closeness_value
from peermatch.rules import Rule, Violation

__all__ = ["holds_required", "placement_reasons", "placement_violations"]


def holds_required(cell: str | None, wanted: Sequence[str]) -> bool:
    """Whether a cell holds one of a ``[required]`` rule's values (case is ignored).

    >>> holds_required("finance", ["Finance", "Legal"]), holds_required(None, ["Finance"])
    (True, False)
    """
    return cell is not None and cell.casefold() in {w.casefold() for w in wanted}


def _by_value(people: Sequence[Participant], column: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for p in people:
        value = p.attribute(column)
        if value is not None:
            out[value].append(p.id)
    return out


def placement_violations(
    problem: ProblemData, cohort: str | None, people: Sequence[Participant]
) -> Iterator[Violation]:
    """Every placement rule the members ``people`` of ``cohort`` break."""
    config = problem.config
    # [limits] and [presence] both count a value's holders: too many, too few.
    for rule, table in ((Rule.LIMITS, config.limits), (Rule.PRESENCE, config.presence)):
        for column, bound in sorted(table.items()):
            for value, ids in sorted(_by_value(people, column).items()):
                if rule is Rule.LIMITS and len(ids) > bound:
                    why = f"{len(ids)} members with {column} {value} (at most {bound}): {', '.join(ids)}"
                elif rule is Rule.PRESENCE and len(ids) < bound:
                    who = (
                        f"{ids[0]} is the only member" if len(ids) == 1 else f"{', '.join(ids)} are"
                    )
                    why = f"{who} with {column} {value} (at least {bound} when present)"
                else:
                    continue
                yield Violation(rule, why, cohort, tuple(ids))
    for column, wanted in sorted(config.required.items()):
        if people and not any(holds_required(p.attribute(column), wanted) for p in people):
            yield Violation(Rule.REQUIRED, f"no member with {column} {' or '.join(wanted)}", cohort)
    for column, band in sorted(config.closeness.items()):
        numbers = [(closeness_value(p.attribute(column)), p.id) for p in people]
        known = [(x, pid) for x, pid in numbers if x is not None]
        if known:
            lo, hi = min(known), max(known)
            if hi[0] - lo[0] > band:
                yield Violation(
                    Rule.CLOSENESS,
                    f"{column} from {lo[0]:g} ({lo[1]}) to {hi[0]:g} ({hi[1]}) differs by more "
                    f"than {band:g}",
                    cohort,
                    (lo[1], hi[1]),
                )


def placement_reasons(
    problem: ProblemData, person: Participant, members: Sequence[Participant], cohort: str
) -> list[tuple[Rule, str]]:
    """Why ``person`` may not join ``cohort`` (whose members are ``members``), by these rules.

    Only what the person's arrival itself breaks is named: a limit reached, a
    band left, or being the only holder of a value (``[presence]``). What the cohort
    the person leaves would lose (a ``[required]`` holder) is not named here.
    """
    config = problem.config
    out: list[tuple[Rule, str]] = []
    for column, most in sorted(config.limits.items()):
        value = person.attribute(column)
        have = sum(1 for m in members if value is not None and m.attribute(column) == value)
        if value is not None and have >= most:
            out.append(
                (
                    Rule.LIMITS,
                    f"{cohort} already has {have} member{'s' * (have != 1)} with {column} "
                    f"{value} (limit {most})",
                )
            )
    for column, least in sorted(config.presence.items()):
        value = person.attribute(column)
        have = sum(1 for m in members if value is not None and m.attribute(column) == value)
        if value is not None and have + 1 < least:
            alone = "the only one" if have == 0 else f"one of only {have + 1}"
            out.append(
                (
                    Rule.PRESENCE,
                    f"{person.id} would be {alone} with {column} {value} in {cohort} "
                    f"(at least {least})",
                )
            )
    for column, band in sorted(config.closeness.items()):
        mine = closeness_value(person.attribute(column))
        theirs = [x for m in members if (x := closeness_value(m.attribute(column))) is not None]
        if mine is not None and theirs and max([*theirs, mine]) - min([*theirs, mine]) > band:
            out.append(
                (
                    Rule.CLOSENESS,
                    f"{person.id}'s {column} {mine:g} is outside {cohort}'s band "
                    f"{min(theirs):g}..{max(theirs):g} (at most {band:g} apart)",
                )
            )
    return out
