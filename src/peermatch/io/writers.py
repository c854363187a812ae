"""Write a run's outputs (the contract's ``--out DIR``), whole or not at all.

Every file is rendered in memory first, then written into a fresh hidden
sibling of the output folder (``.<name>.peermatch-tmp-XXXXXXXX``) and renamed
into place. A folder that already exists is replaced only when it is empty or
looks like an earlier peermatch output (it holds ``summary.json``); any other
non-empty folder is refused, so a typo in ``--out`` cannot wipe someone's
files. A previous output is moved aside (``.<name>.peermatch-old-XXXXXXXX``)
only once the new one is complete, and deleted after the new one is in place;
if anything fails the old output is put back and the temporary folder removed.

Layout::

    cohorts.csv  unassigned.csv  sessions.csv  summary.json  run.json  report.html
    calendars/<cohort>.ics
    calendars/facilitators/<facilitator>.ics     (only when facilitators lead cohorts)

Output is deterministic: cohorts and people are listed in natural id order
(``C2`` before ``C10``), CSV uses ``\\n`` line ends and UTF-8 without BOM, and
the only time-dependent bytes are the calendars' DTSTAMP (fixed by
``SOURCE_DATE_EPOCH``; see :mod:`peermatch.io.ical`).
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from peermatch.errors import PeermatchError
from peermatch.io.ical import (
    calendar_bytes,
    cohort_calendar,
    dtstamp,
    facilitator_calendar,
    natural_key,
)
from peermatch.io.safecsv import csv_bytes
from peermatch.model import ProblemData
from peermatch.schedule import SessionTime
from peermatch.solution import Cohort, Result, Solution
from peermatch.violations import violations

__all__ = [
    "COHORT_COLUMNS",
    "SESSION_COLUMNS",
    "UNASSIGNED_COLUMNS",
    "OutputError",
    "calendar_path",
    "check_output_dir",
    "cohort_rows",
    "render_outputs",
    "session_rows",
    "unassigned_rows",
    "write_outputs",
]

#: The fixed leading columns of cohorts.csv (attribute columns follow).
COHORT_COLUMNS = ("cohort_id", "participant_id", "name", "email", "organisation", "level")
#: The columns of unassigned.csv.
UNASSIGNED_COLUMNS = ("participant_id", "reason")
#: The columns of sessions.csv; ``topic`` is an extension after the contract's columns.
SESSION_COLUMNS = (
    "cohort_id",
    "session",
    "start",
    "end",
    "timezone",
    "facilitator_id",
    "moved_from",
    "topic",
)

_MARKER = "summary.json"
_TMP_TAG = "peermatch-tmp"
_OLD_TAG = "peermatch-old"


class OutputError(PeermatchError):
    """The output folder cannot be used (not a folder, or holds unrelated files)."""

    exit_code = 2  # the contract's usage error


# -- rendering ----------------------------------------------------------------------------------


def _extra_attributes(problem: ProblemData) -> list[str]:
    """Extra attribute columns in order of first appearance (the organiser's column order)."""
    taken = {*COHORT_COLUMNS, "industry", "function"}
    seen: dict[str, None] = {}
    for p in problem.participants:
        for key in p.attributes:
            if key not in taken:
                seen.setdefault(key, None)
    return list(seen)


# The *_rows builders give each CSV's header and raw cells; the CSV files and
# peermatch.to_frames are both built from them.
Table = tuple[list[str], list[list[str]]]


def cohort_rows(problem: ProblemData, solution: Solution) -> Table:
    """cohorts.csv's header and rows (raw cells), cohorts and people in natural id order."""
    extras = _extra_attributes(problem)
    rows: list[list[str]] = []
    for cohort in sorted(solution.cohorts, key=lambda c: natural_key(c.id)):
        for pid in sorted(cohort.members, key=natural_key):
            p = problem.participants[problem.index[pid]]
            rows.append(
                [
                    cohort.id,
                    p.id,
                    p.name,
                    p.email,
                    p.organisation,
                    p.level_label or str(p.level),
                    p.industry or "",
                    p.function or "",
                    *(p.attributes.get(k, "") for k in extras),
                ]
            )
    return [*COHORT_COLUMNS, "industry", "function", *extras], rows


def _cohorts(problem: ProblemData, solution: Solution) -> bytes:
    return csv_bytes(*cohort_rows(problem, solution))


def unassigned_rows(solution: Solution) -> Table:
    """unassigned.csv's header and rows (raw cells), in natural id order."""
    rows = [
        [u.participant_id, u.reason]
        for u in sorted(solution.unassigned, key=lambda u: natural_key(u.participant_id))
    ]
    return list(UNASSIGNED_COLUMNS), rows


def _unassigned(solution: Solution) -> bytes:
    return csv_bytes(*unassigned_rows(solution))


def _iso(moment: datetime, zone: ZoneInfo) -> str:
    # Through UTC: astimezone() to the tzinfo a datetime already has returns it
    # untouched, which would keep a wall time that does not exist (DST gap).
    return moment.astimezone(UTC).astimezone(zone).isoformat(timespec="seconds")


def _session_row(problem: ProblemData, cohort: Cohort, s: SessionTime) -> list[str]:
    assert cohort.slot is not None
    zone = ZoneInfo(cohort.slot.zone)
    return [
        cohort.id,
        str(s.number),
        _iso(s.start, zone),
        _iso(s.end, zone),
        cohort.slot.zone,
        cohort.facilitator_id or "",
        s.moved_from.isoformat() if s.moved_from else "",
        problem.config.schedule.topic(s.number) or "",
    ]


def session_rows(problem: ProblemData, solution: Solution) -> Table:
    """sessions.csv's header and rows (raw cells), by cohort then session number."""
    rows: list[list[str]] = []
    for cohort in sorted(solution.cohorts, key=lambda c: natural_key(c.id)):
        if cohort.slot is None:
            raise ValueError(f"cohort {cohort.id} has no slot: its sessions cannot be written")
        for s in sorted(cohort.sessions, key=lambda s: s.number):
            rows.append(_session_row(problem, cohort, s))
    return list(SESSION_COLUMNS), rows


def _sessions(problem: ProblemData, solution: Solution) -> bytes:
    return csv_bytes(*session_rows(problem, solution))


def _number(value: float | None) -> float | int | None:
    """A JSON number: NaN and infinities (which JSON lacks) become null."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def _summary(
    problem: ProblemData,
    result: Result,
    solution: Solution,
    mode: str,
    metrics: Mapping[str, Any] | None,
) -> bytes:
    placed = sum(len(c.members) for c in solution.cohorts)
    data: dict[str, Any] = {
        "status": str(result.status),
        "objective": _number(result.objective),
        "best_bound": _number(result.best_bound),
        "gap": _number(result.gap),
        "runtime": _number(result.runtime),
        "first_solution_time": _number(result.first_solution_time),
        "seed": result.seed,
        "workers": result.workers,
        "program": {"id": problem.config.program.id, "name": problem.config.program.name},
        "calendar_mode": mode,
        "cohorts": len(solution.cohorts),
        "participants": len(problem.participants),
        "placed": placed,
        "unassigned": len(solution.unassigned),
        "violations": sum(1 for _ in violations(problem, solution)),
        "stats": result.stats.as_dict(),
        "metrics": metrics if metrics is not None else {},
    }
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"summary.json: metrics or stats are not plain JSON: {exc}") from None
    return (text + "\n").encode("utf-8")


def _file_stem(identifier: str) -> str:
    """A portable file name for an id: letters, digits, '.', '_' and '-' kept, the rest '_'."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", identifier)
    # No hidden files and no '.'/'..' path tricks.
    return "_" + stem if stem.startswith(".") or not stem else stem


