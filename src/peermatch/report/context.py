"""The report's content as plain data: what the template shows, computed from a run folder.

Everything here is text and numbers (no HTML): the template escapes every
value. Rule checks come from :func:`peermatch.violations.violations`, re-run
on the recorded problem and solution, so a report always says what the rules
say about the cohorts it shows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from peermatch.io.ical import natural_key
from peermatch.model import ProblemData
from peermatch.presolve import level_name
from peermatch.report.folder import RunFolder
from peermatch.rules import Rule
from peermatch.solution import Cohort
from peermatch.violations import Violation, checked_violations

__all__ = [
    "MAX_CARDS",
    "CohortCard",
    "Member",
    "ReportContext",
    "RuleCheck",
    "build_context",
    "rule_title",
]

#: Cohorts shown as cards; a page of thousands of cards helps nobody and takes long to write.
MAX_CARDS = 500

_TITLES = {
    "assignment": "Everyone placed exactly once",
    "size": "Cohort size",
    "organisation": "Colleagues kept apart",
    "neutrality": "No reporting lines or shared history",
    "level": "Similar seniority",
    "similarity": "Shared attributes",
    "schedule": "One weekly slot, full series",
    "blackout": "No session on a blackout date",
    "availability": "Everyone can attend",
    "facilitator": "An external, free facilitator",
    "limits": "No more than N alike (e.g. no competitors)",
    "presence": "Nobody is the only one",
    "required": "A required member in every cohort",
    "closeness": "Peers within a band",
}

_STATUS_TEXT = {
    "optimal": "Best possible cohorts (proven optimal)",
    "feasible": "Cohorts that keep every rule (not proven best)",
    "infeasible": "No cohorts can keep every rule",
    "unknown": "No cohorts found within the time limit",
    "invalid": "The input could not be used",
}


def rule_title(rule: str) -> str:
    """A rule's heading for people who do not know its label."""
    return _TITLES.get(str(rule), str(rule).capitalize())


@dataclass(frozen=True)
class RuleCheck:
    """One rule, what it requires in this program, and what the check found."""

    rule: str
    title: str
    meaning: str
    broken: tuple[str, ...]


@dataclass(frozen=True)
class Member:
    """One row of a cohort card."""

    id: str
    name: str
    organisation: str
    level: str
    industry: str
    function: str
    local_time: str
    zone: str


@dataclass(frozen=True)
class CohortCard:
    """Everything a cohort's card shows."""

    id: str
    size: int
    slot: str
    zone: str
    facilitator: str
    members: tuple[Member, ...]
    sessions: tuple[Mapping[str, str], ...]
    levels: str
    organisations: int
    mix: Mapping[str, tuple[tuple[str, int], ...]]
    chart: str = ""


@dataclass
class ReportContext:
    """The whole page."""

    title: str
    status: str
    status_text: str
    interrupted: bool
    interrupted_by: str
    figures: list[tuple[str, str]]
    rules: list[RuleCheck]
    cohorts: list[CohortCard]
    unassigned: list[tuple[str, str, str]]
    diagnosis: list[str]
    changes: list[Mapping[str, str]]
    notes: list[str] = field(default_factory=list)


def _meaning(problem: ProblemData, rule: Rule) -> str:
    c = problem.config.cohort
    s = problem.config.schedule
    text = {
        "size": f"every cohort has {c.min_size} to {c.max_size} members (target {c.target_size})",
        "organisation": f"at most {c.max_per_organisation} member(s) of one organisation per cohort",
        "level": f"the most senior and the most junior member are at most {c.max_level_gap} "
        "level(s) apart",
        "similarity": (
            "members share the same " + ", ".join(problem.config.similarity)
            if problem.config.similarity
            else "none set: no attribute has to be shared"
        ),
        "schedule": f"{s.sessions} sessions of {s.duration_minutes} minutes, every "
        f"{s.cadence_weeks} weeks from {s.start_date:%d %B %Y}, at one weekly time",
    }.get(str(rule))
    return text or _placement_meaning(problem, rule) or rule.description


