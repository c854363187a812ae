"""Reading organisers' CSV exports: encodings, header names, ragged rows.

This module knows nothing about participants or facilitators; it turns a file
into a :class:`CsvTable` of rows keyed by *canonical* column names, and
collects every problem it meets as :class:`~peermatch.errors.InputProblem`
instead of stopping at the first one.

Decisions where the contract is silent
--------------------------------------
- Encoding: UTF-8 (a byte-order mark is dropped) is tried first. Bytes that
  are not UTF-8 but are valid Windows-1252 (what Excel writes for "CSV
  (Comma delimited)") are decoded as such and an :class:`InputWarning` says
  so. UTF-16 files (Excel's "Unicode Text"), files containing NUL bytes
  (binary files) and bytes valid in neither encoding are refused.
- Only commas separate cells. A header that holds no comma but semicolons or
  tabs (a European-locale Excel export) is refused with a hint, because
  availability texts contain semicolons and guessing would corrupt them.
- Rows are counted as a spreadsheet counts them: the header is row 1, each
  record is one row even when a quoted cell spans several lines, and blank
  lines count as rows (so numbers match what the organiser sees) but are
  skipped. Rows whose cells are all blank are skipped too.
- Cells are stripped of surrounding white space.
- A file that is really an Excel workbook (a zip archive) is refused with a
  hint to name it ``.xlsx``, which :mod:`peermatch.io.workbook` reads.
- A cell that peermatch neutralised against formula injection when it wrote
  it (``'=...``, see :mod:`peermatch.io.safecsv`) reads back as the value
  that was written, so an output given back as input (an earlier
  ``cohorts.csv``) names the same ids.
- A row with more or fewer cells than the header is an error: an unquoted
  comma in a name, or a missing one, shifts every value after it, and
  padding or trimming would silently misplace data. (Excel's trailing commas
  for formatted but empty columns come with blank header cells, so its rows
  match the header's width.)
- Header cells that are blank are ignored when their column holds no value,
  else they are an error. Two header cells that mean the same column (say
  ``Email`` and ``e-mail``) are an error naming both.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from peermatch.errors import InputProblem
from peermatch.io.safecsv import restore
from peermatch.model import normalise_key

__all__ = [
    "MAX_CELL_CHARS",
    "Column",
    "CsvTable",
    "InputWarning",
    "Row",
    "RowLabel",
    "build_rows",
    "decode_bytes",
    "read_csv",
]

#: How a row is named in problems: its spreadsheet row number in a file, its
#: index label (an ``int`` or its ``str``) in a DataFrame.
RowLabel = int | str

#: The largest cell accepted; anything longer is not an organiser's export.
MAX_CELL_CHARS = 100_000


class InputWarning(UserWarning):
    """Something in an input file was accepted but deserves the organiser's attention.

    The message reads ``file:row:column: warning: text`` like an input problem.
    """


@dataclass(frozen=True)
class Column:
    """A column a reader expects.

    Parameters
    ----------
    name
        The canonical name (``organisation``).
    required
        Whether the file must have this column.
    aliases
        Other header names meaning the same column; compared after
        :func:`~peermatch.model.normalise_key`, like the canonical name.
    """

    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        """Every normalised header name that means this column."""
        return {normalise_key(self.name), *(normalise_key(a) for a in self.aliases)}


@dataclass(frozen=True)
class Row:
    """One data row: its spreadsheet row number and its cells by canonical column name.

    ``number`` is the row's name in problems: the spreadsheet row number of a
    file, the index label of a DataFrame. ``extra`` holds the cells of columns
    the reader does not know, keyed by the header text as written.
    """

    number: RowLabel
    cells: Mapping[str, str]
    extra: Mapping[str, str]

    def get(self, name: str) -> str:
        """The stripped cell of canonical column ``name``; ``""`` when absent or blank."""
        return self.cells.get(name, "")


@dataclass
class CsvTable:
    """A CSV file read against a list of expected :class:`Column` s.

    Attributes
    ----------
    file
        The file name as given by the caller (used in every problem).
    headers
        Canonical column name -> the header text as written in the file.
    extra_headers
        Header texts of the columns that are not expected, in file order.
    rows
        The non-blank data rows, including rows that have problems.
    problems
        Every problem found at file, header or row level.
    header_row
        The row number header problems are reported on: 1 for a file,
        ``None`` for a DataFrame (whose rows are named by index labels).
    """

    file: str
    headers: dict[str, str] = field(default_factory=dict)
    extra_headers: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    header_row: int | None = 1

    def column(self, name: str) -> str:
        """The header text of canonical column ``name`` (the canonical name when absent)."""
        return self.headers.get(name, name)

    def problem(self, row: RowLabel | None, name: str | None, message: str) -> None:
        """Record a problem at ``row`` in canonical column ``name`` (or the whole row/file)."""
        column = self.column(name) if name is not None else None
        self.problems.append(InputProblem(self.file, row, column, message))

    def sound(self) -> bool:
        """Whether the header was readable (no file-level or header problem)."""
        return not any(p.row is None or p.row == self.header_row for p in self.problems)


def decode_bytes(data: bytes, file: str) -> tuple[str | None, str | None]:
    """Decode a CSV file's bytes; return ``(text, None)`` or ``(None, reason)``.

    A ``(text, None)`` decoded as Windows-1252 also emits an :class:`InputWarning`.

    Parameters
    ----------
    data
        The raw file content.
    file
        The file name, for the warning.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        len(data) >= 4 and data[1:4:2] == b"\0\0" and data[0] and data[2]
    ):
        return None, (
            "is UTF-16 text (Excel's 'Unicode Text'); save it as 'CSV UTF-8 (Comma delimited)'"
        )
    if b"\0" in data:
        return None, "is not a CSV text file (it contains binary data)"
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None, (
            f"is neither UTF-8 nor Windows-1252 text (byte 0x{data[utf8_error.start]:02x} "
            f"at offset {utf8_error.start}); save it as 'CSV UTF-8 (Comma delimited)'"
        )
    warnings.warn(
        InputWarning(
            f"{file}::: warning: not UTF-8; read it as Windows-1252 (Excel's 'CSV' export). "
            "Check accented names, or save as 'CSV UTF-8' to be sure"
        ),
        stacklevel=3,
    )
    return text, None


