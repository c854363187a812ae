"""``POST /api/v1/runs/{run_id}/invite``: as ``peermatch invite`` on the current revision."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from peermatch.web.models import InviteRequest

__all__ = ["router"]

router = APIRouter()


@router.post("/runs/{run_id}/invite", responses={422: {}, 502: {}})
def invite(run_id: int, body: InviteRequest, request: Request) -> Any:
    """Send (or, with ``dry_run``, plan) the invitations of the current revision.

    Without ``smtp`` the messages are written as ``.eml`` files
    (``GET .../invitations.zip``). 200 with what was planned, sent and
    skipped; 502 with the same when the mail server stopped the delivery
    partway (what was accepted is recorded; sending again sends the rest);
    422 when nothing could be sent (a bad address, no cohorts).
    """
    from peermatch.errors import PeermatchError
    from peermatch.invitations import SmtpSettings
    from peermatch.invitations import invite as send
    from peermatch.web.board_api import Board
    from peermatch.web.invites import invite_folder

    board = Board(request, run_id)
    smtp = None
    if body.smtp is not None:
        given = body.smtp
        smtp = SmtpSettings(
            given.host,
            given.port or SmtpSettings.default_port(given.security),
            given.security,
            given.user,
            given.password,
        )
    try:
        folder = invite_folder(board.data_dir, board.store, board.run, board.revision, board.state)
        outcome = send(folder, sender=body.sender, smtp=smtp, dry_run=body.dry_run)
    except PeermatchError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    answer = {"revision": board.revision["number"], **outcome.as_json()}
    return JSONResponse(answer, status_code=200 if outcome.stopped is None else 502)


@router.get("/runs/{run_id}/invitations.zip")
def invitations_zip(run_id: int, request: Request) -> Response:
    """The ``.eml`` files of the last invitations written without a mail server."""
    from peermatch.invitations import EML_FOLDER
    from peermatch.web.exports import zip_folder
    from peermatch.web.invites import INVITE_FOLDER
    from peermatch.web.runs import run_dir

    folder = run_dir(request.app.state.data_dir, run_id) / INVITE_FOLDER / EML_FOLDER
    if not folder.is_dir():
        raise HTTPException(404, "no invitations were written as files for this run")
    return Response(
        zip_folder(folder),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="invitations-run-{run_id}.zip"'},
    )
