"""Readers for participants.csv, facilitators.csv, history.csv and earlier cohorts.csv.

Each reader checks its rows on its own (required cells, levels, time zones,
availability, e-mail addresses...). Rules that relate rows or files to each
other (duplicate ids, manager cycles, history naming unknown people,
attributes named in the config) live in one place,
:func:`peermatch.model.check_references`; :func:`read_problem` maps its
issues back to the file, row and column they came from.

Decisions where the contract is silent
--------------------------------------
- A required cell that is blank is reported as such; the row is then left
  out of the problem, but its id still counts as known so that history and
  manager references to it are not reported a second time.
- Extra columns of participants.csv are kept as ``attributes`` (blank cells
  as ``""``); extra columns of the other files are ignored (a ``notes``
  column in history.csv is harmless).
- history.csv rows get ``source="history"`` and the relation written
  (``"shared history"`` when blank). Repeated pairs are harmless and kept.
- Earlier cohorts.csv files need ``cohort_id`` and ``participant_id``; all
  other columns are ignored. Ids that are neither participants nor
  facilitators of this program are ignored (people leave); a facilitator
  who was a participant of an earlier cohort shares history with its members.
  Each pair becomes ``HistoryLink(relation="earlier cohort <cohort_id>",
  source=<file name as given>)``, once per file.
- facilitators.csv: ``max_cohorts`` blank means 1; ``organisation`` is optional.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from peermatch.availability import AvailabilityError, parse_availability
from peermatch.errors import InputError, InputProblem
from peermatch.io.config import key_line, load_config
from peermatch.io.csvfile import Column, CsvTable, Row, read_csv
from peermatch.io.messages import plain_message
from peermatch.levels import LevelError, resolve_level
from peermatch.model import (
    Facilitator,
    HistoryLink,
    Issue,
    Participant,
    ProblemData,
    ProgramConfig,
    check_references,
    normalise_key,
)

__all__ = [
    "FACILITATOR_COLUMNS",
    "HISTORY_COLUMNS",
    "PARTICIPANT_COLUMNS",
    "PREVIOUS_COLUMNS",
    "read_facilitators",
    "read_history",
    "read_participants",
    "read_previous",
    "read_problem",
]

PARTICIPANT_COLUMNS: tuple[Column, ...] = (
    Column("id", True, ("participant id", "person id")),
    Column("name", True, ("full name", "display name")),
    Column("email", True, ("e-mail", "mail", "email address", "e-mail address")),
    Column("organisation", True, ("organization", "org", "company", "employer")),
    Column("level", True, ("seniority", "grade")),
    Column("industry", False, ("sector",)),
    Column("function", False, ("dept", "department")),
    Column("manager_id", False, ("manager", "reports_to", "line manager")),
    Column("timezone", False, ("tz", "time_zone")),
    Column("availability", False, ("available", "availabilities")),
)
FACILITATOR_COLUMNS: tuple[Column, ...] = (
    Column("id", True, ("facilitator id",)),
    Column("name", True, ("full name", "display name")),
    Column("email", True, ("e-mail", "mail", "email address", "e-mail address")),
    Column("organisation", False, ("organization", "org", "company", "employer")),
    Column("timezone", False, ("tz", "time_zone")),
    Column("availability", False, ("available", "availabilities")),
    Column("max_cohorts", False, ("capacity", "cohorts")),
)
HISTORY_COLUMNS: tuple[Column, ...] = (
    Column("person_a", True, ("a", "person 1", "participant a", "id a")),
    Column("person_b", True, ("b", "person 2", "participant b", "id b")),
    Column("relation", False, ("reason", "relationship", "type")),
)
PREVIOUS_COLUMNS: tuple[Column, ...] = (
    Column("cohort_id", True, ("cohort",)),
    Column("participant_id", True, ("participant", "person id")),
)

M = TypeVar("M", bound=BaseModel)


@dataclass
class _Parsed(Generic[M]):
    """A file's valid items, and every row's (placeholder) item for the reference checks."""

    table: CsvTable
    items: list[M] = field(default_factory=list)
    refs: list[M] = field(default_factory=list)
    ref_rows: list[int] = field(default_factory=list)


def _build(
    model: type[M],
    values: dict[str, Any],
    row: Row,
    table: CsvTable,
    bad: set[str],
) -> M | None:
    """Validate ``values`` as ``model``; report errors on fields not already reported."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            name = str(error["loc"][0]) if error["loc"] else None
            if name in bad:
                continue
            if name is not None and name not in table.headers:
                continue  # a missing column is reported once, on the header
            table.problem(row.number, name, plain_message(error))
            bad.add(name or "")
        return None


