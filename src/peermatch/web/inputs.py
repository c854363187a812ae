"""A program's input tables as the workspace stores them, and their checks.

Each table is one uploaded file, stored under a name the server chooses
(``participants.csv``, ``participants.xlsx``, ``program.toml``...) in
``DATA/programs/ID/inputs/``; the client's file name is never used. The
checks are the library's readers (:func:`peermatch.read_problem`): with
participants present every table is read together, so references across
tables are checked; before that, each table on its own. Problems and
warnings name the table's file (``participants.csv``), not the path on the
server.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peermatch.errors import InputError, InputProblem
from peermatch.model import ProblemData

__all__ = [
    "TABLES",
    "TableCheck",
    "check_program",
    "display_name",
    "file_format",
    "read_program",
    "stored_name",
    "template",
]

#: The tables a program may have, in the contract's order.
TABLES = ("participants", "history", "facilitators", "locks", "pairs", "previous", "config")


def file_format(table: str, body: bytes) -> str:
    """``toml`` for the config, ``xlsx`` for a workbook (a zip), else ``csv``."""
    if table == "config":
        return "toml"
    return "xlsx" if body[:4] == b"PK\x03\x04" else "csv"


def stored_name(table: str, fmt: str) -> str:
    """The server's file name for a table (never the client's)."""
    return "program.toml" if table == "config" else f"{table}.{fmt}"


def display_name(path: str | Path) -> str:
    """The file name problems show: the stored name without the server's folders.

    A workbook's sheet stays: ``participants.xlsx#Sheet1``.
    """
    return Path(path).name


@dataclass
class TableCheck:
    """What the readers said about one table."""

    rows: int | None = None
    warnings: list[str] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The stored and answered form."""
        return {"rows": self.rows, "warnings": self.warnings, "problems": self.problems}


def _problem(p: InputProblem) -> dict[str, Any]:
    return {
        "file": display_name(p.file),
        "row": p.row,
        "column": p.column,
        "message": p.message,
    }


def _read(files: Mapping[str, Path]) -> ProblemData:
    from peermatch.io import read_problem

    return read_problem(
        files["participants"],
        history=files.get("history"),
        facilitators=files.get("facilitators"),
        previous=[files["previous"]] if "previous" in files else [],
        config=files.get("config"),
        locks=files.get("locks"),
        pairs=files.get("pairs"),
    )


def read_program(files: Mapping[str, Path]) -> ProblemData:
    """Read a program's stored tables into one problem.

    Raises
    ------
    InputError
        Every problem, the files named by their stored names.
    """
    if "participants" not in files:
        raise InputError([InputProblem("participants.csv", None, None, "not uploaded yet")])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _read(files)
    except InputError as exc:
        raise InputError(
            InputProblem(display_name(p.file), p.row, p.column, p.message) for p in exc.problems
        ) from None


def _alone(table: str, path: Path) -> None:
    """Check one table without the others (before participants are uploaded)."""
    from peermatch.io import readers
    from peermatch.io.config import load_config

    if table == "config":
        found = load_config(path).problems
        if found:
            raise InputError(found)
        return
    reader = {
        "history": readers.read_history,
        "facilitators": readers.read_facilitators,
        "locks": readers.read_locks,
        "pairs": readers.read_pairs,
        "previous": readers.read_previous,
    }[table]
    reader(path)


def _rows(table: str, path: Path) -> int | None:
    from peermatch.io import tables

    spec = tables.SPECS.get(table)
    if spec is None:
        return None
    try:
        return len(tables.load_table(path, spec).rows)
    except Exception:  # unreadable: the readers' problems say why
        return None


def check_program(files: Mapping[str, Path]) -> dict[str, TableCheck]:
    """Check every stored table; each table's rows, warnings and problems."""
    from peermatch.io import InputWarning

    checks = {name: TableCheck(rows=_rows(name, path)) for name, path in files.items()}
    by_file = {display_name(path): name for name, path in files.items()}
    found: list[InputProblem] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        if "participants" in files:
            try:
                _read(files)
            except InputError as exc:
                found += exc.problems
        else:
            for name, path in files.items():
                try:
                    _alone(name, path)
                except InputError as exc:
                    found += exc.problems
    for p in found:
        # A workbook's problems name its sheet too: participants.xlsx#Sheet1.
        owner = by_file.get(display_name(p.file).partition("#")[0], "participants")
        checks[owner].problems.append(_problem(p))
    for w in caught:
        text = str(w.message)
        for name, path in files.items():
            if text.startswith(str(path)):
                checks[name].warnings.append(display_name(path) + text[len(str(path)) :])
                break
    return checks


def template(table: str) -> bytes:
    """A CSV template of a table: its header row (the required and optional columns)."""
    from peermatch.io import tables
    from peermatch.io.safecsv import csv_bytes

    spec = tables.SPECS[table]
    return csv_bytes([c.name for c in spec.columns], [])
