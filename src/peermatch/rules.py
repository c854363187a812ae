"""The hard rules, named once: :class:`Rule`, the typed :class:`Diagnosis` and :class:`Violation`.

Every layer speaks of a rule by the same :class:`Rule` member: the CP-SAT
model's constraint families and their assumption literals, the pre-solve
checks, :func:`peermatch.violations`, the diagnoses and every message. This
module imports nothing from peermatch, so the checker, the readers and the
solver can all use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["SHOWN_IDS", "Diagnosis", "Rule", "Violation", "format_diagnoses", "listed"]


class Rule(StrEnum):
    """One hard rule. The value is the label shown in messages (``[organisation] ...``)."""

    ASSIGNMENT = "assignment"  #: everyone in exactly one cohort, or listed as unassigned
    SIZE = "size"  #: min_size..max_size members
    ORGANISATION = "organisation"  #: max_per_organisation
    NEUTRALITY = "neutrality"  #: no reporting line or shared history inside a cohort
    LEVEL = "level"  #: max_level_gap
    SIMILARITY = "similarity"  #: [similarity] attributes shared
    SCHEDULE = "schedule"  #: one weekly slot, anchored in the right zone, full series
    BLACKOUT = "blackout"  #: blackout_dates
    AVAILABILITY = "availability"  #: every member free for every session
    FACILITATOR = "facilitator"  #: one free, neutral, external facilitator within capacity
    LOCK = "lock"  #: locks.csv: a locked person is in the cohort of that id
    TOGETHER = "together"  #: pairs.csv: a together pair (or chain) shares a cohort
    LIMITS = "limits"  #: [limits]: at most N members of a cohort share a value of a column
    PRESENCE = "presence"  #: [presence]: a value present in a cohort is held by at least N
    REQUIRED = "required"  #: [required]: every cohort has a holder of one of the values
    CLOSENESS = "closeness"  #: [closeness]: most minus least of a numeric column at most D

    @property
    def description(self) -> str:
        """What the rule requires, in one line."""
        return _DESCRIPTIONS[self]

    @property
    def phrase(self) -> str:
        """The rule in a diagnosis, with ``{}`` for the people, organisations or settings."""
        return _PHRASES[self]


_DESCRIPTIONS: dict[Rule, str] = {
    Rule.ASSIGNMENT: "every participant is in exactly one cohort (or listed as unassigned)",
    Rule.SIZE: "cohort size within min_size..max_size",
    Rule.ORGANISATION: "at most max_per_organisation members of one organisation",
    Rule.NEUTRALITY: "no two members linked by a reporting line or shared history",
    Rule.LEVEL: "most senior minus most junior at most max_level_gap",
    Rule.SIMILARITY: "members share the value of every similarity attribute",
    Rule.SCHEDULE: "one weekly slot, anchored in the right zone, with the full series of sessions",
    Rule.BLACKOUT: "no session on a blackout date",
    Rule.AVAILABILITY: "every member can attend every session on its actual date",
    Rule.FACILITATOR: "exactly one free, neutral, external facilitator within capacity",
    Rule.LOCK: "every locked person is in the cohort of that id (locks.csv)",
    Rule.TOGETHER: "both people of a together pair share a cohort (pairs.csv)",
    Rule.LIMITS: "at most N members of a cohort share a value of a [limits] column",
    Rule.PRESENCE: "a value of a [presence] column present in a cohort is held by at least N",
    Rule.REQUIRED: "every cohort has a member holding a [required] value",
    Rule.CLOSENESS: "most minus least of a [closeness] column within a cohort at most D",
}

_PHRASES: dict[Rule, str] = {
    Rule.ASSIGNMENT: "placing everyone ({})",
    Rule.SIZE: "cohort sizes ({})",
    Rule.ORGANISATION: "at most max_per_organisation per cohort, for {}",
    Rule.NEUTRALITY: "keeping linked people apart: {}",
    Rule.LEVEL: "the level gap, for {}",
    Rule.SIMILARITY: "a shared {}",
    Rule.SCHEDULE: "the weekly slot ({})",
    Rule.BLACKOUT: "the blackout dates ({})",
    Rule.AVAILABILITY: "a common weekly slot, for {}",
    Rule.FACILITATOR: "facilitators ({})",
    Rule.LOCK: "locked people in their cohort: {}",
    Rule.TOGETHER: "keeping together groups in one cohort: {}",
    Rule.LIMITS: "the [limits] rule, for {}",
    Rule.PRESENCE: "nobody the only one ([presence]), for {}",
    Rule.REQUIRED: "a required member in every cohort ([required]), for {}",
    Rule.CLOSENESS: "the [closeness] band, for {}",
}


#: How many ids a message lists before "and N more".
SHOWN_IDS = 12


def listed(ids: Iterable[str], shown: int = SHOWN_IDS) -> str:
    """The first ``shown`` of ``ids`` for a message: ``a, b, c and 9 more``."""
    ids = list(ids)
    return ", ".join(ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


@dataclass(frozen=True)
class Diagnosis:
    """A reason why a problem cannot be solved, in the organiser's terms.

    Attributes
    ----------
    rule
        The rule in conflict; ``None`` when no rule could be named (the
        proof ran out of time, or the model itself was invalid).
    message
        One or two sentences for the organiser.
    people
        Ids of the participants (or facilitators) concerned.
    organisations
        Organisations concerned.
    jointly
        ``True`` when this rule conflicts only *together with* the other
        jointly-reported ones (CP-SAT's infeasible core), rather than on its own.
    """

    rule: Rule | None
    message: str
    people: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    jointly: bool = False

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}" if self.rule is not None else self.message

    @classmethod
    def naming(cls, rule: Rule | None, message: str, people: Iterable[str]) -> Diagnosis:
        """A diagnosis whose message ends with the people concerned (``: a, b and 3 more``)."""
        people = tuple(people)
        return cls(rule, f"{message}: {listed(people)}", people)


@dataclass(frozen=True)
class Violation:
    """One broken rule in a solution: the rule, the cohort, the people involved, and a message.

    :func:`peermatch.violations` finds them; a :class:`~peermatch.solution.Result`
    the checker rejected carries them.
    """

    rule: Rule
    message: str
    cohort: str | None = None
    people: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"cohort {self.cohort}: " if self.cohort else ""
        return f"[{self.rule}] {where}{self.message}"


def format_diagnoses(diagnoses: Iterable[Diagnosis]) -> str:
    """The diagnoses as lines of text: each one on its own, then the rules in joint conflict.

    Examples
    --------
    >>> print(format_diagnoses([
    ...     Diagnosis(Rule.LEVEL, "the level gap, for p1", ("p1",), jointly=True),
    ...     Diagnosis(Rule.NEUTRALITY, "keeping linked people apart: p1-p2", jointly=True),
    ... ]))
    these rules cannot all hold together:
      - [level] the level gap, for p1
      - [neutrality] keeping linked people apart: p1-p2
    """
    found: Sequence[Diagnosis] = list(diagnoses)
    lines = [str(d) for d in found if not d.jointly]
    joint = [d for d in found if d.jointly]
    if joint:
        lines.append("these rules cannot all hold together:")
        lines += [f"  - {d}" for d in joint]
    return "\n".join(lines)