def _read_bytes(path: Path, table: CsvTable) -> bytes | None:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        table.problem(None, None, "is a directory, not a CSV file")
    except FileNotFoundError:
        table.problem(None, None, "file not found")
    except PermissionError:
        table.problem(None, None, "cannot be read (permission denied)")
    except OSError as exc:
        table.problem(None, None, f"cannot be read ({exc.strerror or exc})")
    return None


def _records(text: str, table: CsvTable) -> list[tuple[int, list[str]]] | None:
    """Split ``text`` into ``(row number, cells)`` records; ``None`` after a fatal CSV error."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    out: list[tuple[int, list[str]]] = []
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return out
        except csv.Error as exc:
            number += 1
            if "field larger than field limit" in str(exc):
                table.problem(number, None, f"a cell is longer than {MAX_CELL_CHARS} characters")
            else:
                table.problem(number, None, f"is not valid CSV here ({exc})")
            return None
        number += 1
        if any(len(c) > MAX_CELL_CHARS for c in cells):
            table.problem(number, None, f"a cell is longer than {MAX_CELL_CHARS} characters")
            return None
        out.append((number, [restore(c.strip()).strip() for c in cells]))


def read_csv(
    path: str | Path,
    columns: Sequence[Column],
    *,
    file: str | None = None,
    allow_empty: bool = False,
) -> CsvTable:
    """Read a CSV file against the expected ``columns``.

    Parameters
    ----------
    path
        The file to read.
    columns
        The columns the reader knows; header cells are matched to them
        case-insensitively, ignoring spaces, hyphens and underscores, and
        through each column's aliases.
    file
        The name to use in problems; ``str(path)`` by default.
    allow_empty
        Whether a header without data rows is valid (an optional table with
        nothing to add: an :class:`InputWarning` then says so) or a problem.

    Returns
    -------
    CsvTable
        Never raises for bad input: problems are collected in ``problems``.
    """
    path = Path(path)
    table = CsvTable(file=file if file is not None else str(path))
    data = _read_bytes(path, table)
    if data is None:
        return table
    if data.startswith(b"PK\x03\x04"):
        table.problem(
            None,
            None,
            "is an Excel workbook (a zip archive), not a CSV file: name it .xlsx "
            "(book.xlsx#Sheet reads one sheet) or save it as 'CSV UTF-8 (Comma delimited)'",
        )
        return table
    text, reason = decode_bytes(data, table.file)
    if text is None:
        table.problem(None, None, reason or "cannot be decoded")
        return table
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL_CHARS + 1)
    try:
        records = _records(text, table)
    finally:
        csv.field_size_limit(old_limit)
    if records is None:
        return table
    if records and text.count('"') % 2 and any("\n" in c or "\r" in c for c in records[-1][1]):
        # The csv module reads an unclosed quote to the end of the file; say so
        # rather than report the swallowed rows as one ragged row.
        table.problem(records[-1][0], None, 'a quote (") opened in this row is never closed')
        return table
    records = [(n, cells) for n, cells in records if any(cells)]
    if not records:
        table.problem(None, None, "is empty (expected a header row and data rows)")
        return table
    header_number, header = records[0]
    if header_number != 1:
        # Keep the contract's "header is row 1" even after leading blank lines.
        records = [(n - header_number + 1, c) for n, c in records]
        header_number = 1
    if len(header) == 1 and re.search(r"[;\t]", header[0]):
        sep = "semicolons" if ";" in header[0] else "tabs"
        table.problem(
            1,
            None,
            f"the header is separated by {sep}, not commas; save the file as "
            "'CSV UTF-8 (Comma delimited)'",
        )
        return table
    build_rows(table, header, records[1:], columns, allow_empty=allow_empty)
    return table


def build_rows(
    table: CsvTable,
    header: Sequence[str],
    records: Sequence[tuple[RowLabel, Sequence[str]]],
    columns: Sequence[Column],
    *,
    allow_empty: bool = False,
) -> None:
    """Match ``header`` to ``columns`` and add every record of the right width to ``table``.

    The part of reading shared by files and DataFrames: header matching,
    required columns, the no-data-rows rule and ragged rows all give the
    same problems whatever the table came from.

    Parameters
    ----------
    table
        The table to fill; its ``file`` and ``header_row`` name the problems.
    header
        The header cells as written.
    records
        ``(row label, stripped cells)`` of the non-blank data rows.
    columns
        The columns the reader knows.
    allow_empty
        See :func:`read_csv`.
    """
    positions, extras = _match_header(list(header), columns, records, table)
    for column in columns:
        if column.required and column.name not in table.headers:
            also = ", ".join(sorted(column.aliases)) if column.aliases else ""
            table.problem(
                table.header_row,
                column.name,
                f"missing required column '{column.name}'"
                + (f" (also accepted: {also})" if also else ""),
            )
    if not records:
        if not allow_empty:
            table.problem(None, None, "has a header but no data rows")
        else:
            warnings.warn(
                InputWarning(
                    f"{table.file}::: warning: has a header but no data rows; read as nothing to add"
                ),
                stacklevel=3,
            )
    width = len(header)
    for number, cells in records:
        if len(cells) != width:
            hint = (
                "is a comma inside a value not quoted?"
                if len(cells) > width
                else ("is a comma missing?")
            )
            table.problem(
                number,
                None,
                f"has {len(cells)} cells but the header has {width} columns ({hint})",
            )
            continue
        known = {name: cells[i] for name, i in positions.items()}
        extra = {text: cells[i] for text, i in extras}
        table.rows.append(Row(number, known, extra))


def _match_header(
    header: list[str],
    columns: Sequence[Column],
    data: Sequence[tuple[RowLabel, Sequence[str]]],
    table: CsvTable,
) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Map canonical names to cell positions; list ``(header text, position)`` of extra columns."""
    lookup: dict[str, str] = {}
    for column in columns:
        for key in column.names():
            lookup[key] = column.name
    positions: dict[str, int] = {}
    extras: list[tuple[str, int]] = []
    seen: dict[str, str] = {}  # normalised meaning -> header text first seen
    for i, text in enumerate(header):
        key = normalise_key(text)
        if not key:
            if any(len(cells) > i and cells[i] for _, cells in data):
                table.problems.append(
                    InputProblem(
                        table.file,
                        table.header_row,
                        f"column {i + 1}",
                        "column has values but no header name",
                    )
                )
            continue
        meaning = lookup.get(key, key)
        if meaning in seen:
            table.problems.append(
                InputProblem(
                    table.file,
                    table.header_row,
                    text,
                    f"column '{text}' repeats column '{seen[meaning]}'"
                    + (f" (both mean '{meaning}')" if meaning in lookup.values() else ""),
                )
            )
            continue
        seen[meaning] = text
        if meaning in lookup.values():
            table.headers[meaning] = text
            positions[meaning] = i
        else:
            extras.append((text, i))
            table.extra_headers.append(text)
    return positions, extras
