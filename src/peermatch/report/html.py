"""Render report.html: one self-contained page from an output folder's files.

The page loads nothing (no scripts, fonts, images or style sheets from
anywhere; a Content-Security-Policy says so to the browser too), so it opens
offline, from an e-mail attachment or a shared drive. jinja2 renders it with
autoescaping on: every name, organisation, topic and reason is HTML-escaped.
The charts are inline SVG from :mod:`peermatch.report.charts`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from peermatch.model import ProblemData
from peermatch.report.charts import MAX_CHARTS, mix_chart
from peermatch.report.context import MAX_CARDS, ReportContext, build_context
from peermatch.report.folder import REPORT_FILE, RunFolder, parse_folder, read_folder
from peermatch.solution import Solution

__all__ = ["failure_report", "render_report", "report_from_files", "write_report"]


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("peermatch.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _draw_charts(context: ReportContext, max_charts: int) -> None:
    import dataclasses

    if len(context.cohorts) > max_charts:
        context.notes.append(
            f"With {len(context.cohorts)} cohorts the industry and function mix is shown as "
            f"counts only (charts are drawn for up to {max_charts} cohorts)."
        )
        return
    context.cohorts = [
        dataclasses.replace(card, chart=mix_chart(card.mix, f"chart{i}"))
        for i, card in enumerate(context.cohorts, start=1)
    ]


def render_report(
    folder: RunFolder, *, max_cards: int = MAX_CARDS, max_charts: int = MAX_CHARTS
) -> bytes:
    """The bytes of report.html for an output folder's content.

    Parameters
    ----------
    folder
        The problem, solution, summary and changes (see :func:`~peermatch.report.folder.read_folder`).
    max_cards
        Cohorts beyond this many get no card (a note says so); a page for
        thousands of cohorts would not open.
    max_charts
        Above this many cohorts the mix is shown as counts, not charts.

    Returns
    -------
    bytes
        UTF-8 HTML; the same folder gives the same bytes.
    """
    context = build_context(folder, max_cards=max_cards)
    _draw_charts(context, max_charts)
    from markupsafe import Markup

    page = (
        _environment()
        .get_template("report.html.j2")
        .render(page=context, svg=lambda card: Markup(card.chart))
    )
    return str(page).encode("utf-8")


def report_from_files(
    files: Mapping[str, bytes], known: tuple[ProblemData, Solution | None] | None = None
) -> bytes:
    """report.html for an output folder given as file contents keyed by their name.

    ``known``: the problem and solution run.json holds, when the caller has them
    (see :func:`~peermatch.report.folder.parse_folder`).
    """
    return render_report(parse_folder(files, known))


def write_report(out_dir: str | os.PathLike[str]) -> Path:
    """(Re)write ``out_dir/report.html`` from the folder's files; return its path.

    Written to a temporary file and renamed, so a failure leaves the old report.

    Raises
    ------
    peermatch.report.folder.FolderError
        When the folder is not a complete peermatch output.
    """
    data = render_report(read_folder(out_dir))
    target = Path(out_dir) / REPORT_FILE
    tmp = target.with_name(f".{REPORT_FILE}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def failure_report(
    problem: ProblemData, status: str, diagnosis: tuple[str, ...], runtime: float | None = None
) -> bytes:
    """report.html for a run that found no cohorts: the status and the diagnosis."""
    summary: dict[str, Any] = {"status": status, "cohorts": 0, "placed": None}
    if runtime is not None:
        summary["runtime"] = runtime
    return render_report(
        RunFolder(problem=problem, solution=None, summary=summary, diagnosis=diagnosis)
    )
