"""Routes on a board's results: repair from it, its output folder as a zip, its report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Request, Response

from peermatch.web.board_api import Board
from peermatch.web.deps import queue_checked
from peermatch.web.models import RepairRequest, RunCreated

__all__ = ["REPORT_CSP", "router"]

router = APIRouter()

#: The report is the library's self-contained page (inline styles, inline SVG, no script).
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; sandbox"
)


@router.post(
    "/runs/{run_id}/repair", status_code=202, response_model=RunCreated, responses={422: {}}
)
def start_repair(
    run_id: int,
    body: RepairRequest,
    request: Request,
    idempotency_key: str | None = Header(default=None, max_length=200),
) -> Any:
    """Queue a repair from the current revision, hand moves and locks kept, on the current inputs."""
    board = Board(request, run_id)
    return queue_checked(
        request,
        int(board.run["program_id"]),
        f"repair:{run_id}:{idempotency_key}" if idempotency_key else None,
        kind="repair",
        parent_run=run_id,
        parent_revision=int(board.revision["number"]),
        time_limit=body.time_limit,
        seed=body.seed,
        deterministic=body.deterministic,
    )


@router.get("/runs/{run_id}/export.zip")
def export_zip(run_id: int, request: Request) -> Response:
    """The output folder of the current revision, zipped."""
    from peermatch.web.exports import zip_folder

    board = Board(request, run_id)
    name = f"peermatch-run-{run_id}-revision-{board.revision['number']}.zip"
    return Response(
        zip_folder(board.folder()),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/runs/{run_id}/report")
def report(run_id: int, request: Request) -> Response:
    """report.html of the current revision (the library's page; no script)."""
    board = Board(request, run_id)
    page = (board.folder() / "report.html").read_bytes()
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": REPORT_CSP},
    )
