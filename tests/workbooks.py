"""Test helpers: Excel workbooks written with openpyxl from CSV files, as an organiser's would be."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

import openpyxl


def typed(cell: str) -> str | int:
    """A CSV cell as Excel would hold it after typing it in: whole numbers as numbers."""
    return int(cell) if cell.isdigit() and not (cell.startswith("0") and cell != "0") else cell


def book_from_csvs(path: Path, sheets: Mapping[str, Path], *, hidden: Iterable[str] = ()) -> Path:
    """One workbook at ``path`` holding each CSV file as the sheet of that name, in order."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, source in sheets.items():
        sheet = book.create_sheet(name)
        with source.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                sheet.append([typed(c) for c in row])
    for name in hidden:
        book[name].sheet_state = "hidden"
    book.save(path)
    return path


def sheet_values(path: Path, sheet: str) -> list[list[object]]:
    """The values of one sheet of a workbook, row by row (trailing empty cells kept)."""
    book = openpyxl.load_workbook(path)
    try:
        return [list(row) for row in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()
