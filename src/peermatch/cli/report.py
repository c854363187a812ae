"""The ``report`` and ``explain`` commands (registered from :mod:`peermatch.cli`).

Both read an output folder (its ``run.json`` and ``summary.json``; see
:mod:`peermatch.report.folder`) and never solve anything.

Exit status: 0 done; 1 the folder is not a complete peermatch output, or the
participant is unknown (``explain``); 2 usage error (the folder does not exist).
"""

from __future__ import annotations

from pathlib import Path

import click

from peermatch.cli.common import EXIT_INVALID, existing_folder, fail

__all__ = ["explain", "report"]


@click.command()
@click.argument("out_dir", type=existing_folder)
def report(out_dir: Path) -> None:
    """(Re)write OUT_DIR/report.html from the folder's files (run.json, summary.json, changes.csv).

    Exit 0 done; 1 when OUT_DIR is not a complete peermatch output.
    """
    from peermatch.report import FolderError, write_report

    try:
        path = write_report(out_dir)
    except FolderError as exc:
        fail(f"{out_dir}: {exc}", EXIT_INVALID)
    except OSError as exc:
        fail(f"{out_dir}: could not write report.html: {exc}", EXIT_INVALID)
    click.echo(f"wrote {path}")


@click.command()
@click.argument("out_dir", type=existing_folder)
@click.argument("participant_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (schema version 1) for tools.")
def explain(out_dir: Path, participant_id: str, as_json: bool) -> None:
    """Say why PARTICIPANT_ID is in their cohort, and what keeps them out of each other one.

    For every other cohort: the rule that keeps them out (naming the other
    person or the organisation), or what moving them there would cost.
    Exit 0 done; 1 unknown participant or not a peermatch output folder.
    """
    import json

    from peermatch.report import FolderError, read_folder
    from peermatch.report.explain import UnknownParticipant, render_text
    from peermatch.report.explain import explain as explain_participant

    try:
        folder = read_folder(out_dir)
    except FolderError as exc:
        fail(f"{out_dir}: {exc}", EXIT_INVALID)
    if folder.solution is None:
        fail(f"{out_dir}: the run found no cohorts; there is nothing to explain", EXIT_INVALID)
    try:
        found = explain_participant(folder.problem, folder.solution, participant_id)
    except UnknownParticipant:
        fail(
            f"{out_dir}: '{participant_id}' is not a participant of this run "
            f"({len(folder.problem.participants)} participants, ids like "
            f"{folder.problem.participants[0].id})",
            EXIT_INVALID,
        )
    if as_json:
        click.echo(json.dumps(found.as_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(found))
