"""Repair after drop-outs and late joiners: the solver-free half.

``peermatch repair`` starts from an earlier run's folder and updated
inputs. This module reads that folder back (:func:`read_previous_run`: each
cohort's id, members, weekly slot, sessions, facilitator and calendar),
says what changed (:func:`changes`: who joined, left or moved, and why) and
decides the calendars (:func:`calendar_plan`: they keep their UIDs, byte
for byte for unchanged cohorts, ``SEQUENCE`` raised for changed ones). The model that moves the fewest
people is :mod:`peermatch.solvers.cpsat.repair`.

Decisions where the contract is silent
--------------------------------------
- A cohort is *kept* when it keeps its id, weekly slot (hence its dates) and
  facilitator; its members may change. Its calendar is copied byte for byte
  when nothing in it changed (members' names and e-mails included), and
  regenerated with the previous ``SEQUENCE`` + 1 otherwise.
- A person *moved* is someone of the earlier run who is still a participant
  and is now in another cohort than before (a cohort that was dissolved
  moves all its remaining members). People no longer in participants.csv
  *left*; people who were not in the earlier run *joined*.
- The invitations ledger (``invitations.json``, written by ``peermatch
  invite``) is carried into the new folder unchanged (:func:`carried_files`),
  so that ``invite`` on the repaired folder sends only the differences.
- The earlier run's slot is rebuilt from sessions.csv (first session's local
  start in the cohort's zone, its nominal date, and the week offset that
  reproduces every session date); when the program's schedule changed so
  that no slot reproduces the dates, the cohort must take a new slot.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from peermatch.errors import InputError, InputProblem
from peermatch.io.safecsv import restore
from peermatch.io.writers import calendar_path
from peermatch.model import ProblemData
from peermatch.schedule import SessionTime, Slot, session_times
from peermatch.solution import Solution

__all__ = [
    "CHANGE_COLUMNS",
    "Change",
    "PreviousCohort",
    "PreviousRun",
    "calendar_plan",
    "carried_files",
    "changes",
    "changes_csv",
    "previous_from_solution",
    "read_previous_run",
]

#: The columns of changes.csv.
CHANGE_COLUMNS = ("participant_id", "change", "from_cohort", "to_cohort", "reason")


@dataclass(frozen=True)
class PreviousCohort:
    """One cohort of the earlier run, as its folder describes it."""

    id: str
    members: tuple[str, ...]
    facilitator_id: str | None
    sessions: tuple[SessionTime, ...]
    slot: Slot | None
    calendar: bytes | None
    sequence: int = 0


@dataclass(frozen=True)
class PreviousRun:
    """An earlier run's cohorts, in the order of its cohorts.csv."""

    folder: Path
    cohorts: tuple[PreviousCohort, ...]
    unassigned: tuple[str, ...] = ()

    def cohort_of(self) -> dict[str, str]:
        """Participant id -> earlier cohort id."""
        return {m: c.id for c in self.cohorts for m in c.members}


@dataclass(frozen=True)
class Change:
    """One row of changes.csv."""

    participant_id: str
    change: str  # joined | left | moved
    from_cohort: str
    to_cohort: str
    reason: str


