"""An independent, solver-free check of every hard rule.

:func:`violations` recomputes everything from the problem and the solution
alone (session dates, availability on those dates, the relationship graph)
and shares no code with the solver's model, so that a solver bug cannot hide
behind the same mistake twice. Tests, the command line and the report all
use it; every rule is a :class:`~peermatch.rules.Rule`, as in the model's constraint
families.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from peermatch.graph import relationship_graph
from peermatch.model import ProblemData
from peermatch.placement import placement_violations
from peermatch.rules import Rule, Violation
from peermatch.schedule import attends, session_times
from peermatch.solution import Cohort, Solution

__all__ = [
    "RULES",
    "Violation",
    "anchor_zone",
    "checked_violations",
    "cohort_violations",
    "violations",
]

#: Every rule :func:`violations` can report, with what it means.
RULES: dict[Rule, str] = {rule: rule.description for rule in Rule}


def anchor_zone(problem: ProblemData, members: Sequence[str]) -> str:
    """The zone a cohort's series is anchored in: the members' common zone, else the program's."""
    zones = {problem.timezone_of(problem.participants[problem.index[m]]) for m in members}
    return zones.pop() if len(zones) == 1 else problem.config.schedule.timezone


def violations(problem: ProblemData, solution: Solution) -> Iterator[Violation]:
    """Yield every hard rule ``solution`` breaks for ``problem``; nothing when it is sound.

    Parameters
    ----------
    problem
        The problem the solution claims to solve.
    solution
        Cohorts (with slot, sessions and facilitator) and unassigned people.

    Yields
    ------
    Violation
        Labelled with one of :data:`RULES`.
    """
    yield from _assignment(problem, solution)
    graph = relationship_graph(problem)
    for cohort in solution.cohorts:
        members = [m for m in cohort.members if m in problem.index]
        yield from _cohort_rules(problem, cohort, members, graph)
        people = [problem.participants[problem.index[m]] for m in members]
        yield from placement_violations(problem, cohort.id, people)
        yield from _schedule(problem, cohort, members)
    yield from _facilitators(problem, solution, graph)
    yield from _requests(problem, solution)


#: The last problem and solution :func:`checked_violations` checked, and what it found.
_LAST: tuple[ProblemData, Solution, tuple[Violation, ...]] | None = None


def checked_violations(problem: ProblemData, solution: Solution) -> tuple[Violation, ...]:
    """:func:`violations` of ``solution``, checked once for a run's solve, CLI and summary.

    The last pair checked is remembered by identity (both are frozen, so the
    same objects give the same answer): the solve checks the solution it
    returns, and the command line and summary.json ask again about the very
    same objects (a check took about 9 s at n = 100,000, and it ran three times).
    """
    global _LAST
    last = _LAST
    if last is not None and last[0] is problem and last[1] is solution:
        return last[2]
    found = tuple(violations(problem, solution))
    _LAST = (problem, solution, found)
    return found


def cohort_violations(
    problem: ProblemData, cohort: Cohort, graph: Any | None = None
) -> Iterator[Violation]:
    """The rules one cohort breaks on its own: what :func:`violations` says about it alone.

    Size, organisations, links, levels, similarity, the placement rules
    (limits, presence, required, closeness), its schedule and its
    facilitator (availability, organisation, history); not the rules that
    span cohorts (assignment, a facilitator's load and overlaps, locks,
    together pairs). Checking a hand move costs two cohorts, not the whole
    solution.

    Parameters
    ----------
    problem, cohort
        The problem and the cohort to check.
    graph
        :func:`peermatch.graph.relationship_graph` of ``problem``, when the
        caller keeps it (it is rebuilt otherwise).
    """
    graph = relationship_graph(problem) if graph is None else graph
    members = [m for m in cohort.members if m in problem.index]
    yield from _cohort_rules(problem, cohort, members, graph)
    people = [problem.participants[problem.index[m]] for m in members]
    yield from placement_violations(problem, cohort.id, people)
    yield from _schedule(problem, cohort, members)
    yield from _facilitators(problem, Solution(cohorts=(cohort,)), graph)