def _placement_meaning(problem: ProblemData, rule: Rule) -> str | None:
    """The program's own [limits], [presence], [required], [closeness] settings in words."""
    config = problem.config
    if rule == Rule.LIMITS:
        said = [f"at most {n} per cohort with one {col}" for col, n in config.limits.items()]
    elif rule == Rule.PRESENCE:
        said = [
            f"a {col} present in a cohort is held by at least {n}"
            for col, n in config.presence.items()
        ]
    elif rule == Rule.REQUIRED:
        said = [
            f"every cohort has a member with {col} {' or '.join(values)}"
            for col, values in config.required.items()
        ]
    elif rule == Rule.CLOSENESS:
        said = [f"{col} within {d:g} of each other" for col, d in config.closeness.items()]
    else:
        return None
    return "; ".join(said) if said else "none set in program.toml"


def _rule_checks(problem: ProblemData, found: Sequence[Violation]) -> list[RuleCheck]:
    by_rule: dict[str, list[str]] = defaultdict(list)
    for v in found:
        where = f"cohort {v.cohort}: " if v.cohort else ""
        by_rule[str(v.rule)].append(where + v.message)
    return [
        RuleCheck(str(r), rule_title(r), _meaning(problem, r), tuple(by_rule.get(str(r), ())))
        for r in Rule
    ]


def _fmt_number(value: Any, percent: bool = False) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "not known"
    return f"{100 * value:.2f}%" if percent else f"{value:,.0f}"


def _figures(folder: RunFolder) -> list[tuple[str, str]]:
    s = folder.summary
    placed = s.get("placed")
    total = s.get("participants", len(folder.problem.participants))
    rows = [
        ("Cohorts", str(s.get("cohorts", 0))),
        ("People placed", f"{placed} of {total}" if placed is not None else "none"),
        ("Objective (lower is more diverse)", _fmt_number(s.get("objective"))),
        ("Best bound (no solution can score lower)", _fmt_number(s.get("best_bound"))),
        ("Gap to the bound", _fmt_number(s.get("gap"), percent=True)),
    ]
    if isinstance(s.get("runtime"), int | float):
        rows.append((f"Solving time (seed {s.get('seed', 0)})", f"{s['runtime']:.1f} s"))
    return rows


def _local(problem: ProblemData, cohort: Cohort, zone: str) -> str:
    """The member's local weekday and time of the sessions (each distinct one, in order)."""
    seen: dict[str, list[int]] = {}
    for s in cohort.sessions:
        local = s.start.astimezone(ZoneInfo(zone))
        seen.setdefault(f"{local:%a %H:%M}", []).append(s.number)
    if len(seen) <= 1:
        return next(iter(seen), "")
    return "; ".join(
        f"{k} (session{'s' if len(v) > 1 else ''} {_ranges(v)})" for k, v in seen.items()
    )


def _ranges(numbers: list[int]) -> str:
    parts: list[str] = []
    for n in numbers:
        if parts and parts[-1].split("-")[-1] == str(n - 1):
            parts[-1] = parts[-1].split("-")[0] + f"-{n}"
        else:
            parts.append(str(n))
    return ", ".join(parts)


def _member(problem: ProblemData, cohort: Cohort, pid: str) -> Member:
    p = problem.participants[problem.index[pid]]
    zone = problem.timezone_of(p)
    return Member(
        id=p.id,
        name=p.name,
        organisation=p.organisation,
        level=level_name(problem, p.level),
        industry=p.industry or "",
        function=p.function or "",
        local_time=_local(problem, cohort, zone),
        zone=zone,
    )


def _sessions(problem: ProblemData, cohort: Cohort) -> tuple[Mapping[str, str], ...]:
    zone = ZoneInfo(cohort.slot.zone if cohort.slot else problem.config.schedule.timezone)
    rows = []
    for s in sorted(cohort.sessions, key=lambda s: s.number):
        start, end = s.start.astimezone(zone), s.end.astimezone(zone)
        rows.append(
            {
                "number": str(s.number),
                "date": f"{start:%a %d %b %Y}",
                "time": f"{start:%H:%M}–{end:%H:%M}",
                "topic": problem.config.schedule.topic(s.number) or "",
                "moved": f"moved from {s.moved_from:%d %b %Y} (blackout)" if s.moved_from else "",
            }
        )
    return tuple(rows)


