"""Reading an organiser's files: participants, history, facilitators, earlier cohorts, config.

The entry point is :func:`read_problem`, which reads every file (or pandas
DataFrame) of a program
and raises :class:`~peermatch.errors.InputError` listing every problem found
across all of them as ``file:row:column: message``.

Modules
-------
problem
    :func:`read_problem`: every input table together into one ProblemData.
tables, csvfile, readers, messages
    The known input tables; CSV encodings, headers and ragged rows; the
    per-table readers; pydantic errors in the organiser's words.
config
    ``program.toml``: :func:`read_config` and the one writer, :func:`program_toml`.
frames
    pandas DataFrames in and out.
workbook
    Reading a table from an Excel workbook (``book.xlsx``, ``book.xlsx#Sheet``).
writers, outdir, safecsv, workbook_out
    The run's output files, published whole or not at all; CSV and workbook
    cells never formulas (``cohorts.xlsx``).
ical, ical_events, vtimezone
    The calendars (RFC 5545): shapes, events and time zones.
"""

from peermatch.io.config import read_config
from peermatch.io.csvfile import InputWarning
from peermatch.io.problem import read_problem
from peermatch.io.readers import (
    read_facilitators,
    read_history,
    read_participants,
    read_previous,
)

__all__ = [
    "InputWarning",
    "read_config",
    "read_facilitators",
    "read_history",
    "read_participants",
    "read_previous",
    "read_problem",
]
