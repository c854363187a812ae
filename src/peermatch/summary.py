"""A short description of a program's population, as printed by ``peermatch validate``.

Counts participants by organisation, level, industry, function and time zone
(the program's zone for people who gave none; "(blank)" for missing values),
and by every column a ``[limits]``, ``[presence]``, ``[required]`` or
``[closeness]`` rule names, largest first, ties by name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from peermatch.model import Participant, ProblemData
from peermatch.presolve import level_name

__all__ = ["PopulationSummary", "population_summary", "render_rich", "render_text"]

_BLANK = "(blank)"


@dataclass(frozen=True)
class PopulationSummary:
    """Head counts of a program.

    Attributes
    ----------
    participants, facilitators, history_links, organisations_count
        Totals.
    breakdowns
        Title (``organisation``, ``level``...) -> ``((value, count), ...)``,
        largest count first.
    """

    participants: int
    facilitators: int
    history_links: int
    organisations_count: int
    breakdowns: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]


def _count(
    people: tuple[Participant, ...], key: Callable[[Participant], Any]
) -> tuple[tuple[str, int], ...]:
    counts = Counter(str(key(p) or _BLANK) for p in people)
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def population_summary(problem: ProblemData) -> PopulationSummary:
    """Count a problem's participants by organisation, level, industry, function and time zone.

    Parameters
    ----------
    problem
        A validated problem.

    Returns
    -------
    PopulationSummary
    """
    people = problem.participants
    levels = Counter(p.level for p in people)
    by_level = tuple((level_name(problem, level), count) for level, count in sorted(levels.items()))
    return PopulationSummary(
        participants=len(people),
        facilitators=len(problem.facilitators),
        history_links=len(problem.history),
        organisations_count=len({p.organisation for p in people}),
        breakdowns=(
            ("organisation", _count(people, lambda p: p.organisation)),
            ("level", by_level),
            ("industry", _count(people, lambda p: p.industry)),
            ("function", _count(people, lambda p: p.function)),
            ("time zone", _count(people, problem.timezone_of)),
            *_placement_breakdowns(problem),
        ),
    )


def _placement_breakdowns(
    problem: ProblemData,
) -> list[tuple[str, tuple[tuple[str, int], ...]]]:
    """One breakdown per column a placement rule names, titled with the rule as written.

    (``sector, [limits] sector = 1``): an organiser sees at a glance how many
    people each rule has to work with.
    """
    config = problem.config
    rules: dict[str, list[str]] = {}
    for table, settings in (
        ("limits", config.limits),
        ("presence", config.presence),
        ("required", config.required),
        ("closeness", config.closeness),
    ):
        for column, value in sorted(settings.items()):
            shown = list(value) if isinstance(value, tuple) else f"{value:g}"
            rules.setdefault(column, []).append(f"[{table}] {column} = {shown}")
    out = []
    for column, said in rules.items():
        counts = Counter(p.attribute(column) or _BLANK for p in problem.participants)
        rows = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append((f"{column}, {'; '.join(said)}", rows))
    return out


def _headline(summary: PopulationSummary) -> str:
    return (
        f"{summary.participants} participants from {summary.organisations_count} organisations, "
        f"{summary.facilitators} facilitators, {summary.history_links} history links"
    )


def render_text(summary: PopulationSummary) -> str:
    """The summary as plain text (for pipes and files).

    Each breakdown is a title line followed by ``  count  value`` lines.
    """
    lines = [_headline(summary)]
    for title, rows in summary.breakdowns:
        lines.append("")
        lines.append(f"by {title}:")
        width = max((len(str(c)) for _, c in rows), default=1)
        lines.extend(f"  {count:>{width}}  {value}" for value, count in rows)
    return "\n".join(lines)


def render_rich(summary: PopulationSummary, console: Any) -> None:
    """Print the summary on a :class:`rich.console.Console` as tables."""
    from rich.table import Table

    console.print(_headline(summary))
    for title, rows in summary.breakdowns:
        table = Table(title=f"by {title}", title_justify="left")
        table.add_column(title)
        table.add_column("people", justify="right")
        for value, count in rows:
            table.add_row(value, str(count))
        console.print(table)
