"""The ``report`` and ``explain`` commands (registered from :mod:`peermatch.cli`).

Both read an output folder (its ``run.json`` and ``summary.json``; see
:mod:`peermatch.report.folder`) and never solve anything.

Exit status: 0 done; 1 the folder is not a complete peermatch output, or the
participant is unknown (``explain``); 2 usage error (the folder does not exist).
"""

from __future__ import annotations

from pathlib import Path

import click

from peermatch.cli import EXIT_INVALID, fail

__all__ = ["report"]

_folder = click.Path(exists=True, file_okay=False, path_type=Path)


@click.command()
@click.argument("out_dir", type=_folder)
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