def _required_blank(row: Row, table: CsvTable, columns: Sequence[Column]) -> set[str]:
    bad = set()
    for column in columns:
        if column.required and column.name in table.headers and not row.get(column.name):
            table.problem(row.number, column.name, f"required value '{column.name}' is blank")
            bad.add(column.name)
    return bad


def _availability(row: Row, table: CsvTable, bad: set[str]) -> Any:
    text = row.get("availability")
    if not text:
        return None
    try:
        return parse_availability(text)
    except AvailabilityError as exc:
        table.problem(row.number, "availability", str(exc))
        bad.add("availability")
        return None


def _participants(
    path: str | Path, ladder: Sequence[str] | None, file: str | None = None
) -> _Parsed[Participant]:
    table = read_csv(path, PARTICIPANT_COLUMNS, file=file)
    out: _Parsed[Participant] = _Parsed(table)
    for row in table.rows:
        bad = _required_blank(row, table, PARTICIPANT_COLUMNS)
        level, label = 1, None
        if "level" in table.headers and "level" not in bad:
            try:
                level, label = resolve_level(row.get("level"), ladder)
            except LevelError as exc:
                table.problem(row.number, "level", str(exc))
                bad.add("level")
        values: dict[str, Any] = {
            "id": row.get("id"),
            "name": row.get("name"),
            "email": row.get("email"),
            "organisation": row.get("organisation"),
            "level": level,
            # Only a title is a label: an integer cell stays an integer in the outputs.
            "level_label": None if re.fullmatch(r"\+?\d+", row.get("level")) else label,
            "industry": row.get("industry") or None,
            "function": row.get("function") or None,
            "manager_id": row.get("manager_id") or None,
            "timezone": row.get("timezone") or None,
            "availability": _availability(row, table, bad),
            "attributes": dict(row.extra),
        }
        person = _build(Participant, values, row, table, bad)
        if person is not None and not bad:
            out.items.append(person)
            out.refs.append(person)
            out.ref_rows.append(row.number)
        elif values["id"]:
            # A stand-in so that references to this row's id are not reported twice.
            # It is built without validation, so only fields that passed their checks go in.
            stand_in = Participant.model_construct(  # type: ignore[call-arg]
                id=values["id"],
                level=level,
                manager_id=None if "manager_id" in bad else values["manager_id"],
                industry=values["industry"],
                function=values["function"],
                attributes={normalise_key(k): v for k, v in row.extra.items()},
            )
            out.refs.append(stand_in)
            out.ref_rows.append(row.number)
    return out


def _facilitators(path: str | Path, file: str | None = None) -> _Parsed[Facilitator]:
    table = read_csv(path, FACILITATOR_COLUMNS, file=file)
    out: _Parsed[Facilitator] = _Parsed(table)
    for row in table.rows:
        bad = _required_blank(row, table, FACILITATOR_COLUMNS)
        values: dict[str, Any] = {
            "id": row.get("id"),
            "name": row.get("name"),
            "email": row.get("email"),
            "organisation": row.get("organisation") or None,
            "timezone": row.get("timezone") or None,
            "availability": _availability(row, table, bad),
            "max_cohorts": row.get("max_cohorts") or 1,
        }
        person = _build(Facilitator, values, row, table, bad)
        if person is not None and not bad:
            out.items.append(person)
            out.refs.append(person)
            out.ref_rows.append(row.number)
        elif values["id"]:
            out.refs.append(Facilitator.model_construct(**values))
            out.ref_rows.append(row.number)
    return out


