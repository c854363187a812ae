"""Readers for participants.csv, facilitators.csv, history.csv and earlier cohorts.csv.

Each table (file or DataFrame, see :mod:`peermatch.io.tables`) has a
parser here, ``parse_<table>``, that loads it and checks its rows, and a
public reader for it on its own,
``read_<table>``; :func:`peermatch.io.problem.read_problem` reads them together.
Each parser checks its rows on its own (required cells, levels, time zones,
availability, e-mail addresses...). Rules that relate rows or files to each
other (duplicate ids, manager cycles, history naming unknown people,
attributes named in the config) live in one place,
:func:`peermatch.model.check_references`; :func:`issue_problems` maps its
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
- locks.csv (``participant_id, cohort_id``) and pairs.csv (``person_a, person_b,
  rule``) name participants only; ``rule`` is ``together`` or ``apart`` in any
  case. Locking one person twice to one cohort is harmless; to two cohorts,
  an error. A lock or ``together`` group that breaks a hard rule on its own is
  an error on the row of its first lock (else its first pair), naming the rule
  and the people (see :mod:`peermatch.requests`); header-only files add nothing.
- history.csv and earlier cohorts.csv with a header and no rows are valid
  (an organiser's empty template: nothing to add) with an
  :class:`~peermatch.io.csvfile.InputWarning`; participants.csv and
  facilitators.csv without rows are errors (leave out ``--facilitators`` for
  a program without facilitators).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from peermatch.availability import AvailabilityError, parse_availability
from peermatch.errors import InputError, InputProblem
from peermatch.io.config import key_line
from peermatch.io.csvfile import Column, CsvTable, Row, RowLabel
from peermatch.io.messages import plain_message
from peermatch.io.tables import (
    FACILITATORS,
    HISTORY,
    LOCKS,
    PAIRS,
    PARTICIPANTS,
    PREVIOUS,
    Source,
    TableSpec,
    load_table,
)
from peermatch.levels import LevelError, resolve_level
from peermatch.model import (
    Facilitator,
    HistoryLink,
    Issue,
    Lock,
    PairRequest,
    Participant,
    check_references,
    normalise_key,
)

__all__ = [
    "FACILITATOR_COLUMNS",
    "HISTORY_COLUMNS",
    "LOCK_COLUMNS",
    "PAIR_COLUMNS",
    "PARTICIPANT_COLUMNS",
    "PREVIOUS_COLUMNS",
    "Parsed",
    "issue_problems",
    "parse_facilitators",
    "parse_history",
    "parse_locks",
    "parse_pairs",
    "parse_participants",
    "parse_previous",
    "raise_if",
    "read_facilitators",
    "read_history",
    "read_locks",
    "read_pairs",
    "read_participants",
    "read_previous",
]

PARTICIPANT_COLUMNS: tuple[Column, ...] = PARTICIPANTS.columns
FACILITATOR_COLUMNS: tuple[Column, ...] = FACILITATORS.columns
HISTORY_COLUMNS: tuple[Column, ...] = HISTORY.columns
PREVIOUS_COLUMNS: tuple[Column, ...] = PREVIOUS.columns
LOCK_COLUMNS: tuple[Column, ...] = LOCKS.columns
PAIR_COLUMNS: tuple[Column, ...] = PAIRS.columns

M = TypeVar("M", bound=BaseModel)


@dataclass
class Parsed(Generic[M]):
    """A file's valid items, and every row's (placeholder) item for the reference checks."""

    table: CsvTable
    items: list[M] = field(default_factory=list)
    refs: list[M] = field(default_factory=list)
    ref_rows: list[RowLabel] = field(default_factory=list)

    def add(self, item: M, row: RowLabel, *, valid: bool = True) -> None:
        """Keep row ``row``'s item for the reference checks, and among the items when ``valid``."""
        if valid:
            self.items.append(item)
        self.refs.append(item)
        self.ref_rows.append(row)


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


def parse_participants(source: Source, ladder: Sequence[str] | None) -> Parsed[Participant]:
    """Read participants' rows (see :func:`~peermatch.io.tables.load_table`) and check them
    one by one (see :class:`Parsed`)."""
    table = load_table(source, PARTICIPANTS)
    out: Parsed[Participant] = Parsed(table)
    for row in table.rows:
        bad = _required_blank(row, table, PARTICIPANTS.columns)
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
            out.add(person, row.number)
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
            out.add(stand_in, row.number, valid=False)
    return out


def parse_facilitators(source: Source) -> Parsed[Facilitator]:
    """Read facilitators' rows and check them one by one (as :func:`parse_participants`)."""
    table = load_table(source, FACILITATORS)
    out: Parsed[Facilitator] = Parsed(table)
    for row in table.rows:
        bad = _required_blank(row, table, FACILITATORS.columns)
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
            out.add(person, row.number)
        elif values["id"]:
            out.add(Facilitator.model_construct(**values), row.number, valid=False)
    return out


def _parse_rows(
    source: Source,
    spec: TableSpec,
    model: type[M],
    values: Callable[[Row], dict[str, Any]],
) -> Parsed[M]:
    """Read a simple table and check its rows one by one: each row with its required cells is
    one ``model``."""
    table = load_table(source, spec)
    out: Parsed[M] = Parsed(table)
    for row in table.rows:
        bad = _required_blank(row, table, spec.columns)
        if bad:
            continue
        item = _build(model, values(row), row, table, bad)
        if item is not None:
            out.add(item, row.number)
    return out