def _rows(path: Path, needed: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise InputError(
            [InputProblem(str(path), None, None, "missing: not an earlier run's folder")]
        )
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in needed if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(
            [InputProblem(str(path), 1, c, f"missing required column '{c}'") for c in missing]
        )
    # Cells were neutralised against formula injection when written: read back the values.
    return [
        (n + 2, {k: restore(v or "") for k, v in row.items() if k is not None})
        for n, row in enumerate(reader)
    ]


def _rebuild_slot(problem: ProblemData, sessions: Sequence[SessionTime], zone: str) -> Slot | None:
    """The weekly slot that reproduces ``sessions`` under today's schedule, if any."""
    first = sessions[0]
    local = first.start.astimezone(ZoneInfo(zone))
    nominal: date = first.moved_from or local.date()
    rules = problem.config.schedule
    for offset in range(rules.cadence_weeks):
        slot = Slot(
            zone=zone,
            weekday=nominal.weekday(),
            start_minute=local.hour * 60 + local.minute,
            week_offset=offset,
        )
        try:
            expected = session_times(rules, slot)
        except ValueError:
            continue
        if [(s.start, s.end) for s in expected] == [(s.start, s.end) for s in sessions]:
            return slot
    return None


def _sequence(calendar: bytes | None) -> int:
    if calendar is None:
        return 0
    found = [int(n) for n in re.findall(rb"^SEQUENCE:(\d+)\r?$", calendar, flags=re.M)]
    return max(found, default=0)


def read_previous_run(folder: str | Path, problem: ProblemData) -> PreviousRun:
    """Read an earlier run's cohorts.csv, sessions.csv and calendars.

    Raises
    ------
    InputError
        When the folder lacks those files or their columns, as ``file:row:column: message``.
    """
    folder = Path(folder)
    members: dict[str, list[str]] = {}
    for _, row in _rows(folder / "cohorts.csv", ("cohort_id", "participant_id")):
        members.setdefault(row["cohort_id"], []).append(row["participant_id"])
    sessions: dict[str, list[SessionTime]] = {}
    zones: dict[str, str] = {}
    leaders: dict[str, str | None] = {}
    problems = []
    needed = ("cohort_id", "session", "start", "end", "timezone", "facilitator_id", "moved_from")
    for number, row in _rows(folder / "sessions.csv", needed):
        try:
            moved = row["moved_from"]
            sessions.setdefault(row["cohort_id"], []).append(
                SessionTime(
                    number=int(row["session"]),
                    start=datetime.fromisoformat(row["start"]),
                    end=datetime.fromisoformat(row["end"]),
                    moved_from=date.fromisoformat(moved) if moved else None,
                )
            )
            ZoneInfo(row["timezone"])
        except (ValueError, KeyError) as exc:
            problems.append(InputProblem(str(folder / "sessions.csv"), number, None, str(exc)))
            continue
        zones[row["cohort_id"]] = row["timezone"]
        leaders[row["cohort_id"]] = row["facilitator_id"] or None
    if problems:
        raise InputError(problems)
    cohorts = []
    for cid, ids in members.items():
        own = tuple(sorted(sessions.get(cid, []), key=lambda s: s.number))
        path = folder / calendar_path(cid)
        calendar = path.read_bytes() if path.is_file() else None
        slot = _rebuild_slot(problem, own, zones[cid]) if own else None
        cohorts.append(
            PreviousCohort(
                cid, tuple(ids), leaders.get(cid), own, slot, calendar, _sequence(calendar)
            )
        )
    left_out: tuple[str, ...] = ()
    if (folder / "unassigned.csv").is_file():
        left_out = tuple(
            r["participant_id"] for _, r in _rows(folder / "unassigned.csv", ("participant_id",))
        )
    return PreviousRun(folder, tuple(cohorts), left_out)


def previous_from_solution(folder: str | Path, solution: Solution) -> PreviousRun:
    """A folder's own cohorts (its run.json's ``solution``) with the calendars it holds.

    What :func:`calendar_plan` compares a new solution with when the folder's
    CSV files may have been edited by hand (``peermatch check``): ids,
    members, slots, sessions and facilitators from the run's record, each
    cohort's calendar and SEQUENCE from ``calendars/``.
    """
    folder = Path(folder)
    cohorts = []
    for cohort in solution.cohorts:
        path = folder / calendar_path(cohort.id)
        calendar = path.read_bytes() if path.is_file() else None
        cohorts.append(
            PreviousCohort(
                cohort.id,
                cohort.members,
                cohort.facilitator_id,
                cohort.sessions,
                cohort.slot,
                calendar,
                _sequence(calendar),
            )
        )
    left_out = tuple(u.participant_id for u in solution.unassigned)
    return PreviousRun(folder, tuple(cohorts), left_out)


def changes(
    problem: ProblemData,
    previous: PreviousRun,
    solution: Solution,
    reasons: Mapping[str, str] | None = None,
) -> list[Change]:
    """Who joined, left or moved between ``previous`` and ``solution``, and why.

    ``reasons`` gives the solver's reason for a move (keyed by participant id);
    a move without one is explained by what happened to the earlier cohort.
    """
    before = previous.cohort_of()
    after = solution.cohort_of()
    kept = {c.id for c in solution.cohorts}
    out: list[Change] = []
    for pid, old in sorted(before.items()):
        if pid not in problem.index:
            out.append(Change(pid, "left", old, "", "no longer in participants.csv"))
    for p in problem.participants:
        old, new = before.get(p.id, ""), after.get(p.id, "")
        if not old:
            if p.id in previous.unassigned:
                why = "was unassigned in the earlier run" + (
                    "" if new else " and still fits no cohort"
                )
            else:
                why = "joined the program" if new else "joined, but fits no cohort"
            out.append(Change(p.id, "joined", "", new, why))
        elif old != new:
            why = (reasons or {}).get(p.id) or (
                f"cohort {old} was dissolved (too few members remain or no slot or "
                "facilitator fits them)"
                if old not in kept
                else f"can no longer stay in {old} within the rules"
            )
            out.append(Change(p.id, "moved", old, new, why))
    return out


def changes_csv(rows: Sequence[Change]) -> bytes:
    """changes.csv, every cell neutralised against formula injection (the shared CSV writer)."""
    from peermatch.io.safecsv import csv_bytes

    return csv_bytes(
        CHANGE_COLUMNS,
        ([c.participant_id, c.change, c.from_cohort, c.to_cohort, c.reason] for c in rows),
    )


def _without_stamp(data: bytes) -> bytes:
    return re.sub(rb"^DTSTAMP:[^\r\n]*\r?\n", b"", data, flags=re.M)


def calendar_plan(
    problem: ProblemData, previous: PreviousRun, solution: Solution, mode: str
) -> tuple[dict[str, int], dict[str, bytes]]:
    """Each earlier cohort's SEQUENCE, and the calendars kept byte for byte.

    A cohort calendar whose events equal the earlier ones (DTSTAMP aside)
    is the earlier file, byte for byte; any other calendar of an earlier
    cohort is regenerated with ``SEQUENCE`` one above the earlier one, so
    that calendar clients update the events they hold (same UIDs). New
    cohorts start at 0.

    Returns
    -------
    dict, dict
        Cohort id -> SEQUENCE (for the cohort and facilitator calendars),
        and relative path -> the earlier bytes of every unchanged calendar.
    """
    from peermatch.io.ical import calendar_bytes, cohort_calendar

    sequences: dict[str, int] = {}
    kept: dict[str, bytes] = {}
    earlier = {c.id: c for c in previous.cohorts}
    for cohort in solution.cohorts:
        old = earlier.get(cohort.id)
        if old is None:
            continue
        same = calendar_bytes(cohort_calendar(problem, cohort, mode, sequence=old.sequence))
        if old.calendar is not None and _without_stamp(same) == _without_stamp(old.calendar):
            sequences[cohort.id] = old.sequence
            kept[calendar_path(cohort.id)] = old.calendar
        else:
            sequences[cohort.id] = old.sequence + 1
    return sequences, kept


def carried_files(folder: str | Path) -> dict[str, bytes]:
    """An earlier folder's files that a rewritten folder keeps as they are: the invitations ledger.

    ``peermatch repair`` adds them to its new folder; any command that
    rewrites an output folder whole should too, or ``invite`` would send
    every invitation again.

    Returns
    -------
    dict of str to bytes
        Relative path -> bytes (empty when ``invite`` never ran on the earlier folder).

    Raises
    ------
    InputError
        When the ledger exists but cannot be read.
    """
    from peermatch.invitations.ledger import LEDGER_FILE

    path = Path(folder) / LEDGER_FILE
    if not path.is_file():
        return {}
    try:
        return {LEDGER_FILE: path.read_bytes()}
    except OSError as exc:
        raise InputError(
            [InputProblem(str(path), None, None, f"cannot read: {exc.strerror or exc}")]
        ) from None
