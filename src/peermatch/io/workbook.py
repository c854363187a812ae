"""Reading a table from an Excel workbook (``.xlsx``): one sheet, as a CSV file would be read.

``book.xlsx`` names the workbook's first visible sheet, ``book.xlsx#History``
the sheet of that name (hidden sheets too), so that one workbook can hold
every table of a program. :func:`read_sheet` turns the sheet into the same
:class:`~peermatch.io.csvfile.CsvTable` a CSV file gives, through the same
header matching and row checks (:func:`~peermatch.io.csvfile.build_rows`):
only the file part of a problem differs (``book.xlsx#Participants:14:level:
...``, rows numbered as Excel numbers them).

openpyxl reads the sheet in read-only mode (its streaming parser), so a
100,000-row workbook reads in bounded memory; nothing here parses zip or XML
by hand. The cells come from openpyxl's own sheet parser (``WorkSheetParser``,
what its read-only worksheets use), subclassed only to see what the
read-only API hides: a formula cell without a saved value (it would read as
blank) and the merged ranges. ``tests/io/test_workbook.py`` pins both.

Decisions where the contract is silent
--------------------------------------
- A cell becomes the text a CSV export of it would hold: a whole number is its
  integer (``3``, not ``3.0``), other numbers their shortest decimal form, a
  date at midnight its ISO date (``2026-03-02``), another date and time
  ``2026-03-02T09:30:00``, a time ``09:30`` (seconds only when not zero),
  booleans ``TRUE``/``FALSE`` as Excel shows them. Text is stripped of
  surrounding white space and read as written (a workbook cell is never
  neutralised by peermatch, so nothing is undone).
- A formula cell is its saved value (what Excel shows). A formula without a
  saved value (a file written by a program that cannot calculate) and a cell
  holding an Excel error (``#N/A``, ``#DIV/0!``) are problems naming the cell;
  such a row is not read further.
- The header is the first row with a value; rows keep Excel's numbers (a
  header on row 3 is reported as row 3). Rows and trailing columns without a
  value (formatted but empty, as Excel leaves them) are ignored; a value in a
  column without a header name is a problem, as in a CSV file.
- A merged range below the header gives its value to every cell it covers
  (an organisation merged over its people's rows means that organisation for
  each of them); a merged header cell keeps its value in its first column only.
- The first sheet is the first *visible* one (what Excel opens on); a hidden
  sheet is read only when named. An unknown sheet name is a problem listing
  the workbook's sheets.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from peermatch.errors import InputProblem
from peermatch.io.csvfile import Column, CsvTable, build_rows

__all__ = ["WORKBOOK_SUFFIXES", "ZIP_MAGIC", "is_workbook_name", "read_sheet", "split_sheet"]

#: File name endings read as Excel workbooks.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
#: The first bytes of every zip file, hence of every ``.xlsx``.
ZIP_MAGIC = b"PK\x03\x04"
_NO_SAVED_VALUE = "formula without a saved value"
# What openpyxl raises for a damaged workbook (a truncated zip, bad XML, a missing part).
_BROKEN: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    ParseError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    EOFError,
    OSError,
    zlib.error,
)


def is_workbook_name(name: str | os.PathLike[str]) -> bool:
    """Whether ``name`` (a path, maybe with ``#Sheet``) names an Excel workbook."""
    return split_sheet(name) is not None


def split_sheet(source: str | os.PathLike[str]) -> tuple[Path, str | None] | None:
    """Split ``book.xlsx#Sheet`` into the workbook's path and the sheet name.

    Returns ``(path, None)`` for a workbook without a sheet name and ``None``
    when ``source`` does not name a workbook. A ``#`` that is part of an
    existing file's name is not a sheet separator.

    >>> split_sheet("in/book.xlsx#History")
    (PosixPath('in/book.xlsx'), 'History')
    >>> split_sheet("people.csv") is None
    True
    """
    text = os.fspath(source)
    base, hash_, sheet = text.rpartition("#")
    if hash_ and base.lower().endswith(WORKBOOK_SUFFIXES) and not Path(text).exists():
        return Path(base), sheet.strip() or None
    if text.lower().endswith(WORKBOOK_SUFFIXES):
        return Path(text), None
    return None


def _cell_text(value: Any) -> str:
    """A cell's value as the stripped text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, timedelta):
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60}:{minutes % 60:02d}"
    return str(value).strip()


def _parser_class() -> Any:
    """openpyxl's sheet parser, also noting formula cells that have no saved value.

    With ``data_only`` openpyxl gives such a cell as empty, indistinguishable
    from a blank one; the parser sees the ``<f>`` element without a ``<v>``
    value. (An empty ``<v/>`` is a saved value only for a text result,
    ``t="str"``: a formula giving ``""``; openpyxl writes ``<v/>`` for every
    formula it cannot calculate.)
    """
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class CellParser(WorkSheetParser):  # type: ignore[misc]
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            if element.find(FORMULA_TAG) is not None:
                saved = element.find(VALUE_TAG)
                if saved is None or (not saved.text and element.get("t", "n") != "str"):
                    cell["data_type"] = _NO_SAVED_VALUE
            return cell

    return CellParser


class _Sheet:
    """The cells of one sheet: rows of text by Excel row number, and the bad cells."""

    def __init__(self) -> None:
        self.rows: dict[int, list[str]] = {}
        # (row, column index from 0, message) of cells that cannot be read.
        self.bad: list[tuple[int, int, str]] = []
        self.merges: list[tuple[int, int, int, int]] = []  # min_row, min_col, max_row, max_col


def _read_cells(workbook: Any, sheet: Any) -> _Sheet:
    """Stream ``sheet``'s cells through openpyxl's parser (read-only: bounded memory)."""
    from openpyxl.utils import get_column_letter, range_boundaries

    out = _Sheet()
    parser_class = _parser_class()
    # The read-only sheet's own source and settings: what ReadOnlyWorksheet passes its parser.
    with sheet._get_source() as src:
        parser = parser_class(
            src,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            texts: list[str] = []
            for cell in cells:
                column = cell["column"] - 1
                kind = cell["data_type"]
                if kind in (_NO_SAVED_VALUE, "e"):
                    where = f"{get_column_letter(column + 1)}{number}"
                    out.bad.append(
                        (
                            number,
                            column,
                            f"cell {where} holds a formula without a saved value; open and "
                            "save the file in Excel"
                            if kind == _NO_SAVED_VALUE
                            else f"cell {where} holds the Excel error {cell['value']}",
                        )
                    )
                    continue
                text = _cell_text(cell["value"])
                if text:
                    texts.extend([""] * (column + 1 - len(texts)))
                    texts[column] = text
            out.rows[number] = texts
        if parser.merged_cells is not None:
            for merged in parser.merged_cells.mergeCell:
                min_col, min_row, max_col, max_row = range_boundaries(merged.ref)
                out.merges.append((min_row, min_col - 1, max_row, max_col - 1))
    return out


def _fill_merges(sheet: _Sheet, header_row: int) -> None:
    """Give a merged range's value (its top-left cell's) to every cell it covers below the header."""
    for min_row, min_col, max_row, max_col in sheet.merges:
        if min_row <= header_row:
            continue
        first = sheet.rows.get(min_row, [])
        value = first[min_col] if min_col < len(first) else ""
        if not value:
            continue
        for number in range(min_row, max_row + 1):
            cells = sheet.rows.setdefault(number, [])
            cells.extend([""] * (max_col + 1 - len(cells)))
            for column in range(min_col, max_col + 1):
                cells[column] = value


def _pick_sheet(workbook: Any, name: str | None, table: CsvTable) -> Any:
    if name is None:
        visible = [s for s in workbook.worksheets if s.sheet_state == "visible"]
        if not visible:
            table.problem(None, None, "has no visible worksheet; name one as book.xlsx#Sheet")
            return None
        return visible[0]
    if name in workbook.sheetnames and name in {s.title for s in workbook.worksheets}:
        return workbook[name]
    folded = [s for s in workbook.worksheets if s.title.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]  # Excel's sheet names are case-insensitive too
    listed = ", ".join(f"'{s.title}'" for s in workbook.worksheets)
    table.problem(None, None, f"the workbook has no sheet '{name}' (its sheets: {listed})")
    return None


def _open(path: Path, table: CsvTable) -> Any:
    """The workbook in read-only mode, or ``None`` after recording why it cannot be read."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(len(ZIP_MAGIC))
    except IsADirectoryError:
        table.problem(None, None, "is a directory, not an Excel workbook")
        return None
    except FileNotFoundError:
        table.problem(None, None, "file not found")
        return None
    except OSError as exc:
        table.problem(None, None, f"cannot be read ({exc.strerror or exc})")
        return None
    if magic != ZIP_MAGIC:
        table.problem(
            None,
            None,
            "is not an Excel workbook (.xlsx files are zip archives; this one is not): "
            "a CSV file must be named .csv, an old .xls must be saved as .xlsx",
        )
        return None
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (*_BROKEN, InvalidFileException) as exc:
        table.problem(None, None, f"cannot be read as an Excel workbook ({exc})")
        return None


