"""cohorts.xlsx: the output tables as one Excel workbook for spreadsheet users.

Sheets ``Cohorts``, ``Sessions`` and ``Unassigned`` (and ``Changes`` after a
repair or a hand edit) hold exactly the CSV files' tables: the workbook is
built from the CSV bytes themselves (:func:`workbook_from_files`), their
neutralisation undone (:func:`peermatch.io.safecsv.restore`), so the two can
never disagree. Every sheet has its header row frozen, a filter on every
column and column widths fitted to the values.

Decisions where the contract is silent
--------------------------------------
- Never a formula: every text cell is stored as a string cell, whatever its
  first character (``=``, ``+``, ``-``, ``@``), so a participant named
  ``=HYPERLINK("http://x","y")`` is text in Excel and in LibreOffice. A
  spreadsheet runs only cells stored as formulas; a string cell is shown as
  written, so the CSV files' leading quote is not needed (nor wanted) here.
- A cell that is a plain whole number without a leading zero (``3``, up to 15
  digits, which Excel holds exactly) is a number cell, so that session
  numbers and levels sort and filter as numbers; any other value is text
  (``007`` stays ``007``). Reading the workbook back gives the CSV's text.
- A line break is Excel's, ``\n`` (a ``\r\n`` or ``\r`` in a value
  becomes one: XML readers would turn it into one anyway). Characters that
  cannot appear in a workbook at all (control characters other than tab and
  line ends) are dropped from the cell.
- The bytes are deterministic: the document's created/modified times are
  ``SOURCE_DATE_EPOCH`` when set, else a constant (2000-01-01), and every
  zip entry carries a fixed time, so identical runs give identical files.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from peermatch.io.safecsv import restore

__all__ = ["SHEETS", "WORKBOOK_FILE", "workbook_bytes", "workbook_from_files"]

#: The workbook's file name in an output folder.
WORKBOOK_FILE = "cohorts.xlsx"
#: CSV file -> sheet name, in sheet order.
SHEETS = {
    "cohorts.csv": "Cohorts",
    "sessions.csv": "Sessions",
    "unassigned.csv": "Unassigned",
    "changes.csv": "Changes",
}
_LINE_ENDS = re.compile(r"\r\n?")
_WHOLE = re.compile(r"0|[1-9][0-9]{0,14}")
_CONSTANT_TIME = datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_MIN_WIDTH, _MAX_WIDTH = 8, 60

Table = tuple[Sequence[str], Sequence[Sequence[str]]]


class _FixedTimeZip(zipfile.ZipFile):
    """A zip file whose entries all carry one fixed time (openpyxl stamps them with now).

    ``rows`` maps a worksheet's path to the XML of its rows below the header,
    written here into the sheet openpyxl wrote with its header row only.
    """

    rows: Mapping[str, tuple[str, str]] = {}

    def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        name = getattr(zinfo_or_arcname, "filename", zinfo_or_arcname)
        if name in self.rows:
            data = _with_rows(data, *self.rows[name])
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            info.compress_type = self.compression
            info.external_attr = 0o644 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        # openpyxl writes each worksheet to a temporary file and adds it with write().
        with open(filename, "rb") as fh:
            self.writestr(arcname if arcname is not None else os.fspath(filename), fh.read())


def _document_time() -> datetime:
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if raw.isdigit():
        return datetime.fromtimestamp(int(raw), UTC).replace(tzinfo=None)
    return _CONSTANT_TIME


def _with_rows(data: Any, xml: str, dimension: str) -> bytes:
    """A worksheet's XML (header row only, from openpyxl) with ``xml``'s rows and ``dimension``."""
    text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
    text = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"', text, count=1)
    if "</sheetData>" in text:
        text = text.replace("</sheetData>", xml + "</sheetData>", 1)
    else:
        text = re.sub(r"<sheetData\s*/>", f"<sheetData>{xml}</sheetData>", text, count=1)
    return text.encode("utf-8")


def _text(value: str) -> str:
    """A cell's text as Excel holds it: line breaks as ``\\n``, no illegal characters."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return str(ILLEGAL_CHARACTERS_RE.sub("", _LINE_ENDS.sub("\n", value)))