def calendar_path(cohort_id: str) -> str:
    """Where a cohort's calendar is written, relative to the output folder.

    >>> calendar_path("Team A/1")
    'calendars/Team_A_1.ics'
    """
    return f"calendars/{_file_stem(cohort_id)}.ics"


def _unique_stems(ids: list[str], what: str) -> dict[str, str]:
    stems: dict[str, str] = {}
    folded: dict[str, str] = {}
    for identifier in ids:
        stem = _file_stem(identifier)
        # Case-folded: two ids that differ only in case collide on macOS and Windows.
        other = folded.get(stem.casefold())
        if other is not None:
            raise ValueError(
                f"{what} ids '{other}' and '{identifier}' map to the same calendar file '{stem}.ics'"
            )
        folded[stem.casefold()] = identifier
        stems[identifier] = stem
    return stems


def render_outputs(
    problem: ProblemData,
    result: Result,
    *,
    calendar_mode: str | None = None,
    metrics: Mapping[str, Any] | None = None,
    stamp: datetime | None = None,
    sequences: Mapping[str, int] | None = None,
) -> dict[str, bytes]:
    """Every output file's bytes, keyed by its path relative to the output folder.

    Parameters
    ----------
    problem
        The problem that was solved.
    result
        The solve's result; it must hold a solution.
    calendar_mode
        ``"series"`` or ``"expanded"``; ``None`` uses ``problem.config.calendar.mode``.
    metrics
        JSON-serialisable quality metrics (e.g. per cohort), stored as
        ``summary.json``'s ``metrics`` unchanged.
    stamp
        The calendars' DTSTAMP; :func:`peermatch.io.ical.dtstamp` when ``None``.
    sequences
        Cohort id -> the SEQUENCE of its events (0 when absent; a repair raises it).

    Returns
    -------
    dict of str to bytes
        Relative POSIX paths, sorted, to file contents.

    Raises
    ------
    ValueError
        When the result has no solution, the mode is unknown, a cohort names
        an unknown participant or lacks its slot, ids collide as file names,
        or ``metrics`` is not JSON-serialisable.
    """
    solution = result.solution
    if solution is None:
        raise ValueError(f"no solution to write (status: {result.status})")
    mode = calendar_mode or problem.config.calendar.mode
    if mode not in ("series", "expanded"):
        raise ValueError(f"calendar mode must be 'series' or 'expanded', not '{mode}'")
    unknown = sorted(
        {m for c in solution.cohorts for m in c.members if m not in problem.index}, key=natural_key
    )
    if unknown:
        raise ValueError(f"the solution places unknown participants: {', '.join(unknown)}")
    when = stamp or dtstamp()
    cohorts = sorted(solution.cohorts, key=lambda c: natural_key(c.id))
    files: dict[str, bytes] = {
        "cohorts.csv": _cohorts(problem, solution),
        "unassigned.csv": _unassigned(solution),
        "sessions.csv": _sessions(problem, solution),
        _MARKER: _summary(problem, result, solution, mode, metrics),
    }
    stems = _unique_stems([c.id for c in cohorts], "cohort")
    for c in cohorts:
        files[f"calendars/{stems[c.id]}.ics"] = calendar_bytes(
            cohort_calendar(problem, c, mode, stamp=when, sequence=(sequences or {}).get(c.id, 0))
        )
    leaders = sorted({c.facilitator_id for c in cohorts if c.facilitator_id}, key=natural_key)
    fstems = _unique_stems(leaders, "facilitator")
    for fid in leaders:
        files[f"calendars/facilitators/{fstems[fid]}.ics"] = calendar_bytes(
            facilitator_calendar(problem, fid, cohorts, mode, stamp=when, sequences=sequences)
        )
    _add_report(files, problem, solution)
    return dict(sorted(files.items()))