def read_sheet(
    source: str | os.PathLike[str],
    columns: Sequence[Column],
    *,
    file: str | None = None,
    allow_empty: bool = False,
) -> CsvTable:
    """Read one sheet of a workbook as :func:`~peermatch.io.csvfile.read_csv` reads a CSV file.

    ``source`` is ``book.xlsx`` (its first visible sheet) or ``book.xlsx#Sheet``;
    ``columns``, ``allow_empty`` and the table returned are as for ``read_csv``
    (it never raises for bad input). ``file``, the name problems use, is by
    default the workbook as given, then ``#`` and the sheet's name
    (``book.xlsx#Participants``).
    """
    split = split_sheet(source)
    path, name = split if split is not None else (Path(source), None)
    text = os.fspath(source)
    table = CsvTable(file=file if file is not None else text)
    workbook = _open(path, table)
    if workbook is None:
        return table
    try:
        sheet = _pick_sheet(workbook, name, table)
        if sheet is None:
            return table
        if file is None:
            # The workbook as the caller wrote it (./book.xlsx stays ./book.xlsx), then the sheet.
            book = text.rpartition("#")[0] if path != Path(text) else text
            table.file = f"{book}#{sheet.title}"
        cells = _read_cells(workbook, sheet)
    except _BROKEN as exc:
        table.problem(None, None, f"cannot be read as an Excel workbook ({exc})")
        return table
    finally:
        workbook.close()
    _build(table, cells, columns, allow_empty)
    return table


