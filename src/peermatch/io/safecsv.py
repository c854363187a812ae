"""CSV that a spreadsheet cannot run: every cell neutralised against formula injection.

Excel, LibreOffice Calc and Google Sheets treat a cell whose first character
is ``=``, ``+``, ``-`` or ``@`` as a formula, and a leading tab or carriage
return can hide one. A participant named ``=HYPERLINK("http://evil.example",
"click")`` would become a live link in ``cohorts.csv``. Following OWASP's
CSV-injection guidance, every cell peermatch writes goes through
:func:`neutralise`:

- a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage
  return or a NUL (also after leading spaces, which some importers trim) gets
  a single quote in front: ``'=HYPERLINK(...)``; spreadsheets show the quote
  as "this is text" and run nothing;
- a plain number (``-3``, ``+1.5``, ``-2.5e-3``: an optional sign, ASCII
  digits, an optional decimal point and exponent, nothing else) stays as it
  is, so it stays a number; so do Python ``int`` and ``float`` values;
- a cell that already starts with quotes followed by such a character gets one
  more quote, so that :func:`restore` can undo the rule exactly.

:func:`restore` is the inverse: peermatch's readers apply it to every cell,
so an output read back (an earlier ``cohorts.csv`` given as ``--previous``)
gives the very ids and names that were written. ``restore(neutralise(v)) ==
v`` for every string ``v``.

Only the first character of a cell can start a formula when the file is read
as comma-separated, which is how it is written. The rule is applied centrally
by :func:`csv_bytes` and the writer classes here; every CSV peermatch writes
uses one of them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO

__all__ = ["DictWriter", "Writer", "csv_bytes", "is_plain_number", "neutralise", "restore"]

# A cell a spreadsheet may read as a formula: optional quotes (so that restore()
# can tell our quote from the organiser's), optional spaces, then a trigger.
_TRIGGER = re.compile(r"'*[ ]*[=+\-@\t\r\0]")
# ASCII only: \d would also accept other scripts' digits, which are no numbers to Excel.
# The first characters _TRIGGER can match: a cheap test before the regular expression.
_FIRST = frozenset("'=+-@ \t\r\0")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_plain_number(text: str) -> bool:
    """Whether ``text`` is a plain decimal number (``-3``, ``+1.5``, ``2e-3``) a spreadsheet reads as one.

    >>> is_plain_number("-3"), is_plain_number("+1 555 0100"), is_plain_number("-")
    (True, False, False)
    """
    return _NUMBER.fullmatch(text) is not None


def neutralise(value: object) -> str:
    """The cell to write for ``value``: formula triggers get a leading single quote.

    Parameters
    ----------
    value
        A string, a number (written as it is), or ``None`` (an empty cell).

    Returns
    -------
    str

    >>> neutralise('=HYPERLINK("http://evil.example","click")')
    '\\'=HYPERLINK("http://evil.example","click")'
    >>> neutralise("-3"), neutralise(-2.5), neutralise("Ann"), neutralise(None)
    ('-3', '-2.5', 'Ann', '')
    """
    if value.__class__ is str:  # the common case first: this runs for every cell
        text: str = value  # type: ignore[assignment]
    elif value is None:
        return ""
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # a number by type: it cannot be a formula
    else:
        text = str(value)
    if text[:1] in _FIRST and _TRIGGER.match(text) and not is_plain_number(text):
        return "'" + text
    return text


def restore(cell: str) -> str:
    """Undo :func:`neutralise`: the value that was written as ``cell``.

    >>> restore("'=SUM(A1:A9)"), restore("-3"), restore("'quoted'")
    ('=SUM(A1:A9)', '-3', "'quoted'")
    """
    if cell.startswith("'") and _TRIGGER.match(cell, 1):
        return cell[1:]
    return cell


class _Records:
    """The file csv.writer writes to: one call per record, its "\\r\\n" end replaced."""

    def __init__(self, fh: IO[str], end: str) -> None:
        self.fh, self.end = fh, end

    def write(self, record: str) -> int:
        return self.fh.write(record[:-2] + self.end)


class Writer:
    """Like :func:`csv.writer`: comma-separated, minimal quoting, every cell neutralised.

    csv.writer quotes a cell that holds a character of its line terminator;
    with ``"\\n"`` line ends it would leave a bare ``"\\r"`` unquoted and every
    reader would break the row there. So the records are made with
    ``"\\r\\n"`` (a cell with either is quoted) and their end replaced.

    Parameters
    ----------
    fh
        A text file opened with ``newline=""``.
    lineterminator
        The line end, ``"\\n"`` by default.
    """

    def __init__(self, fh: IO[str], *, lineterminator: str = "\n") -> None:
        self._writer = csv.writer(_Records(fh, lineterminator), lineterminator="\r\n")

    def writerow(self, row: Iterable[object]) -> None:
        """Write one row."""
        self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Write every row."""
        for row in rows:
            self.writerow(row)


class DictWriter:
    """Like :class:`csv.DictWriter`, on :class:`Writer`: the header's cells are neutralised too.

    Parameters
    ----------
    fh
        A text file opened with ``newline=""``.
    fieldnames
        The columns, in order.
    restval
        The cell for a key missing from a row.
    extrasaction
        ``"raise"`` (a row with unknown keys is an error) or ``"ignore"``.
    lineterminator
        The line end, ``"\\n"`` by default.
    """

    def __init__(
        self,
        fh: IO[str],
        fieldnames: Sequence[str],
        *,
        restval: object = "",
        extrasaction: str = "raise",
        lineterminator: str = "\n",
    ) -> None:
        if extrasaction not in ("raise", "ignore"):
            raise ValueError(f"extrasaction must be 'raise' or 'ignore', not '{extrasaction}'")
        self.fieldnames = list(fieldnames)
        self._restval, self._extras = restval, extrasaction
        self._writer = Writer(fh, lineterminator=lineterminator)

    def writeheader(self) -> None:
        """Write the header row."""
        self._writer.writerow(self.fieldnames)

    def writerow(self, rowdict: Mapping[str, object]) -> None:
        """Write one row."""
        if self._extras == "raise":
            wrong = [k for k in rowdict if k not in self.fieldnames]
            if wrong:
                raise ValueError(f"dict contains fields not in fieldnames: {wrong}")
        self._writer.writerow([rowdict.get(k, self._restval) for k in self.fieldnames])

    def writerows(self, rowdicts: Iterable[Mapping[str, object]]) -> None:
        """Write every row."""
        for rowdict in rowdicts:
            self.writerow(rowdict)


def csv_bytes(header: Iterable[object], rows: Iterable[Iterable[object]]) -> bytes:
    """A whole CSV file as UTF-8 bytes (no BOM, ``\\n`` line ends), every cell neutralised.

    Parameters
    ----------
    header
        The header row.
    rows
        The data rows.
    """
    buffer = io.StringIO(newline="")
    writer = Writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