def _rows_xml(rows: Sequence[Sequence[str]], letters: list[str]) -> tuple[str, int, int]:
    """The ``<row>`` elements of rows 2.. (inline strings and whole numbers), and the last row and
    column holding a value.

    Written directly rather than through openpyxl's cells: openpyxl took about 3 s per
    100,000 cells, the whole of a large program's writing; the XML is what openpyxl
    would write for the same cells, but with inline strings instead of shared ones.
    """
    out: list[str] = []
    last_row = last_col = 0
    for r, values in enumerate(rows, start=2):
        cells = []
        for c, value in enumerate(values):
            if not value:
                continue  # an empty cell, as in Excel (not an empty string)
            ref = f"{letters[c]}{r}"
            if _WHOLE.fullmatch(value):
                cells.append(f'<c r="{ref}" t="n"><v>{value}</v></c>')
            else:
                text = escape(_text(value))
                space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
            last_col = max(last_col, c + 1)
        if cells:
            out.append(f'<row r="{r}">{"".join(cells)}</row>')
            last_row = r
    return "".join(out), last_row, last_col


def _fill(sheet: Any, header: Sequence[str], rows: Sequence[Sequence[str]]) -> tuple[str, str]:
    """Header, widths, frozen header and filter through openpyxl; the rows' XML and the
    sheet's dimension returned for :class:`_FixedTimeZip` to write."""
    from openpyxl.utils import get_column_letter

    widths = [len(h) for h in header]
    for values in [header, *rows]:
        for c, value in enumerate(values, start=1):
            if c > len(widths):
                widths.append(0)
            widths[c - 1] = max(widths[c - 1], max((len(x) for x in value.split("\n")), default=0))
    for c, value in enumerate(header, start=1):
        if value:
            cell = sheet.cell(row=1, column=c)
            cell.value = _text(value)
            # openpyxl makes a str starting with "=" a formula: never here.
            cell.data_type = "s"
    letters = [get_column_letter(c) for c in range(1, len(widths) + 1)]
    xml, last_row, last_col = _rows_xml(rows, letters)
    top = max(1, last_col, max((c for c, v in enumerate(header, start=1) if v), default=1))
    dimension = f"A1:{letters[top - 1] if letters else 'A'}{max(1, last_row)}"
    sheet.freeze_panes = "A2"
    last = get_column_letter(max(len(header), 1))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    for c, width in enumerate(widths, start=1):
        letter = get_column_letter(c)
        sheet.column_dimensions[letter].width = min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
    return xml, dimension


def workbook_bytes(tables: Mapping[str, Table]) -> bytes:
    """An .xlsx file with one sheet per table (sheet name -> ``(header, rows)`` of text cells).

    Parameters
    ----------
    tables
        The sheets in order; every cell is the text the CSV file means
        (not neutralised).

    Returns
    -------
    bytes
        The workbook; the same tables give the same bytes.
    """
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook()
    book.remove(book.active)
    sheet_rows = {}
    for number, (name, (header, rows)) in enumerate(tables.items(), start=1):
        # openpyxl numbers the worksheets in order when it writes them.
        sheet_rows[f"xl/worksheets/sheet{number}.xml"] = _fill(
            book.create_sheet(name), header, rows
        )
    book.properties.creator = "peermatch"
    book.properties.created = book.properties.modified = _document_time()
    buffer = io.BytesIO()
    with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.rows = sheet_rows
        ExcelWriter(book, archive).write_data()
    return buffer.getvalue()


def _csv_table(data: bytes) -> Table:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header = [restore(c) for c in rows[0]] if rows else []
    return header, [[restore(c) for c in row] for row in rows[1:]]


def workbook_from_files(files: Mapping[str, bytes]) -> bytes:
    """cohorts.xlsx for an output folder given as file contents keyed by their name.

    Each of cohorts.csv, sessions.csv, unassigned.csv and changes.csv that is
    present becomes its sheet (see :data:`SHEETS`).
    """
    return workbook_bytes(
        {sheet: _csv_table(files[name]) for name, sheet in SHEETS.items() if name in files}
    )