def _build(table: CsvTable, sheet: _Sheet, columns: Sequence[Column], allow_empty: bool) -> None:
    """Header, data rows and bad cells of a read sheet into ``table``."""
    numbers = sorted(n for n, cells in sheet.rows.items() if any(cells))
    bad_rows = {row for row, _, _ in sheet.bad}
    firsts = sorted({*numbers, *bad_rows})
    if not firsts:
        table.problem(None, None, "the sheet is empty (expected a header row and data rows)")
        return
    header_row = firsts[0]
    table.header_row = header_row
    _fill_merges(sheet, header_row)
    numbers = sorted(n for n, cells in sheet.rows.items() if any(cells) and n > header_row)
    header = sheet.rows.get(header_row, [])
    width = max([len(header), *(len(sheet.rows[n]) for n in numbers)])
    header = header + [""] * (width - len(header))
    for row, column, message in sheet.bad:
        name = header[column] if column < len(header) and header[column] else None
        table.problems.append(
            InputProblem(table.file, row, name or f"column {column + 1}", message)
        )
    if header_row in bad_rows:
        return
    records = [
        (n, sheet.rows[n] + [""] * (width - len(sheet.rows[n])))
        for n in numbers
        if n not in bad_rows
    ]
    build_rows(table, header, records, columns, allow_empty=allow_empty)
