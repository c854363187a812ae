"""An output folder as data: the files a report and an explanation are built from.

Every output folder holds ``run.json``: the normalised problem that was
solved (participants, facilitators, history, the program's rules, exactly as
validated, so the input files may later move or change) and the solution
(cohorts with slot, sessions and facilitator; unassigned people). The report
and ``peermatch explain`` rebuild the problem from it and re-check the rules
with :func:`peermatch.violations.violations`; they never call a solver.

``run.json`` layout (stable; new keys may be added)::

    {"format": "peermatch-run", "version": 1, "problem": {...}, "solution": {...}}

``problem`` is :class:`peermatch.model.ProblemData` and ``solution``
:class:`peermatch.solution.Solution` as pydantic writes them
(``model_dump(mode="json")``); ``solution`` is ``null`` for a run that found none.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peermatch.errors import PeermatchError
from peermatch.io.safecsv import restore
from peermatch.model import ProblemData
from peermatch.solution import Solution

__all__ = [
    "CHANGES_FILE",
    "REPORT_FILE",
    "RUN_FILE",
    "FolderError",
    "RunFolder",
    "parse_folder",
    "read_folder",
    "run_json",
]

#: The machine-readable record of the problem and solution, in every output folder.
RUN_FILE = "run.json"
#: The report's file name.
REPORT_FILE = "report.html"
#: The changes of a repair.
CHANGES_FILE = "changes.csv"
_FORMAT = "peermatch-run"
_VERSION = 1
_READ = ("summary.json", RUN_FILE, CHANGES_FILE)


class FolderError(PeermatchError):
    """The folder is not a complete peermatch output (a file missing or unreadable)."""


@dataclass(frozen=True)
class RunFolder:
    """What an output folder says: the problem, the solution, summary.json and any changes.

    Attributes
    ----------
    problem
        The normalised problem that was solved.
    solution
        Its cohorts and unassigned people, ``None`` when the run found none.
    summary
        summary.json as a dict (status, objective, best_bound, gap, ...).
    changes
        changes.csv rows (a repair), as dicts; empty otherwise.
    diagnosis
        Why no solution exists, when the run found none.
    """

    problem: ProblemData
    solution: Solution | None
    summary: Mapping[str, Any]
    changes: tuple[Mapping[str, str], ...] = ()
    diagnosis: tuple[str, ...] = field(default=())


def run_json(problem: ProblemData, solution: Solution | None) -> bytes:
    """The bytes of ``run.json`` for ``problem`` and ``solution`` (deterministic)."""
    data = {
        "format": _FORMAT,
        "version": _VERSION,
        "problem": problem.model_dump(mode="json"),
        "solution": None if solution is None else solution.model_dump(mode="json"),
    }
    return (json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode()


def _json(files: Mapping[str, bytes], name: str) -> Any:
    if name not in files:
        raise FolderError(f"{name} is missing")
    try:
        return json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FolderError(f"{name} is not valid JSON: {exc}") from None


def parse_folder(
    files: Mapping[str, bytes], known: tuple[ProblemData, Solution | None] | None = None
) -> RunFolder:
    """Build a :class:`RunFolder` from file contents keyed by their name in the folder.

    ``known``, the problem and solution run.json was written from (a run rendering
    its own report), saves reading them back from run.json (seconds at n = 100,000).

    Raises
    ------
    FolderError
        When summary.json or run.json is missing or does not parse.
    """
    summary = _json(files, "summary.json")
    run = _json(files, RUN_FILE)
    if not isinstance(run, dict) or run.get("format") != _FORMAT:
        raise FolderError(f"{RUN_FILE} is not a peermatch run record")
    if not isinstance(run.get("version"), int) or run["version"] > _VERSION:
        raise FolderError(f"{RUN_FILE} has version {run.get('version')}; this peermatch reads 1")
    try:
        if known is not None:
            problem, solution = known
        else:
            problem = ProblemData.model_validate(run["problem"])
            raw = run.get("solution")
            solution = None if raw is None else Solution.model_validate(raw)
    except (KeyError, ValueError) as exc:
        raise FolderError(f"{RUN_FILE} does not describe a problem and solution: {exc}") from None
    changes: tuple[Mapping[str, str], ...] = ()
    if CHANGES_FILE in files:
        text = files[CHANGES_FILE].decode("utf-8-sig", errors="replace")
        # Cells were neutralised against spreadsheet formulas; the page shows what was meant
        # (HTML-escaped, where a formula is just text).
        changes = tuple(
            {k: restore(v or "") for k, v in row.items() if k is not None}
            for row in csv.DictReader(io.StringIO(text, newline=""))
        )
    diagnosis = summary.get("diagnosis") if isinstance(summary, dict) else None
    return RunFolder(
        problem=problem,
        solution=solution,
        summary=summary if isinstance(summary, dict) else {},
        changes=changes,
        diagnosis=tuple(str(d) for d in diagnosis) if isinstance(diagnosis, list) else (),
    )


def read_folder(out_dir: str | os.PathLike[str]) -> RunFolder:
    """Read an output folder written by ``peermatch run`` (or ``repair``).

    Raises
    ------
    FolderError
        When ``out_dir`` is not a folder or lacks summary.json or run.json.
    """
    root = Path(out_dir)
    if not root.is_dir():
        raise FolderError(f"{root} is not a folder")
    files: dict[str, bytes] = {}
    for name in _READ:
        path = root / name
        if path.is_file():
            try:
                files[name] = path.read_bytes()
            except OSError as exc:
                raise FolderError(f"{path}: {exc.strerror or exc}") from None
    if "summary.json" not in files:
        raise FolderError(f"{root} holds no summary.json: it is not a peermatch output folder")
    if RUN_FILE not in files:
        raise FolderError(
            f"{root} holds no {RUN_FILE} (written by peermatch 0.1 and later); run it again"
        )
    return parse_folder(files)
