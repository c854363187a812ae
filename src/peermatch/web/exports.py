"""The output folder of a revision: what export.zip, the report, invitations and a repair read.

Revision 0 is the run's own folder (``DATA/runs/RUN_ID/out``). A later
revision (hand moves) gets its folder written on first use by the library's
writer (:func:`peermatch.write_outputs`) into
``DATA/runs/RUN_ID/revisions/N-STAMP/``, so that cohorts.csv, sessions.csv,
the calendars and report.html show the hand moves exactly as the board does.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from pathlib import Path
from typing import Any

from peermatch.web.moves import RunState
from peermatch.web.runs import run_dir

__all__ = ["revision_folder", "zip_folder"]

_writing = threading.Lock()


def revision_folder(
    data_dir: Path, run: dict[str, Any], revision: dict[str, Any], state: RunState
) -> Path:
    """The output folder of ``revision`` of ``run``, written now when it does not exist yet."""
    if int(revision["number"]) == 0:
        return data_dir / run["out_dir"]
    stamp = re.sub(r"[^0-9A-Za-z]", "", str(revision["created"]))
    folder = run_dir(data_dir, int(run["id"])) / "revisions" / f"{revision['number']}-{stamp}"
    with _writing:
        if not (folder / "summary.json").is_file():
            from peermatch.io.writers import write_outputs
            from peermatch.metrics import cohort_metrics, diversity_cost
            from peermatch.solution import Result, Status

            solution = state.solution(revision)
            result = Result(
                status=Status.FEASIBLE,
                objective=diversity_cost(state.problem, solution),
                solution=solution,
            )
            write_outputs(
                folder,
                state.problem,
                result,
                metrics=cohort_metrics(state.problem, solution),
            )
    return folder


def zip_folder(folder: Path) -> bytes:
    """Every file of ``folder`` in a zip, by its path inside the folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()