def _requests(problem: ProblemData, solution: Solution) -> Iterator[Violation]:
    """Locks and together pairs (apart pairs are links, checked as neutrality)."""
    where = solution.cohort_of()
    for lock in problem.locks:
        got = where.get(lock.participant_id)
        if got != lock.cohort_id:
            yield Violation(
                Rule.LOCK,
                f"{lock.participant_id} is locked to cohort {lock.cohort_id} but is "
                + (f"in {got}" if got else "in no cohort"),
                got,
                (lock.participant_id,),
            )
    for pair in problem.pairs:
        if pair.rule != "together":
            continue
        a, b = where.get(pair.a), where.get(pair.b)
        if a != b:
            yield Violation(
                Rule.TOGETHER,
                f"{pair.a} ({a or 'no cohort'}) and {pair.b} ({b or 'no cohort'}) asked to be "
                "together",
                a or b,
                (pair.a, pair.b),
            )


def _assignment(problem: ProblemData, solution: Solution) -> Iterator[Violation]:
    ids = Counter(c.id for c in solution.cohorts)
    for cid, n in sorted(ids.items()):
        if n > 1:
            yield Violation(Rule.ASSIGNMENT, f"cohort id '{cid}' is used {n} times", cid)
    where: dict[str, list[str]] = defaultdict(list)
    for c in solution.cohorts:
        for m in c.members:
            where[m].append(c.id)
    left_out = Counter(u.participant_id for u in solution.unassigned)
    for pid, cohorts in sorted(where.items()):
        if pid not in problem.index:
            yield Violation(Rule.ASSIGNMENT, f"'{pid}' is not a participant", cohorts[0], (pid,))
        elif len(cohorts) > 1:
            yield Violation(
                Rule.ASSIGNMENT,
                f"{pid} is in {len(cohorts)} cohorts: {', '.join(cohorts)}",
                None,
                (pid,),
            )
        if pid in left_out:
            yield Violation(
                Rule.ASSIGNMENT, f"{pid} is both placed and listed unassigned", cohorts[0], (pid,)
            )
    for pid, n in sorted(left_out.items()):
        if pid not in problem.index:
            yield Violation(
                Rule.ASSIGNMENT, f"unassigned '{pid}' is not a participant", None, (pid,)
            )
        elif n > 1:
            yield Violation(Rule.ASSIGNMENT, f"{pid} is listed unassigned {n} times", None, (pid,))
    for p in problem.participants:
        if p.id not in where and p.id not in left_out:
            yield Violation(Rule.ASSIGNMENT, f"{p.id} is in no cohort", None, (p.id,))


def _cohort_rules(
    problem: ProblemData, cohort: Cohort, members: list[str], graph: Any
) -> Iterator[Violation]:
    rules = problem.config.cohort
    people = [problem.participants[problem.index[m]] for m in members]
    size = len(cohort.members)
    if not rules.min_size <= size <= rules.max_size:
        yield Violation(
            Rule.SIZE, f"{size} members, outside {rules.min_size}..{rules.max_size}", cohort.id
        )
    by_org: dict[str, list[str]] = defaultdict(list)
    for p in people:
        by_org[p.organisation].append(p.id)
    for org, ids in sorted(by_org.items()):
        if len(ids) > rules.max_per_organisation:
            yield Violation(
                Rule.ORGANISATION,
                f"{len(ids)} members of {org} (at most {rules.max_per_organisation}): {', '.join(ids)}",
                cohort.id,
                tuple(ids),
            )
    for i, a in enumerate(members):
        for b in members[i + 1 :]:
            if graph.has_edge(a, b):
                why = "; ".join(graph.edges[a, b]["reasons"])
                yield Violation(
                    Rule.NEUTRALITY, f"{a} and {b} are linked: {why}", cohort.id, (a, b)
                )
    if people:
        lo = min(people, key=lambda p: p.level)
        hi = max(people, key=lambda p: p.level)
        if hi.level - lo.level > rules.max_level_gap:
            yield Violation(
                Rule.LEVEL,
                f"levels {lo.level} ({lo.id}) to {hi.level} ({hi.id}) differ by more than {rules.max_level_gap}",
                cohort.id,
                (lo.id, hi.id),
            )
    for attr in problem.config.similarity:
        values = {p.id: p.attribute(attr) for p in people}
        distinct = set(values.values())
        if len(distinct) > 1 or None in distinct:
            shown = ", ".join(f"{k}={v or '(blank)'}" for k, v in values.items())
            yield Violation(
                Rule.SIMILARITY,
                f"members do not share one {attr}: {shown}",
                cohort.id,
                tuple(values),
            )