def _history(path: str | Path, file: str | None = None) -> _Parsed[HistoryLink]:
    table = read_csv(path, HISTORY_COLUMNS, file=file)
    out: _Parsed[HistoryLink] = _Parsed(table)
    for row in table.rows:
        bad = _required_blank(row, table, HISTORY_COLUMNS)
        values = {"a": row.get("person_a"), "b": row.get("person_b")}
        if row.get("relation"):
            values["relation"] = row.get("relation")
        if bad:
            continue
        link = _build(HistoryLink, values, row, table, bad)
        if link is not None:
            out.items.append(link)
            out.refs.append(link)
            out.ref_rows.append(row.number)
    return out


def _previous(
    path: str | Path, known: set[str] | None, file: str | None = None
) -> tuple[list[HistoryLink], CsvTable]:
    table = read_csv(path, PREVIOUS_COLUMNS, file=file)
    cohorts: dict[str, list[str]] = {}
    for row in table.rows:
        if _required_blank(row, table, PREVIOUS_COLUMNS):
            continue
        pid = row.get("participant_id")
        if known is None or pid in known:
            members = cohorts.setdefault(row.get("cohort_id"), [])
            if pid not in members:
                members.append(pid)
    links = [
        HistoryLink(a=a, b=b, relation=f"earlier cohort {cohort}", source=table.file)
        for cohort, members in cohorts.items()
        for a, b in combinations(members, 2)
    ]
    return links, table


def _sound(table: CsvTable) -> bool:
    """Whether a file's header was readable (no file-level or header problem)."""
    return not any(p.row is None or p.row == 1 for p in table.problems)


def _unknown_reference(issue: Issue, links: _Parsed[HistoryLink] | None, known: set[str]) -> bool:
    if issue.entity == "config":
        return True  # attribute names are checked against the participants' columns
    if issue.entity != "history" or links is None or issue.index is None:
        return False
    link = links.refs[issue.index]
    return (link.a if issue.field == "person_a" else link.b) not in known


def _raise_if(problems: Iterable[InputProblem]) -> None:
    problems = list(problems)
    if problems:
        raise InputError(problems)


def _issue_problems(
    issues: Iterable[Issue],
    sources: dict[str, tuple[CsvTable, list[int]]],
    config_file: str | None,
    config_text: str,
) -> list[InputProblem]:
    out = []
    for issue in issues:
        if issue.entity == "config" or issue.index is None:
            keys = issue.field.split(".")
            line = key_line(config_text, keys) if config_text else None
            out.append(
                InputProblem(config_file or "program.toml", line, issue.field, issue.message)
            )
            continue
        table, rows = sources[issue.entity]

        # The model numbers entities from 1 in the order given; organisers think in rows.
        def to_row(m: re.Match[str], rows: list[int] = rows) -> str:
            return f"row {rows[int(m[1]) - 1]}" if int(m[1]) <= len(rows) else m[0]

        message = re.sub(rf"\b{issue.entity} #(\d+)\b", to_row, issue.message)
        out.append(InputProblem(table.file, rows[issue.index], table.column(issue.field), message))
    return out


def read_participants(
    path: str | Path, *, ladder: Sequence[str] | None = None
) -> tuple[Participant, ...]:
    """Read participants.csv on its own.

    Parameters
    ----------
    path
        The CSV file.
    ladder
        The program's level titles, junior to senior; ``None`` for the built-in ladder.

    Raises
    ------
    InputError
        Every problem in the file, including duplicate ids and manager cycles.
    """
    parsed = _participants(path, ladder)
    issues = check_references(parsed.refs)
    _raise_if(
        parsed.table.problems
        + _issue_problems(issues, {"participant": (parsed.table, parsed.ref_rows)}, None, "")
    )
    return tuple(parsed.items)


def read_facilitators(path: str | Path) -> tuple[Facilitator, ...]:
    """Read facilitators.csv on its own (duplicate ids are checked too).

    Raises
    ------
    InputError
        Every problem in the file.
    """
    parsed = _facilitators(path)
    issues = check_references((), parsed.refs)
    _raise_if(
        parsed.table.problems
        + _issue_problems(issues, {"facilitator": (parsed.table, parsed.ref_rows)}, None, "")
    )
    return tuple(parsed.items)


