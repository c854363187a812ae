"""Hand edits of an output folder's cohorts: re-checked, and written back (``peermatch check``).

An organiser moves people between cohorts in cohorts.csv or cohorts.xlsx
(Anna can no longer do Tuesdays). :func:`read_hand_edit` reads the folder's
record of the run (run.json, through :func:`peermatch.report.read_folder`)
and the edited table, keeps each cohort's id, slot, sessions and
facilitator, gives it the edited members, and re-checks every rule with the
solver-free :func:`peermatch.violations.violations`. :func:`write_hand_edit`
then rewrites the folder whole (through
:func:`peermatch.io.writers.write_outputs`): the tables, the calendars (a
changed cohort's events keep their UIDs with a higher SEQUENCE, an unchanged
cohort's file is kept byte for byte: :func:`peermatch.repair.calendar_plan`),
the report and changes.csv against the folder's own cohorts.

Decisions where the contract is silent
--------------------------------------
- Only ``cohort_id`` and ``participant_id`` of the edited table count; the
  other columns (names, organisations) are the organiser's view and are
  rewritten from run.json.
- A participant of the run missing from the table, or on a row with a blank
  ``cohort_id``, is unassigned by hand (their row in unassigned.csv says so).
  A cohort left without members is dissolved (its calendar is not written).
- A cohort id that is not one of the run's cohorts is an input problem:
  a new cohort needs a slot and sessions, which ``run`` or ``repair`` choose.
- The folder's other files (invitations.json, the organiser's own files) are
  carried over unchanged; changes.csv is replaced by the changes against the
  folder's own cohorts, each with the reason ``moved by hand``.
- summary.json then says ``feasible`` (a hand edit is not proven best) with
  the edited cohorts' objective and the earlier run's bound, seed and time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peermatch.errors import InputError, InputProblem
from peermatch.io.csvfile import Column, CsvTable, RowLabel
from peermatch.io.ical_events import natural_key
from peermatch.io.tables import Source, TableSpec, load_table
from peermatch.metrics import diversity_cost
from peermatch.model import ProblemData
from peermatch.repair import Change
from peermatch.report.folder import FolderError, RunFolder, read_folder
from peermatch.rules import Violation
from peermatch.solution import Solution, Unassigned
from peermatch.violations import violations

__all__ = ["EDITED_COHORTS", "MOVED_BY_HAND", "HandEdit", "read_hand_edit", "write_hand_edit"]

#: The edited table: only these two columns count (cohorts.csv's others are kept as extras).
EDITED_COHORTS = TableSpec(
    "cohorts",
    (
        Column("cohort_id", True, ("cohort",)),
        Column("participant_id", True, ("participant", "person id")),
    ),
    allow_empty=True,
)
#: The reason every change of a hand edit gives in changes.csv.
MOVED_BY_HAND = "moved by hand"
#: Files of an output folder that writing rewrites (calendars/ too); others are carried over.
_REWRITTEN = frozenset(
    {
        "cohorts.csv",
        "cohorts.xlsx",
        "unassigned.csv",
        "sessions.csv",
        "summary.json",
        "run.json",
        "report.html",
        "changes.csv",
    }
)


@dataclass(frozen=True)
class HandEdit:
    """An output folder's run with hand-edited cohorts, re-checked.

    Attributes
    ----------
    folder
        The output folder.
    run
        What the folder says (its run.json and summary.json): the problem and its own cohorts.
    solution
        The edited cohorts (each with its own slot, sessions and facilitator) and unassigned people.
    broken
        Every rule the edited cohorts break (empty when every rule holds).
    objective, objective_before
        The diversity cost (:func:`peermatch.metrics.diversity_cost`; lower
        is better) of the edited cohorts and of the folder's own.
    changes
        Who moved, joined a cohort or left one, against the folder's own cohorts.
    """

    folder: Path
    run: RunFolder
    solution: Solution
    broken: tuple[Violation, ...]
    objective: float
    objective_before: float
    changes: tuple[Change, ...]

    @property
    def ok(self) -> bool:
        """Whether every rule holds."""
        return not self.broken

    def who(self, pid: str) -> str:
        """``P001 (Anna Berg, Acme)``: a participant as an organiser recognises them."""
        problem = self.run.problem
        if pid in problem.index:
            p = problem.participants[problem.index[pid]]
            return f"{pid} ({p.name}, {p.organisation})"
        known = {f.id: f for f in problem.facilitators}
        return f"{pid} ({known[pid].name})" if pid in known else pid


def _members(table: CsvTable, problem: ProblemData, own: Solution) -> dict[str, list[str]]:
    """Cohort id -> its members in the edited table; :class:`InputError` for bad rows."""
    problems = list(table.problems)
    if not table.sound():
        raise InputError(problems)
    ids = sorted((c.id for c in own.cohorts), key=natural_key)
    members: dict[str, list[str]] = {cid: [] for cid in ids}
    first: dict[str, RowLabel] = {}
    for row in table.rows:
        pid, cid = row.get("participant_id"), row.get("cohort_id")

        def report(name: str, message: str, number: RowLabel = row.number) -> None:
            problems.append(InputProblem(table.file, number, table.column(name), message))

        if not pid:
            report("participant_id", "participant_id is blank")
        elif pid not in problem.index:
            report("participant_id", f"'{pid}' is not a participant of this run")
        elif pid in first:
            report("participant_id", f"'{pid}' appears twice (also on row {first[pid]})")
        elif cid and cid not in members:
            report(
                "cohort_id",
                f"cohort '{cid}' does not exist in this run (its cohorts: {', '.join(ids)}); "
                "a new cohort needs a slot and sessions: use peermatch run or repair",
            )
        else:
            first[pid] = row.number
            if cid:
                members[cid].append(pid)
    if problems:
        raise InputError(problems)
    return members


def _edited(problem: ProblemData, own: Solution, members: Mapping[str, list[str]]) -> Solution:
    """The folder's cohorts (slot, sessions, facilitator kept) with the edited members."""
    cohorts = []
    for cohort in own.cohorts:
        new = members[cohort.id]
        if not new:
            continue  # dissolved by hand
        same = set(new) == set(cohort.members)
        ordered = cohort.members if same else tuple(sorted(new, key=natural_key))
        cohorts.append(cohort.model_copy(update={"members": ordered}))
    placed = {m for c in cohorts for m in c.members}
    reasons = {u.participant_id: u.reason for u in own.unassigned}
    unassigned = tuple(
        Unassigned(participant_id=p.id, reason=reasons.get(p.id, "unassigned by hand"))
        for p in problem.participants
        if p.id not in placed
    )
    return Solution(cohorts=tuple(cohorts), unassigned=unassigned)