def _schedule(problem: ProblemData, cohort: Cohort, members: list[str]) -> Iterator[Violation]:
    rules = problem.config.schedule
    if cohort.slot is None:
        yield Violation(Rule.SCHEDULE, "no weekly slot", cohort.id)
        return
    if members:
        expected_zone = anchor_zone(problem, members)
        if cohort.slot.zone != expected_zone:
            yield Violation(
                Rule.SCHEDULE,
                f"series anchored in {cohort.slot.zone}, expected {expected_zone}",
                cohort.id,
            )
    try:
        expected = session_times(rules, cohort.slot)
    except ValueError as exc:
        yield Violation(Rule.BLACKOUT, str(exc), cohort.id)
        return
    if len(cohort.sessions) != rules.sessions:
        yield Violation(
            Rule.SCHEDULE, f"{len(cohort.sessions)} sessions, expected {rules.sessions}", cohort.id
        )
    for got, want in zip(cohort.sessions, expected, strict=False):
        if (got.start, got.end, got.moved_from, got.number) != (
            want.start,
            want.end,
            want.moved_from,
            want.number,
        ):
            yield Violation(
                Rule.SCHEDULE,
                f"session {got.number} at {got.start.isoformat()}, the slot {cohort.slot} gives "
                f"{want.start.isoformat()}",
                cohort.id,
            )
    for s in cohort.sessions:
        if rules.is_blackout(s.start.date()):
            yield Violation(
                Rule.BLACKOUT, f"session {s.number} on blackout date {s.start.date()}", cohort.id
            )
    for m in members:
        p = problem.participants[problem.index[m]]
        for s in cohort.sessions:
            if not attends(problem.availability_of(p), problem.timezone_of(p), [s]):
                local = s.start.astimezone(ZoneInfo(problem.timezone_of(p)))
                yield Violation(
                    Rule.AVAILABILITY,
                    f"{m} cannot attend session {s.number} ({local:%a %Y-%m-%d %H:%M} {problem.timezone_of(p)})",
                    cohort.id,
                    (m,),
                )
                break


def _facilitators(problem: ProblemData, solution: Solution, graph: Any) -> Iterator[Violation]:
    if not problem.facilitators:
        for c in solution.cohorts:
            if c.facilitator_id is not None:
                yield Violation(
                    Rule.FACILITATOR,
                    f"facilitator {c.facilitator_id} given but the program has none",
                    c.id,
                )
        return
    led: dict[str, list[Cohort]] = defaultdict(list)
    for c in solution.cohorts:
        fid = c.facilitator_id
        if fid is None:
            yield Violation(Rule.FACILITATOR, "no facilitator", c.id)
            continue
        if fid not in problem.facilitator_index:
            yield Violation(Rule.FACILITATOR, f"'{fid}' is not a facilitator", c.id)
            continue
        led[fid].append(c)
        f = problem.facilitators[problem.facilitator_index[fid]]
        if not attends(problem.availability_of(f), problem.timezone_of(f), c.sessions):
            yield Violation(Rule.FACILITATOR, f"{fid} cannot attend every session", c.id, (fid,))
        for m in c.members:
            if m not in problem.index:
                continue
            p = problem.participants[problem.index[m]]
            if f.organisation and f.organisation == p.organisation:
                yield Violation(
                    Rule.FACILITATOR, f"{fid} is from {p.organisation}, like {m}", c.id, (fid, m)
                )
            if graph.has_edge(fid, m):
                why = "; ".join(graph.edges[fid, m]["reasons"])
                yield Violation(
                    Rule.FACILITATOR, f"{fid} shares history with {m}: {why}", c.id, (fid, m)
                )
    for fid, cohorts in sorted(led.items()):
        f = problem.facilitators[problem.facilitator_index[fid]]
        if len(cohorts) > f.max_cohorts:
            yield Violation(
                Rule.FACILITATOR,
                f"{fid} leads {len(cohorts)} cohorts (at most {f.max_cohorts})",
                None,
                (fid,),
            )
        for i, a in enumerate(cohorts):
            for b in cohorts[i + 1 :]:
                for sa in a.sessions:
                    for sb in b.sessions:
                        if sa.start < sb.end and sb.start < sa.end:
                            yield Violation(
                                Rule.FACILITATOR,
                                f"{fid} has two sessions at once: {a.id} #{sa.number} and {b.id} #{sb.number} "
                                f"({sa.start.isoformat()})",
                                a.id,
                                (fid,),
                            )
