"""Reading every input table of a program together into one :class:`~peermatch.model.ProblemData`.

Each table may be a file or a pandas DataFrame (:mod:`peermatch.io.tables`);
the row checks are in :mod:`peermatch.io.readers`, the checks across tables in
:func:`peermatch.model.check_references`. Every problem of every table is
collected before :class:`~peermatch.errors.InputError` is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from peermatch.errors import InputProblem
from peermatch.io.config import load_config
from peermatch.io.csvfile import CsvTable, RowLabel
from peermatch.io.readers import (
    Parsed,
    issue_problems,
    parse_facilitators,
    parse_history,
    parse_locks,
    parse_pairs,
    parse_participants,
    parse_previous,
    raise_if,
)
from peermatch.io.tables import PREVIOUS, Source, load_table
from peermatch.model import (
    HistoryLink,
    Issue,
    Lock,
    PairRequest,
    ProblemData,
    ProgramConfig,
    check_references,
)

__all__ = ["read_problem"]

_T = TypeVar("_T", bound=BaseModel)


@dataclass
class _Config:
    program: ProgramConfig = field(default_factory=ProgramConfig)
    ladder: Sequence[str] | None = None
    text: str = ""
    ok: bool = True
    problems: list[InputProblem] = field(default_factory=list)


def _config(config: str | Path | None) -> _Config:
    out = _Config()
    if config is None:
        return out
    loaded = load_config(config)
    out.problems = loaded.problems
    out.ladder = loaded.levels
    out.ok = loaded.config is not None
    if loaded.config is not None:
        out.program = loaded.config
        out.text = Path(config).read_text(encoding="utf-8-sig")
    return out


def _unknown_reference(issue: Issue, links: Parsed[HistoryLink] | None, known: set[str]) -> bool:
    if issue.entity == "config":
        return True  # attribute names are checked against the participants' columns
    if issue.entity != "history" or links is None or issue.index is None:
        return False
    link = links.refs[issue.index]
    return (link.a if issue.field == "person_a" else link.b) not in known


def _earlier(
    previous: Sequence[Source], known: set[str]
) -> tuple[list[HistoryLink], list[CsvTable]]:
    # Several DataFrames of earlier cohorts are told apart by their position.
    several = sum(1 for _ in previous) > 1
    links: list[HistoryLink] = []
    tables: list[CsvTable] = []
    for number, prev in enumerate(previous, start=1):
        table = load_table(prev, PREVIOUS, number=number if several else None)
        links += parse_previous(table, known)
        tables.append(table)
    return links, tables


def _request_problems(
    problem: ProblemData, locks: Parsed[Lock] | None, pairs: Parsed[PairRequest] | None
) -> list[InputProblem]:
    """Locks and together pairs that break a hard rule on their own, on their rows."""
    from peermatch.requests import group_conflicts
    from peermatch.rules import Rule
    from peermatch.slots import slot_table

    if not problem.locks and not any(p.rule == "together" for p in problem.pairs):
        return []
    # The first week's slots usually suffice; only a group they fail is worth the full table.
    conflicts = group_conflicts(problem, slot_table(problem, offsets=1).masks)
    if any(c.rule == Rule.AVAILABILITY for c in conflicts):
        conflicts = group_conflicts(problem, slot_table(problem).masks)
    out = []
    for conflict in conflicts:
        parsed = locks if conflict.entity == "lock" else pairs
        assert parsed is not None
        column = "participant_id" if conflict.entity == "lock" else "person_a"
        out.append(
            InputProblem(
                parsed.table.file,
                parsed.ref_rows[conflict.index],
                parsed.table.column(column),
                str(conflict),
            )
        )
    return out


def _optional(
    source: Source | None,
    parse: Callable[[Source], Parsed[_T]],
    kind: str,
    problems: list[InputProblem],
    sources: dict[str, tuple[CsvTable, list[RowLabel]]],
) -> Parsed[_T] | None:
    """An optional table, parsed; its problems and reference rows added to the run's."""
    if source is None:
        return None
    parsed = parse(source)
    problems += parsed.table.problems
    sources[kind] = (parsed.table, parsed.ref_rows)
    return parsed


def read_problem(
    participants: Source,
    *,
    history: Source | None = None,
    facilitators: Source | None = None,
    previous: Sequence[Source] = (),
    config: str | Path | None = None,
    locks: Source | None = None,
    pairs: Source | None = None,
) -> ProblemData:
    """Read every input table of a program into one validated :class:`ProblemData`.

    Parameters
    ----------
    participants
        participants.csv (required), or a pandas DataFrame with its columns.
        Every table may also be an Excel workbook: ``book.xlsx`` reads its
        first visible sheet, ``book.xlsx#Sheet`` the sheet of that name, and
        problems name the sheet (``book.xlsx#Participants:14:level: ...``).
    history
        history.csv (or a DataFrame): pairs who must never share a cohort.
    facilitators
        facilitators.csv (or a DataFrame).
    previous
        cohorts.csv files (or DataFrames) of earlier waves; cohort-mates there
        become history.
    config
        program.toml; the contract's defaults when ``None``.
    locks
        locks.csv (or a DataFrame): people fixed to a cohort id.
    pairs
        pairs.csv (or a DataFrame): ``together`` / ``apart`` requests.

    Returns
    -------
    ProblemData

    Raises
    ------
    InputError
        Listing every problem found across all tables, each as
        ``file:row:column: message`` with the file name as given, the row
        counted with the header as row 1 (the line for program.toml), and the
        column as written in the file's header. A DataFrame is named
        ``<table> (DataFrame)`` (``participants (DataFrame)``) and its rows
        by their index label.

    Notes
    -----
    Encoding fallbacks (Windows-1252) and optional tables without rows are
    reported as :class:`~peermatch.io.csvfile.InputWarning` through :mod:`warnings`.
    """
    conf = _config(config)
    problems = list(conf.problems)
    people = parse_participants(participants, conf.ladder)
    problems += people.table.problems
    sources: dict[str, tuple[CsvTable, list[RowLabel]]] = {
        "participant": (people.table, people.ref_rows)
    }
    hosts = _optional(facilitators, parse_facilitators, "facilitator", problems, sources)
    links = _optional(history, parse_history, "history", problems, sources)
    fixed = _optional(locks, parse_locks, "lock", problems, sources)
    asked = _optional(pairs, parse_pairs, "pair", problems, sources)
    known = {p.id for p in people.refs} | {f.id for f in (hosts.refs if hosts else [])}
    earlier, tables = _earlier(previous, known)
    problems += [p for t in tables for p in t.problems]
    issues = check_references(
        people.refs,
        hosts.refs if hosts else (),
        links.refs if links else (),
        conf.program if conf.ok else ProgramConfig(),
        fixed.refs if fixed else (),
        asked.refs if asked else (),
    )
    if not (people.table.sound() and (hosts is None or hosts.table.sound())):
        # Without a readable list of people, every reference to them would be
        # reported as unknown: only the problem with the list itself is useful.
        issues = [i for i in issues if not _unknown_reference(i, links, known)]
    problems += issue_problems(issues, sources, str(config) if config else None, conf.text)
    raise_if(problems)
    problem = ProblemData(
        participants=tuple(people.items),
        facilitators=tuple(hosts.items) if hosts else (),
        history=tuple(links.items if links else ()) + tuple(earlier),
        config=conf.program,
        locks=tuple(fixed.items) if fixed else (),
        pairs=tuple(asked.items) if asked else (),
    )
    raise_if(_request_problems(problem, fixed, asked))
    return problem