def _add_report(files: dict[str, bytes], problem: ProblemData, solution: Solution) -> None:
    """Add run.json and report.html; last, because the report is rendered from the other files."""
    from peermatch.report import REPORT_FILE, RUN_FILE, report_from_files, run_json

    files[RUN_FILE] = run_json(problem, solution)
    files[REPORT_FILE] = report_from_files(files)


# -- writing ------------------------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - some platforms cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as fh:
        fh.write(data)
        fh.flush()
        # Durable before the rename that publishes it: after a crash the folder is
        # either the old one or a complete new one, never one with empty files.
        os.fsync(fh.fileno())


def _sibling(target: Path, tag: str) -> Path:
    """Create (with the user's umask) and return a fresh hidden sibling folder of ``target``."""
    for _ in range(100):
        candidate = target.parent / f".{target.name}.{tag}-{secrets.token_hex(4)}"
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise OutputError(f"cannot create a temporary folder next to {target}")  # pragma: no cover


def _check_target(target: Path) -> bool:
    """Whether ``target`` holds a previous output to replace; raise if it must not be touched."""
    if not target.exists():
        if target.is_symlink():
            raise OutputError(f"{target} is a broken symbolic link")
        return False
    if not target.is_dir():
        raise OutputError(f"{target} exists and is not a folder")
    if not any(target.iterdir()):
        return False
    if (target / _MARKER).is_file():
        return True
    raise OutputError(
        f"{target} is not empty and holds no {_MARKER}, so it does not look like a "
        "peermatch output; choose another --out folder or empty this one"
    )