def _history_values(row: Row) -> dict[str, Any]:
    values = {"a": row.get("person_a"), "b": row.get("person_b")}
    if row.get("relation"):
        values["relation"] = row.get("relation")
    return values


def parse_history(source: Source) -> Parsed[HistoryLink]:
    """Read history rows and check them one by one (as :func:`parse_participants`)."""
    return _parse_rows(source, HISTORY, HistoryLink, _history_values)


def parse_locks(source: Source) -> Parsed[Lock]:
    """Read locks rows and check them one by one (as :func:`parse_participants`)."""
    return _parse_rows(
        source,
        LOCKS,
        Lock,
        lambda row: {
            "participant_id": row.get("participant_id"),
            "cohort_id": row.get("cohort_id"),
        },
    )


def parse_pairs(source: Source) -> Parsed[PairRequest]:
    """Read pairs rows and check them one by one (as :func:`parse_participants`)."""
    return _parse_rows(
        source,
        PAIRS,
        PairRequest,
        lambda row: {"a": row.get("person_a"), "b": row.get("person_b"), "rule": row.get("rule")},
    )


def parse_previous(table: CsvTable, known: set[str] | None) -> list[HistoryLink]:
    """An earlier cohorts table's cohort-mates (among ``known`` ids, when given) as history."""
    cohorts: dict[str, list[str]] = {}
    for row in table.rows:
        if _required_blank(row, table, PREVIOUS.columns):
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
    return links


def raise_if(problems: Iterable[InputProblem]) -> None:
    """Raise :class:`~peermatch.errors.InputError` when there is any problem."""
    problems = list(problems)
    if problems:
        raise InputError(problems)


def _row_name(label: RowLabel) -> str:
    return f"row {label}" if isinstance(label, int) else f"row '{label}'"


def issue_problems(
    issues: Iterable[Issue],
    sources: dict[str, tuple[CsvTable, list[RowLabel]]],
    config_file: str | None,
    config_text: str,
) -> list[InputProblem]:
    """Cross-reference issues of :func:`~peermatch.model.check_references` as input problems.

    Parameters
    ----------
    issues
        The issues; an entity's ``index`` counts the items given for it.
    sources
        Entity (``participant``...) -> its table and the row label of each item.
    config_file, config_text
        program.toml's name and text, to find the line of a config issue.
    """
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
        def to_row(m: re.Match[str], rows: list[RowLabel] = rows) -> str:
            return _row_name(rows[int(m[1]) - 1]) if int(m[1]) <= len(rows) else m[0]

        message = re.sub(rf"\b{issue.entity} #(\d+)\b", to_row, issue.message)
        column = table.column(issue.field)
        if column == issue.field:
            # An extra column (a [closeness] one, say) is named as its header is written.
            column = next((h for h in table.extra_headers if normalise_key(h) == column), column)
        out.append(InputProblem(table.file, rows[issue.index], column, message))
    return out


def _checked(parsed: Parsed[M], entity: str, issues: Iterable[Issue]) -> tuple[M, ...]:
    """``parsed``'s items; else every problem of its file and of the reference ``issues``."""
    sources = {entity: (parsed.table, parsed.ref_rows)}
    raise_if(parsed.table.problems + issue_problems(issues, sources, None, ""))
    return tuple(parsed.items)


def read_participants(
    path: Source, *, ladder: Sequence[str] | None = None
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
    parsed = parse_participants(path, ladder)
    issues = check_references(parsed.refs)
    return _checked(parsed, "participant", issues)


def read_facilitators(path: Source) -> tuple[Facilitator, ...]:
    """Read facilitators.csv on its own (duplicate ids are checked too).

    Raises
    ------
    InputError
        Every problem in the file.
    """
    parsed = parse_facilitators(path)
    issues = check_references((), parsed.refs)
    return _checked(parsed, "facilitator", issues)


def read_history(path: Source) -> tuple[HistoryLink, ...]:
    """Read history.csv on its own; whether its ids exist is checked by :func:`read_problem`.

    Raises
    ------
    InputError
        Every problem in the file (missing columns, blank cells...).
    """
    return _checked(parse_history(path), "history", ())


def read_previous(path: Source, known_ids: Iterable[str] | None = None) -> tuple[HistoryLink, ...]:
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
    table = load_table(path, PREVIOUS)
    links = parse_previous(table, set(known_ids) if known_ids is not None else None)
    raise_if(table.problems)
    return tuple(links)


def read_locks(path: Source) -> tuple[Lock, ...]:
    """Read locks.csv on its own, as :func:`read_history` reads history.csv (same checks and errors)."""
    return _checked(parse_locks(path), "lock", ())


def read_pairs(path: Source) -> tuple[PairRequest, ...]:
    """Read pairs.csv on its own, as :func:`read_history` reads history.csv.

    The same checks and errors, and one more: ``rule`` is ``together`` or
    ``apart`` (any case).
    """
    return _checked(parse_pairs(path), "pair", ())
