"""The organiser's workspace: ``peermatch serve``, a web application on the library.

Needs the ``web`` extra (``pip install -e ".[web]"``): FastAPI, uvicorn, Jinja2,
platformdirs, httpx (the pages call the API in-process). The user's manual is
``docs/workspace.md``.

Modules
-------
app
    :func:`create_app`: routers, security middleware (headers, origin
    check, upload cap), static files and templates.
auth
    The token: ``?token=`` once (then a cookie) or ``Authorization: Bearer``.
db
    The SQLite schema and its ordered migrations.
store
    :class:`~peermatch.web.store.Store`, the only code that runs SQL.
inputs
    Storing and checking a program's input tables with the library's readers.
runs
    The run manager: queued runs solved in worker processes.
worker
    One run or repair in its own process (``python -m peermatch.web.worker``).
moves
    Checking and applying hand moves on two cohorts; a run's state in memory.
exports
    The output folder of a revision (export.zip, the report, repairs).
repairs
    A repair from the board: hand moves and locks kept as locks.
invites
    The folder a run's invitations are sent from, ledger carried.
api, board_api, results_api, invite_api
    The JSON API under ``/api/v1`` (the contract's "Workspace" table and the
    routes of the pages); ``deps`` holds what their routes share.
models
    The API's request and answer bodies (pydantic).
pages, forms
    The HTML pages (templates in ``templates/``, scripts in ``static/``); the
    rules form, built from :class:`~peermatch.model.ProgramConfig`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["create_app"]


def create_app(data_dir: Path, token: str, *, start_workers: bool = True) -> FastAPI:
    """The workspace application; see :func:`peermatch.web.app.create_app`."""
    from peermatch.web.app import create_app as _create

    return _create(data_dir, token, start_workers=start_workers)