def _target(out_dir: str | os.PathLike[str]) -> Path:
    """The absolute output folder; a symbolic link is followed, so the link keeps working."""
    target = Path(out_dir)
    if target.is_symlink():
        target = target.resolve()
    return Path(os.path.abspath(target))


def check_output_dir(out_dir: str | os.PathLike[str]) -> None:
    """Raise :class:`OutputError` now if :func:`write_outputs` would refuse ``out_dir``.

    Lets the command line refuse a bad ``--out`` before spending the solve.
    """
    _check_target(_target(out_dir))


def _restore(old: Path, target: Path) -> bool:
    """Put a previous output moved into ``old`` back at ``target``; False if it stays in ``old``."""
    moved = old / target.name
    if moved.exists() and not target.exists():
        try:
            os.rename(moved, target)
        except OSError:
            return False  # never delete the only copy of the previous output
    if moved.exists():
        return False
    shutil.rmtree(old, ignore_errors=True)
    return True


def write_outputs(
    out_dir: str | os.PathLike[str],
    problem: ProblemData,
    result: Result,
    *,
    calendar_mode: str | None = None,
    metrics: Mapping[str, Any] | None = None,
    sequences: Mapping[str, int] | None = None,
    extra: Mapping[str, bytes] | None = None,
) -> list[Path]:
    """Write every output file into ``out_dir``, whole or not at all.

    Parameters
    ----------
    out_dir
        The output folder. Created (with its parents) when missing; replaced
        when empty or when it holds a previous peermatch output
        (``summary.json``). A symbolic link is followed and its target replaced.
    problem
        The problem that was solved.
    result
        The solve's result; it must hold a solution.
    calendar_mode
        ``"series"`` or ``"expanded"``; ``None`` uses ``problem.config.calendar.mode``.
    metrics
        JSON-serialisable quality metrics stored in ``summary.json``.
    sequences
        As for :func:`render_outputs`.
    extra
        Files (relative path -> bytes) added to or replacing the rendered ones:
        a repair's changes.csv and the calendars it keeps byte for byte.

    Returns
    -------
    list of pathlib.Path
        The files written, by their final paths, sorted.

    Raises
    ------
    OutputError
        When ``out_dir`` is a file, or a non-empty folder that is not a
        previous output. Nothing is written.
    ValueError
        See :func:`render_outputs`. Nothing is written.
    OSError
        When writing fails; the previous output, if any, is left intact and no
        temporary folder remains.
    """
    target = _target(out_dir)
    _check_target(target)
    # Render before touching the disk: most failures happen here and leave no trace.
    files = render_outputs(
        problem, result, calendar_mode=calendar_mode, metrics=metrics, sequences=sequences
    )
    if extra:
        from peermatch.report import REPORT_FILE, report_from_files

        files = {**files, **extra}
        # The report shows a repair's changes: render it again with them in the folder.
        files[REPORT_FILE] = report_from_files(files)
    files = dict(sorted(files.items()))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(target, _TMP_TAG)
    old: Path | None = None
    try:
        for rel, data in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_file(path, data)
        for folder in sorted({(tmp / rel).parent for rel in files}, reverse=True):
            _fsync_dir(folder)
        # Checked again: the folder may have changed while we were writing.
        if _check_target(target):
            old = _sibling(target, _OLD_TAG)
            os.rename(target, old / target.name)
        elif target.exists():
            target.rmdir()
        os.rename(tmp, target)
        _fsync_dir(target.parent)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not _restore(old, target):
            exc.add_note(f"peermatch: the previous output is kept in {old / target.name}")
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return [target / rel for rel in files]
