"""pandas in and out: DataFrames as input tables, and the output tables as DataFrames.

Input: :func:`frame_table` turns a DataFrame into the
:class:`~peermatch.io.csvfile.CsvTable` a CSV file would give, through the same
header matching and row checks (:func:`~peermatch.io.csvfile.build_rows`), so
a DataFrame gets exactly a file's validation and messages. Only its rows are
named differently: by their index label instead of a spreadsheet row number.

Output: :func:`to_frames` returns cohorts, sessions and unassigned (and
changes after a repair) with exactly the CSV files' columns, from the rows the
CSV writers write, before any spreadsheet neutralisation: a DataFrame is not
opened by a spreadsheet, so it keeps the raw values.

Decisions where the contract is silent
--------------------------------------
- A cell becomes the text a CSV export would hold: missing values (``None``,
  ``NaN``, ``NA``, ``NaT``) are blank; a whole float is written without its
  ``.0`` (an integer column with a gap is a float column in pandas, and its
  ``3.0`` means level 3); dates and times in ISO 8601; anything else ``str``.
- Column names are taken as ``str``; an index label that is an integer stays
  one in problems, any other label is shown as ``str``.
- A row with a cell longer than the CSV limit is reported and skipped (a file
  stops there, since its rows cannot be trusted after; a DataFrame's can).
- Output cells are strings, as in the files: ``pd.read_csv(path, dtype=str,
  keep_default_na=False)`` of a written file gives the same frame.

pandas is imported only when output frames are built; reading a DataFrame
needs no import (the caller already has pandas).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, NamedTuple

from peermatch.io.csvfile import MAX_CELL_CHARS, Column, CsvTable, RowLabel, build_rows

if TYPE_CHECKING:
    import pandas as pd

    from peermatch.model import ProblemData
    from peermatch.solution import Result, Solution

__all__ = ["CHANGE_COLUMNS", "Frames", "frame_table", "to_frames"]

#: The columns of changes.csv (``repair`` only).
CHANGE_COLUMNS = ("participant_id", "change", "from_cohort", "to_cohort", "reason")


def _cell(value: Any) -> str:
    """A DataFrame cell as the stripped text a CSV export would hold."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _label(label: Any) -> RowLabel:
    if isinstance(label, str):
        return label
    if not isinstance(label, bool):
        try:
            return operator.index(label)  # int, numpy integers
        except TypeError:
            pass
    return str(label)


def frame_table(
    frame: Any, columns: Sequence[Column], *, file: str, allow_empty: bool = False
) -> CsvTable:
    """Read a pandas DataFrame against the expected ``columns``, as a CSV file would be.

    Parameters
    ----------
    frame
        The DataFrame; its column names are the header.
    columns
        The columns the reader knows.
    file
        The name used in problems, e.g. ``participants (DataFrame)``.
    allow_empty
        Whether a frame without rows is valid (see :func:`~peermatch.io.csvfile.read_csv`).

    Returns
    -------
    CsvTable
        With ``header_row`` ``None`` and rows named by index label; never
        raises for bad content.
    """
    table = CsvTable(file=file, header_row=None)
    header = [_cell(c) if not isinstance(c, str) else c.strip() for c in frame.columns]
    if not header:
        table.problem(None, None, "has no columns (expected the file's header names)")
        return table
    records: list[tuple[RowLabel, list[str]]] = []
    for label, *values in frame.itertuples(index=True, name=None):
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue  # like a blank line in a file
        name = _label(label)
        if any(len(c) > MAX_CELL_CHARS for c in cells):
            table.problem(name, None, f"a cell is longer than {MAX_CELL_CHARS} characters")
            continue
        records.append((name, cells))
    build_rows(table, header, records, columns, allow_empty=allow_empty)
    return table


class Frames(NamedTuple):
    """The output tables as DataFrames, with exactly the CSV files' columns.

    ``changes`` is ``None`` unless changes were given (after a repair).
    """

    cohorts: pd.DataFrame
    sessions: pd.DataFrame
    unassigned: pd.DataFrame
    changes: pd.DataFrame | None = None


def _change_row(change: Any) -> list[str]:
    get = change.get if isinstance(change, Mapping) else (lambda k: getattr(change, k, None))
    return ["" if get(k) is None else str(get(k)) for k in CHANGE_COLUMNS]


def to_frames(
    problem: ProblemData,
    solution: Solution | Result,
    changes: Iterable[Any] | None = None,
) -> Frames:
    """The output tables of a solution as pandas DataFrames.

    Parameters
    ----------
    problem
        The problem that was solved.
    solution
        Its solution, or the :class:`~peermatch.solution.Result` holding it.
    changes
        After a repair, its changes: mappings or objects with the
        :data:`CHANGE_COLUMNS` as keys or attributes (``None`` values blank).

    Returns
    -------
    Frames
        ``cohorts``, ``sessions``, ``unassigned`` (and ``changes``) with the
        CSV columns in the CSV order and every cell the string the CSV holds,
        unneutralised (``=`` or ``+`` at the start of a name is kept).

    Raises
    ------
    ValueError
        When a :class:`~peermatch.solution.Result` holds no solution, or a
        cohort has no slot.

    Examples
    --------
    See the README's "Library quickstart".
    """
    import pandas as pd

    from peermatch.io.writers import cohort_rows, session_rows, unassigned_rows
    from peermatch.solution import Result

    if isinstance(solution, Result):
        if solution.solution is None:
            raise ValueError(f"no solution to convert (status: {solution.status})")
        sol = solution.solution
    else:
        sol = solution

    def frame(table: tuple[list[str], list[list[str]]]) -> pd.DataFrame:
        header, rows = table
        return pd.DataFrame(rows, columns=header)

    return Frames(
        cohorts=frame(cohort_rows(problem, sol)),
        sessions=frame(session_rows(problem, sol)),
        unassigned=frame(unassigned_rows(sol)),
        changes=None
        if changes is None
        else frame((list(CHANGE_COLUMNS), [_change_row(c) for c in changes])),
    )