def _changes(problem: ProblemData, own: Solution, edited: Solution) -> tuple[Change, ...]:
    before, after = own.cohort_of(), edited.cohort_of()
    out = []
    for p in sorted(problem.participants, key=lambda p: natural_key(p.id)):
        old, new = before.get(p.id, ""), after.get(p.id, "")
        if old != new:
            kind = "moved" if old and new else ("joined" if new else "left")
            out.append(Change(p.id, kind, old, new, MOVED_BY_HAND))
    return tuple(out)


def read_hand_edit(out_dir: str | os.PathLike[str], cohorts: Source | None = None) -> HandEdit:
    """Read an output folder and its hand-edited cohorts, and re-check every rule.

    Parameters
    ----------
    out_dir
        An output folder of ``peermatch run`` or ``repair`` (with run.json).
    cohorts
        The edited cohorts table: a CSV file, ``book.xlsx`` (its first
        sheet, ``Cohorts`` in peermatch's cohorts.xlsx), ``book.xlsx#Sheet``
        or a DataFrame, with ``cohort_id`` and ``participant_id`` columns;
        the folder's cohorts.csv when ``None``.

    Returns
    -------
    HandEdit
        With ``broken`` empty when every rule holds.

    Raises
    ------
    FolderError
        When the folder is not a complete peermatch output, or its run found no cohorts.
    InputError
        When the table cannot be read, names a participant who is not in the
        run or twice, or a cohort the run does not have (``file:row:column: message``).
    """
    folder = Path(out_dir)
    run = read_folder(folder)
    if run.solution is None:
        raise FolderError("the run found no cohorts; there is nothing to check")
    table = load_table(cohorts if cohorts is not None else folder / "cohorts.csv", EDITED_COHORTS)
    members = _members(table, run.problem, run.solution)
    edited = _edited(run.problem, run.solution, members)
    return HandEdit(
        folder=folder,
        run=run,
        solution=edited,
        broken=tuple(violations(run.problem, edited)),
        objective=diversity_cost(run.problem, edited),
        objective_before=diversity_cost(run.problem, run.solution),
        changes=_changes(run.problem, run.solution, edited),
    )


def _carried(folder: Path) -> dict[str, bytes]:
    """The folder's files that writing does not rewrite (invitations.json, the organiser's own)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in _REWRITTEN and not rel.startswith("calendars/"):
            out[rel] = path.read_bytes()
    return out


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def write_hand_edit(edit: HandEdit) -> list[Path]:
    """Rewrite the folder whole with the edited cohorts (only when every rule holds).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        When the edit breaks a rule (nothing is written).
    OSError, peermatch.io.writers.OutputError
        When the folder cannot be written; it is then left as it was.
    """
    from peermatch.io.writers import write_outputs
    from peermatch.metrics import cohort_metrics
    from peermatch.repair import calendar_plan, changes_csv, previous_from_solution
    from peermatch.solution import Result, Status

    if edit.broken:
        raise ValueError(f"the edit breaks {len(edit.broken)} rule(s): nothing is written")
    assert edit.run.solution is not None  # read_hand_edit refuses a folder without one
    problem, summary = edit.run.problem, edit.run.summary
    mode = str(summary.get("calendar_mode") or problem.config.calendar.mode)
    own = previous_from_solution(edit.folder, edit.run.solution)
    sequences, kept = calendar_plan(problem, own, edit.solution, mode)
    bound = _number(summary.get("best_bound"))
    result = Result(
        status=Status.FEASIBLE,
        objective=edit.objective,
        best_bound=bound,
        gap=None if bound is None else (edit.objective - bound) / max(abs(edit.objective), 1),
        runtime=_number(summary.get("runtime")) or 0.0,
        solution=edit.solution,
        seed=int(summary.get("seed") or 0),
        workers=int(summary.get("workers") or 1),
    )
    extra = {**_carried(edit.folder), **kept, "changes.csv": changes_csv(edit.changes)}
    return write_outputs(
        edit.folder,
        problem,
        result,
        calendar_mode=mode,
        metrics=cohort_metrics(problem, edit.solution),
        sequences=sequences,
        extra=extra,
    )
