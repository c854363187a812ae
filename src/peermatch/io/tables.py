"""The input tables peermatch knows, and reading one from a file or a DataFrame.

Each table is a :class:`TableSpec`: its name, the columns it knows and whether
a header without rows is valid. :func:`load_table` turns a path or a pandas
DataFrame into the same :class:`~peermatch.io.csvfile.CsvTable`, so that the
row checks in :mod:`peermatch.io.readers` see no difference between the two.
A new input file is one more spec here (and in :data:`SPECS`), one row parser in
:mod:`peermatch.io.readers` and one argument of
:func:`~peermatch.io.problem.read_problem`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeAlias

from peermatch.io.csvfile import Column, CsvTable, read_csv
from peermatch.io.workbook import is_workbook_name, read_sheet

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FACILITATORS",
    "HISTORY",
    "LOCKS",
    "PAIRS",
    "PARTICIPANTS",
    "PREVIOUS",
    "SPECS",
    "Source",
    "TableSpec",
    "is_frame",
    "load_table",
    "source_name",
]

#: What a reader accepts for a table: a path, or a pandas DataFrame with the file's columns.
Source: TypeAlias = "str | os.PathLike[str] | pd.DataFrame"


@dataclass(frozen=True)
class TableSpec:
    """One input table.

    Parameters
    ----------
    name
        The table's name in problems about a DataFrame (``participants``
        gives ``participants (DataFrame):label:column: message``).
    columns
        The columns it knows (required ones first, by convention).
    allow_empty
        Whether a header without data rows is valid: true for tables that
        only add to a program (history, earlier cohorts), whose empty
        template means "nothing to add".
    """

    name: str
    columns: tuple[Column, ...]
    allow_empty: bool = False


_EMAIL = ("e-mail", "mail", "email address", "e-mail address")
_ORGANISATION = ("organization", "org", "company", "employer")
_NAME = ("full name", "display name")
_AVAILABILITY = ("available", "availabilities")

PARTICIPANTS = TableSpec(
    "participants",
    (
        Column("id", True, ("participant id", "person id")),
        Column("name", True, _NAME),
        Column("email", True, _EMAIL),
        Column("organisation", True, _ORGANISATION),
        Column("level", True, ("seniority", "grade")),
        Column("industry", False, ("sector",)),
        Column("function", False, ("dept", "department")),
        Column("manager_id", False, ("manager", "reports_to", "line manager")),
        Column("timezone", False, ("tz", "time_zone")),
        Column("availability", False, _AVAILABILITY),
    ),
)
# A facilitators file without rows is refused: passing one says the program
# has facilitators, and a program without them is asked for by leaving it out.
FACILITATORS = TableSpec(
    "facilitators",
    (
        Column("id", True, ("facilitator id",)),
        Column("name", True, _NAME),
        Column("email", True, _EMAIL),
        Column("organisation", False, _ORGANISATION),
        Column("timezone", False, ("tz", "time_zone")),
        Column("availability", False, _AVAILABILITY),
        Column("max_cohorts", False, ("capacity", "cohorts")),
    ),
)
# history.csv and pairs.csv both name two people the same way.
_TWO_PEOPLE = (
    Column("person_a", True, ("a", "person 1", "participant a", "id a")),
    Column("person_b", True, ("b", "person 2", "participant b", "id b")),
)
HISTORY = TableSpec(
    "history",
    (*_TWO_PEOPLE, Column("relation", False, ("reason", "relationship", "type"))),
    allow_empty=True,
)
PREVIOUS = TableSpec(
    "previous cohorts",
    (
        Column("cohort_id", True, ("cohort",)),
        Column("participant_id", True, ("participant", "person id")),
    ),
    allow_empty=True,
)


# locks.csv and pairs.csv only add requests: an empty template means "nothing to add".
LOCKS = TableSpec(
    "locks",
    (
        Column("participant_id", True, ("participant", "person id", "id", "person")),
        Column("cohort_id", True, ("cohort",)),
    ),
    allow_empty=True,
)
PAIRS = TableSpec(
    "pairs",
    (*_TWO_PEOPLE, Column("rule", True, ("request", "type", "relation"))),
    allow_empty=True,
)

#: Every input table by the name of the file it reads (the command line's and
#: the workspace's: ``participants``, ``history``, ..., ``previous``).
SPECS: Mapping[str, TableSpec] = MappingProxyType(
    {
        "participants": PARTICIPANTS,
        "history": HISTORY,
        "facilitators": FACILITATORS,
        "locks": LOCKS,
        "pairs": PAIRS,
        "previous": PREVIOUS,
    }
)


def is_frame(source: Any) -> bool:
    """Whether ``source`` is a DataFrame (checked without importing pandas)."""
    return not isinstance(source, str | os.PathLike) and all(
        hasattr(source, name) for name in ("columns", "index", "itertuples")
    )


def source_name(source: Any, spec: TableSpec, number: int | None = None) -> str:
    """The name problems use for ``source``: the path as given, or ``<table> (DataFrame)``.

    ``number`` tells apart several DataFrames of one table (earlier cohorts).
    """
    if is_frame(source):
        suffix = "" if number is None else f" #{number}"
        return f"{spec.name}{suffix} (DataFrame)"
    return str(source)


def load_table(
    source: Source, spec: TableSpec, *, file: str | None = None, number: int | None = None
) -> CsvTable:
    """Read one table from a path or a DataFrame; never raises for bad content.

    Parameters
    ----------
    source
        A CSV file's path, an Excel workbook's (``book.xlsx`` for its first
        sheet, ``book.xlsx#Sheet`` for a named one; see
        :mod:`peermatch.io.workbook`), or a pandas DataFrame with the file's columns
        (the header is the column names; rows are named by index label).
    spec
        Which table it is.
    file
        The name to use in problems; see :func:`source_name` by default.
    number
        See :func:`source_name`.

    Raises
    ------
    TypeError
        When ``source`` is neither a path nor a DataFrame (a programming error).
    """
    if not is_frame(source) and isinstance(source, str | os.PathLike) and is_workbook_name(source):
        # Named after the sheet it reads (book.xlsx#Participants) unless told otherwise.
        return read_sheet(source, spec.columns, file=file, allow_empty=spec.allow_empty)
    name = file if file is not None else source_name(source, spec, number)
    if is_frame(source):
        from peermatch.io.frames import frame_table

        return frame_table(source, spec.columns, file=name, allow_empty=spec.allow_empty)
    if not isinstance(source, str | os.PathLike):
        raise TypeError(
            f"{spec.name}: expected a path or a pandas DataFrame, not {type(source).__name__}"
        )
    return read_csv(Path(source), spec.columns, file=name, allow_empty=spec.allow_empty)