def read_history(path: str | Path) -> tuple[HistoryLink, ...]:
    """Read history.csv on its own; whether its ids exist is checked by :func:`read_problem`.

    Raises
    ------
    InputError
        Every problem in the file (missing columns, blank ids...).
    """
    parsed = _history(path)
    _raise_if(parsed.table.problems)
    return tuple(parsed.items)


def read_previous(
    path: str | Path, known_ids: Iterable[str] | None = None
) -> tuple[HistoryLink, ...]:
    """Read an earlier run's cohorts.csv as history: every pair of cohort-mates is linked.

    Parameters
    ----------
    path
        A cohorts.csv with at least ``cohort_id`` and ``participant_id``.
    known_ids
        When given, ids outside this set are ignored (people who left the program).

    Raises
    ------
    InputError
        Every problem in the file.
    """
    links, table = _previous(path, set(known_ids) if known_ids is not None else None)
    _raise_if(table.problems)
    return tuple(links)


def read_problem(
    participants: str | Path,
    *,
    history: str | Path | None = None,
    facilitators: str | Path | None = None,
    previous: Sequence[str | Path] = (),
    config: str | Path | None = None,
) -> ProblemData:
    """Read every input file of a program into one validated :class:`ProblemData`.

    Parameters
    ----------
    participants
        participants.csv (required).
    history
        history.csv: pairs who must never share a cohort.
    facilitators
        facilitators.csv.
    previous
        cohorts.csv files of earlier waves; cohort-mates there become history.
    config
        program.toml; the contract's defaults when ``None``.

    Returns
    -------
    ProblemData

    Raises
    ------
    InputError
        Listing every problem found across all files, each as
        ``file:row:column: message`` with the file name as given, the row
        counted with the header as row 1 (the line for program.toml), and the
        column as written in the file's header.

    Notes
    -----
    Encoding fallbacks (Windows-1252) are reported as
    :class:`~peermatch.io.csvfile.InputWarning` through :mod:`warnings`.
    """
    problems: list[InputProblem] = []
    program = ProgramConfig()
    ladder: Sequence[str] | None = None
    config_text = ""
    config_ok = True
    if config is not None:
        loaded = load_config(config)
        problems += loaded.problems
        ladder = loaded.levels
        config_ok = loaded.config is not None
        if loaded.config is not None:
            program = loaded.config
            config_text = Path(config).read_text(encoding="utf-8-sig")
    people = _participants(participants, ladder)
    problems += people.table.problems
    sources: dict[str, tuple[CsvTable, list[int]]] = {
        "participant": (people.table, people.ref_rows)
    }
    hosts: _Parsed[Facilitator] | None = None
    if facilitators is not None:
        hosts = _facilitators(facilitators)
        problems += hosts.table.problems
        sources["facilitator"] = (hosts.table, hosts.ref_rows)
    links: _Parsed[HistoryLink] | None = None
    if history is not None:
        links = _history(history)
        problems += links.table.problems
        sources["history"] = (links.table, links.ref_rows)
    known = {p.id for p in people.refs} | {f.id for f in (hosts.refs if hosts else [])}
    earlier: list[HistoryLink] = []
    for prev in previous:
        found, table = _previous(prev, known)
        problems += table.problems
        earlier += found
    issues = check_references(
        people.refs,
        hosts.refs if hosts else (),
        links.refs if links else (),
        program if config_ok else ProgramConfig(),
    )
    if not (_sound(people.table) and (hosts is None or _sound(hosts.table))):
        # Without a readable list of people, every reference to them would be
        # reported as unknown: only the problem with the list itself is useful.
        issues = [i for i in issues if not _unknown_reference(i, links, known)]
    problems += _issue_problems(issues, sources, str(config) if config else None, config_text)
    _raise_if(problems)
    return ProblemData(
        participants=tuple(people.items),
        facilitators=tuple(hosts.items) if hosts else (),
        history=tuple(links.items if links else ()) + tuple(earlier),
        config=program,
    )
