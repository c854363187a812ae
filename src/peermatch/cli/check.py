"""``peermatch check``: re-check hand-edited cohorts, and write them back with ``--write``.

A client of :mod:`peermatch.handedit` (reading, checking and writing) and
:func:`peermatch.violations.violations` (the rules).

Exit status: 0 every rule holds (the objective is printed; with ``--write``
the folder is rewritten); 1 the folder or the edited table cannot be used
(``file:row:column: message``); 2 usage error; 3 a rule is broken (every
broken rule is listed with its people; nothing is written).
"""

from __future__ import annotations

from pathlib import Path

import click

from peermatch.cli.common import (
    EXIT_INFEASIBLE,
    EXIT_INVALID,
    EXIT_USAGE,
    existing_folder,
    fail,
    table_path,
)

__all__ = ["check"]


def _signed(value: float) -> str:
    return f"{value:+,.0f}" if value else "no change"


@click.command()
@click.argument("out_dir", type=existing_folder)
@click.option(
    "--cohorts",
    type=table_path,
    help="The edited cohorts: a CSV file or a workbook (cohorts.xlsx, book.xlsx#Sheet) with "
    "cohort_id and participant_id columns. Default: OUT_DIR/cohorts.csv.",
)
@click.option(
    "--write",
    is_flag=True,
    help="When every rule holds, rewrite OUT_DIR whole: tables, cohorts.xlsx, calendars "
    "(SEQUENCE raised for changed cohorts), report.html, changes.csv and run.json.",
)
def check(out_dir: Path, cohorts: Path | None, write: bool) -> None:
    """Re-check the cohorts of OUT_DIR after they were edited by hand.

    Each cohort keeps its slot, sessions and facilitator; the edited members
    are checked against every rule by the independent checker. Exit 0 when
    every rule holds (printing the objective and its change), 3 listing every
    broken rule and its people otherwise, 1 for an unusable folder or table.
    """
    from peermatch.handedit import read_hand_edit, write_hand_edit
    from peermatch.io.writers import OutputError
    from peermatch.report import FolderError

    try:
        edit = read_hand_edit(out_dir, cohorts)
    except FolderError as exc:
        fail(f"{out_dir}: {exc}", EXIT_INVALID)
    counts = {k: sum(c.change == k for c in edit.changes) for k in ("moved", "joined", "left")}
    moves = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "nothing changed"
    if not edit.ok:
        lines = [f"{len(edit.broken)} rule(s) broken by the edit ({moves}):"]
        for v in edit.broken:
            lines.append(f"  {v}")
            if v.people:
                lines.append(f"    people: {'; '.join(edit.who(p) for p in v.people)}")
        fail("\n".join(lines) + "\nnothing was written.", EXIT_INFEASIBLE)
    click.echo(
        f"every rule holds: {len(edit.solution.cohorts)} cohorts ({moves}); objective "
        f"{edit.objective:,.0f} (the folder's cohorts: {edit.objective_before:,.0f}; "
        f"{_signed(edit.objective - edit.objective_before)})"
    )
    for change in edit.changes:
        click.echo(
            f"  {edit.who(change.participant_id)}: {change.change} "
            f"{change.from_cohort or '(unassigned)'} -> {change.to_cohort or '(unassigned)'}"
        )
    if not write:
        if edit.changes:
            click.echo("run again with --write to rewrite the folder (calendars, report, ...)")
        return
    try:
        write_hand_edit(edit)
    except (OutputError, OSError, ValueError) as exc:
        fail(f"{out_dir}: could not write the outputs: {exc}", EXIT_USAGE)
    click.echo(f"wrote {out_dir} (changes in {out_dir / 'changes.csv'})")