def _facilitator(problem: ProblemData, fid: str | None) -> str:
    if fid is None:
        return "none" if not problem.facilitators else "none assigned"
    if fid not in problem.facilitator_index:
        return fid
    f = problem.facilitators[problem.facilitator_index[fid]]
    return f"{f.name} ({f.organisation})" if f.organisation else f.name


def _slot(cohort: Cohort) -> str:
    if cohort.slot is None:
        return "no weekly slot"
    h, m = divmod(cohort.slot.start_minute, 60)
    day = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
    return f"{day[cohort.slot.weekday]} {h:02d}:{m:02d} {cohort.slot.zone}"


def _card_columns(problem: ProblemData) -> list[str]:
    """Industry and function, then every column a placement rule of the program names."""
    config = problem.config
    out = ["industry", "function"]
    for table in (config.limits, config.presence, config.required, config.closeness):
        out += [column for column in sorted(table) if column not in out]
    return out


def _card(problem: ProblemData, cohort: Cohort) -> CohortCard:
    members = tuple(
        _member(problem, cohort, m)
        for m in sorted(cohort.members, key=natural_key)
        if m in problem.index
    )
    people = [problem.participants[problem.index[m.id]] for m in members]
    levels = sorted({p.level for p in people})
    mix = {
        attr: tuple(
            sorted(
                Counter(p.attribute(attr) or "(blank)" for p in people).items(),
                key=lambda kv: (-kv[1], kv[0]),
            )
        )
        for attr in _card_columns(problem)
        if any(p.attribute(attr) for p in people)
    }
    return CohortCard(
        id=cohort.id,
        size=len(cohort.members),
        slot=_slot(cohort),
        zone=cohort.slot.zone if cohort.slot else problem.config.schedule.timezone,
        facilitator=_facilitator(problem, cohort.facilitator_id),
        members=members,
        sessions=_sessions(problem, cohort),
        levels=", ".join(level_name(problem, lv) for lv in levels),
        organisations=len({p.organisation for p in people}),
        mix=mix,
    )


def build_context(folder: RunFolder, *, max_cards: int = MAX_CARDS) -> ReportContext:
    """The report's content for an output folder (charts not yet drawn; cards for the first ``max_cards``)."""
    problem, solution, summary = folder.problem, folder.solution, folder.summary
    status = str(summary.get("status", "unknown"))
    # The run's own check when the folder holds the run's objects (report_from_files in a run).
    found = list(checked_violations(problem, solution)) if solution is not None else []
    cohorts = sorted(solution.cohorts, key=lambda c: natural_key(c.id)) if solution else []
    names = {p.id: p.name for p in problem.participants}
    left = (
        sorted(solution.unassigned, key=lambda u: natural_key(u.participant_id)) if solution else []
    )
    return ReportContext(
        title=problem.config.program.name,
        status=status,
        status_text=_STATUS_TEXT.get(status, status),
        interrupted=bool(summary.get("interrupted")),
        interrupted_by=str(summary.get("interrupted_by") or ""),
        figures=_figures(folder),
        rules=_rule_checks(problem, found) if solution is not None else [],
        cohorts=[_card(problem, c) for c in cohorts[:max_cards]],
        unassigned=[(u.participant_id, names.get(u.participant_id, ""), u.reason) for u in left],
        diagnosis=list(folder.diagnosis),
        changes=list(folder.changes),
        notes=_card_note(len(cohorts), max_cards),
    )


def _card_note(count: int, max_cards: int) -> list[str]:
    if count <= max_cards:
        return []
    return [
        f"The first {max_cards} of {count} cohorts have a card here; every cohort is in "
        "cohorts.csv and sessions.csv, and the rules above are checked on all of them."
    ]
