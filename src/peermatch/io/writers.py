"""Write a run's outputs (the contract's ``--out DIR``), whole or not at all.

Every file is rendered in memory first (:func:`render_outputs`), then
published as one folder by :func:`peermatch.io.outdir.publish`: written into
a hidden sibling and renamed into place, so that a failure, Ctrl-C or
SIGTERM never leaves half an output. Every CSV cell goes through
:mod:`peermatch.io.safecsv` (no cell a spreadsheet would run as a formula).

Layout::

    cohorts.csv  unassigned.csv  sessions.csv  summary.json  run.json  report.html
    cohorts.xlsx                                 (the CSV tables as sheets)
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
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from peermatch.io.ical import calendar_files, dtstamp, natural_key
from peermatch.io.outdir import MARKER, OutputError, check_output_dir, publish
from peermatch.io.safecsv import csv_bytes
from peermatch.io.workbook_out import WORKBOOK_FILE, workbook_from_files
from peermatch.model import Participant, ProblemData
from peermatch.schedule import SessionTime
from peermatch.solution import Cohort, Result, Solution
from peermatch.violations import checked_violations

__all__ = [
    "COHORT_COLUMNS",
    "SESSION_COLUMNS",
    "UNASSIGNED_COLUMNS",
    "OutputError",
    "calendar_path",
    "check_output_dir",
    "cohort_rows",
    "participant_cells",
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


def participant_cells(p: Participant) -> list[str]:
    """A participant's id, name, email, organisation, level (as written), industry, function.

    The leading columns of participants.csv as peermatch writes it, and of cohorts.csv
    after the cohort id; blanks for what is unknown.
    """
    return [
        p.id,
        p.name,
        p.email,
        p.organisation,
        p.level_label or str(p.level),
        p.industry or "",
        p.function or "",
    ]


def cohort_rows(problem: ProblemData, solution: Solution) -> Table:
    """cohorts.csv's header and rows (raw cells), cohorts and people in natural id order."""
    extras = _extra_attributes(problem)
    rows: list[list[str]] = []
    for cohort in sorted(solution.cohorts, key=lambda c: natural_key(c.id)):
        for pid in sorted(cohort.members, key=natural_key):
            p = problem.participants[problem.index[pid]]
            rows.append(
                [cohort.id, *participant_cells(p), *(p.attributes.get(k, "") for k in extras)]
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
        "gap_pairs": _number(result.gap_pairs),
        "runtime": _number(result.runtime),
        "first_solution_time": _number(result.first_solution_time),
        "interrupted": result.interrupted is not None,
        "interrupted_by": result.interrupted,
        "seed": result.seed,
        "workers": result.workers,
        "program": {"id": problem.config.program.id, "name": problem.config.program.name},
        "calendar_mode": mode,
        "cohorts": len(solution.cohorts),
        "participants": len(problem.participants),
        "placed": placed,
        "unassigned": len(solution.unassigned),
        "violations": len(checked_violations(problem, solution)),
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
        MARKER: _summary(problem, result, solution, mode, metrics),
    }
    files[WORKBOOK_FILE] = workbook_from_files(files)
    stems = _unique_stems([c.id for c in cohorts], "cohort")
    leaders = sorted({c.facilitator_id for c in cohorts if c.facilitator_id}, key=natural_key)
    fstems = _unique_stems(leaders, "facilitator")
    by_cohort, by_facilitator = calendar_files(
        problem, cohorts, mode, stamp=when, sequences=sequences
    )
    for c in cohorts:
        files[f"calendars/{stems[c.id]}.ics"] = by_cohort[c.id]
    for fid in leaders:
        files[f"calendars/facilitators/{fstems[fid]}.ics"] = by_facilitator[fid]
    _add_report(files, problem, solution)
    return dict(sorted(files.items()))


def _add_report(files: dict[str, bytes], problem: ProblemData, solution: Solution) -> None:
    """Add run.json and report.html; last, because the report is rendered from the other files."""
    from peermatch.report import REPORT_FILE, RUN_FILE, report_from_files, run_json

    files[RUN_FILE] = run_json(problem, solution)
    files[REPORT_FILE] = report_from_files(files, (problem, solution))


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
    problem, result, calendar_mode, metrics, sequences
        As for :func:`render_outputs`, which renders the files.
    extra
        Files (relative path -> bytes) added to or replacing the rendered ones:
        a repair's changes.csv and the calendars it keeps byte for byte.
        report.html and cohorts.xlsx are rendered again with them.

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
    check_output_dir(out_dir)
    # Render before touching the disk: most failures happen here and leave no trace.
    files = render_outputs(
        problem, result, calendar_mode=calendar_mode, metrics=metrics, sequences=sequences
    )
    if extra:
        from peermatch.report import REPORT_FILE, report_from_files

        files = {**files, **extra}
        # The report shows a repair's changes: render it again with them in the folder;
        # the workbook holds every CSV table, changes.csv included.
        files[REPORT_FILE] = report_from_files(files)
        files[WORKBOOK_FILE] = workbook_from_files(files)
    return publish(out_dir, dict(sorted(files.items())))
