"""Why a participant is in their cohort, and what keeps them out of every other one.

Solver-free: the problem and the solution come from the output folder's
``run.json`` (see :mod:`peermatch.report.folder`). For every other cohort the
person is moved there (the cohort keeps its slot, sessions and facilitator)
and :func:`peermatch.violations.violations` is asked which rules the moved
solution breaks, naming the other person, the organisation or the setting.
When no rule breaks, the cost is the change in the objective
(:func:`peermatch.metrics.diversity_cost`, the solver's objective recomputed).

The JSON form (``peermatch explain --json``), schema version 1::

    {"version": 1,
     "participant": {"id", "name", "organisation"},
     "cohort": "C01" or null, "unassigned_reason": null or "...",
     "objective": 58500.0,
     "current": [violation, ...],           # rules broken where they are (normally none)
     "alternatives": [{"cohort": "C02", "allowed": false,
                       "violations": [{"rule", "title", "cohort", "people", "message"}, ...],
                       "objective": null or number, "objective_delta": null or number}, ...]}
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from peermatch.availability import DAY_NAMES
from peermatch.errors import PeermatchError
from peermatch.io.ical import natural_key
from peermatch.metrics import diversity_cost
from peermatch.model import Participant, ProblemData
from peermatch.placement import placement_reasons
from peermatch.report.context import rule_title
from peermatch.rules import Rule
from peermatch.solution import Solution
from peermatch.violations import Violation, violations

__all__ = ["Alternative", "Explanation", "UnknownParticipant", "explain", "render_text"]

SCHEMA_VERSION = 1


class UnknownParticipant(PeermatchError, LookupError):
    """The id is not a participant of the run."""


@dataclass(frozen=True)
class Alternative:
    """Another cohort: the rules that keep the person out, or the cost of moving them there."""

    cohort: str
    violations: tuple[Violation, ...]
    objective: float | None

    @property
    def allowed(self) -> bool:
        """Whether every rule would still hold after the move."""
        return not self.violations


@dataclass(frozen=True)
class Explanation:
    """Everything ``peermatch explain`` says about one participant."""

    participant: str
    name: str
    organisation: str
    cohort: str | None
    unassigned_reason: str | None
    objective: float
    current: tuple[Violation, ...]
    alternatives: tuple[Alternative, ...]
    where: str = ""

    def as_json(self) -> dict[str, Any]:
        """The JSON form (see the module docstring)."""
        return {
            "version": SCHEMA_VERSION,
            "participant": {
                "id": self.participant,
                "name": self.name,
                "organisation": self.organisation,
            },
            "cohort": self.cohort,
            "unassigned_reason": self.unassigned_reason,
            "objective": self.objective,
            "current": [_violation_json(v) for v in self.current],
            "alternatives": [
                {
                    "cohort": a.cohort,
                    "allowed": a.allowed,
                    "violations": [_violation_json(v) for v in a.violations],
                    "objective": a.objective,
                    "objective_delta": None
                    if a.objective is None
                    else a.objective - self.objective,
                }
                for a in self.alternatives
            ],
        }


def _violation_json(v: Violation) -> dict[str, Any]:
    return {
        "rule": str(v.rule),
        "title": rule_title(v.rule),
        "cohort": v.cohort,
        "people": list(v.people),
        "message": v.message,
    }


def _moved(solution: Solution, pid: str, target: str) -> Solution:
    """The solution with ``pid`` taken out of wherever they are and put into ``target``."""
    cohorts = []
    for c in solution.cohorts:
        members = tuple(m for m in c.members if m != pid)
        if c.id == target:
            members = (*members, pid)
        cohorts.append(c.model_copy(update={"members": members}))
    left = tuple(u for u in solution.unassigned if u.participant_id != pid)
    return Solution(cohorts=tuple(cohorts), unassigned=left)


def _key(v: Violation) -> tuple[str, str | None, tuple[str, ...], str]:
    return (str(v.rule), v.cohort, v.people, v.message)


def explain(problem: ProblemData, solution: Solution, participant_id: str) -> Explanation:
    """Explain where ``participant_id`` is and why they are in no other cohort.

    Raises
    ------
    UnknownParticipant
        When the id is not one of the run's participants.
    """
    if participant_id not in problem.index:
        raise UnknownParticipant(participant_id)
    person = problem.participants[problem.index[participant_id]]
    where = solution.cohort_of().get(participant_id)
    reason = next(
        (u.reason for u in solution.unassigned if u.participant_id == participant_id), None
    )
    base = list(violations(problem, solution))
    known = {_key(v) for v in base}
    alternatives = []
    for cohort in sorted(solution.cohorts, key=lambda c: natural_key(c.id)):
        if cohort.id == where:
            continue
        moved = _moved(solution, participant_id, cohort.id)
        # Only what the move breaks: rules already broken elsewhere are not its fault.
        new = tuple(v for v in violations(problem, moved) if _key(v) not in known)
        new = _in_their_words(problem, solution, person, cohort.id, new)
        alternatives.append(
            Alternative(cohort.id, new, None if new else diversity_cost(problem, moved))
        )
    return Explanation(
        participant=participant_id,
        name=person.name,
        organisation=person.organisation,
        cohort=where,
        unassigned_reason=reason,
        objective=diversity_cost(problem, solution),
        current=tuple(v for v in base if participant_id in v.people or v.cohort == where),
        alternatives=tuple(alternatives),
        where=_describe(problem, solution, where),
    )


def _in_their_words(
    problem: ProblemData,
    solution: Solution,
    person: Participant,
    target: str,
    found: tuple[Violation, ...],
) -> tuple[Violation, ...]:
    """Placement rules the move breaks in ``target``, said from the person's side.

    ("P0012 would be the only one with gender Woman in C04", "C04 already has
    1 member with industry Banking (limit 1)"), instead of the checker's view
    of the whole cohort.
    """
    if not found:
        return found
    members = next(c.members for c in solution.cohorts if c.id == target)
    people = [problem.participants[problem.index[m]] for m in members if m in problem.index]
    reasons: dict[Rule, list[str]] = {}
    for rule, text in placement_reasons(problem, person, people, target):
        reasons.setdefault(rule, []).append(text)
    out = []
    for v in found:
        said = reasons.get(v.rule)
        if v.cohort == target and said:
            v = replace(v, message=said.pop(0))
        out.append(v)
    return tuple(out)


def _describe(problem: ProblemData, solution: Solution, cohort_id: str | None) -> str:
    """`` (Tuesdays 13:00 Europe/London, with Carmen Ruiz)``: when the cohort meets, and who leads it."""
    cohort = next((c for c in solution.cohorts if c.id == cohort_id), None)
    if cohort is None or cohort.slot is None:
        return ""
    h, m = divmod(cohort.slot.start_minute, 60)
    text = f"{DAY_NAMES[cohort.slot.weekday]} {h:02d}:{m:02d} {cohort.slot.zone}"
    fid = cohort.facilitator_id
    if fid is not None and fid in problem.facilitator_index:
        text += f", with {problem.facilitators[problem.facilitator_index[fid]].name}"
    return f" (meets {text})"


def _cost(delta: float) -> str:
    if delta == 0:
        return "would cost nothing (the objective stays the same)"
    word = "cost" if delta > 0 else "save"
    return (
        f"would {word} {abs(delta):,.0f} (objective {'+' if delta > 0 else '-'}{abs(delta):,.0f})"
    )


def render_text(e: Explanation) -> str:
    """The explanation as text for a person."""
    who = f"{e.participant} {e.name} ({e.organisation})"
    if e.cohort is None:
        lines = [f"{who} is not placed: {e.unassigned_reason or 'no reason recorded'}."]
    else:
        lines = [f"{who} is in cohort {e.cohort}{e.where}."]
        if e.current:
            lines.append("There these rules are broken:")
            lines += [f"  - {rule_title(v.rule)} [{v.rule}]: {v.message}" for v in e.current]
        else:
            lines.append(f"Every rule holds there; the objective is {e.objective:,.0f}.")
    open_ = [a for a in e.alternatives if a.allowed]
    lines.append("")
    lines.append(
        f"The other {len(e.alternatives)} cohort(s): {len(e.alternatives) - len(open_)} "
        f"closed by a rule, {len(open_)} open at a cost."
    )
    for a in e.alternatives:
        if a.allowed:
            assert a.objective is not None
            lines.append(
                f"  {a.cohort}: allowed; moving them there {_cost(a.objective - e.objective)}"
            )
            continue
        lines.append(f"  {a.cohort}: kept out by")
        lines += [
            f"      {rule_title(v.rule)} [{v.rule}]: {_where(v, a.cohort)}{v.message}"
            for v in a.violations
        ]
    return "\n".join(lines)


def _where(v: Violation, target: str) -> str:
    if v.cohort and v.cohort != target:
        return f"(in {v.cohort}, the cohort they would leave) "
    return ""
