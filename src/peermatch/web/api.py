"""The JSON API under ``/api/v1``: programs, inputs and runs (the board's routes: :mod:`.board_api`).

Every row of the contract's "Workspace" table is a route here or in
:mod:`peermatch.web.board_api`; answers are the pydantic models of
:mod:`peermatch.web.models`.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from peermatch.web import board_api, invite_api, results_api
from peermatch.web.deps import MAX_UPLOAD, inputs_dir, program_files, queue_checked, store_of
from peermatch.web.inputs import (
    TABLES,
    check_program,
    file_format,
    stored_name,
    template,
)
from peermatch.web.models import (
    Created,
    InputAnswer,
    InputStatus,
    ProblemsAnswer,
    ProgramDetail,
    ProgramIn,
    ProgramSummary,
    RunCreated,
    RunRequest,
    RunStatus,
)

__all__ = ["router", "run_status"]

router = APIRouter(prefix="/api/v1")
router.include_router(board_api.router)
router.include_router(results_api.router)
router.include_router(invite_api.router)

_upload_locks: dict[int, threading.Lock] = {}
_TERMINAL = ("done", "failed", "cancelled")


_store = store_of


def _program(request: Request, program_id: int) -> dict[str, Any]:
    found = _store(request).program(program_id)
    if found is None:
        raise HTTPException(404, f"no program {program_id}")
    return found


def run_status(run: dict[str, Any]) -> RunStatus:
    """The API's form of a run row."""
    return RunStatus(
        run_id=run["id"],
        program_id=run["program_id"],
        kind=run["kind"],
        parent_run=run["parent_run"],
        status=run["status"],
        phase=run["phase"],
        elapsed=run["elapsed"],
        limit=run["time_limit"],
        objective=run["objective"],
        bound=run["bound"],
        gap=run["gap"],
        exit_code=run["exit_code"],
        message=run["message"],
        diagnosis=run["diagnosis"],
        has_solution=run["out_dir"] is not None,
        created=run["created"],
    )


# --- programs -------------------------------------------------------------------


@router.post("/programs", status_code=201, response_model=Created)
def create_program(body: ProgramIn, request: Request) -> Created:
    """A new, empty program."""
    program_id = _store(request).create_program(body.name.strip() or body.name)
    inputs_dir(request.app.state.data_dir, program_id).mkdir(parents=True, exist_ok=True)
    return Created(id=program_id)


@router.get("/programs", response_model=list[ProgramSummary])
def list_programs(request: Request) -> list[ProgramSummary]:
    """Every program, newest first."""
    return [ProgramSummary(**p) for p in _store(request).programs()]


@router.get("/programs/{program_id}", response_model=ProgramDetail)
def get_program(program_id: int, request: Request) -> ProgramDetail:
    """A program: each input table's status, its runs and its program.toml text."""
    program = _program(request, program_id)
    store = _store(request)
    folder = inputs_dir(request.app.state.data_dir, program_id)
    inputs = {
        i["name"]: InputStatus(
            table=i["name"],
            format=i["format"],
            size=i["size"],
            rows=i["rows"],
            warnings=i["warnings"],
            problems=i["problems"],
            uploaded=i["uploaded"],
        )
        for i in store.inputs(program_id)
    }
    config = folder / "program.toml"
    text = config.read_text(encoding="utf-8-sig", errors="replace") if "config" in inputs else None
    return ProgramDetail(
        id=program["id"],
        name=program["name"],
        created=program["created"],
        inputs=inputs,
        runs=[run_status(r) for r in store.runs(program_id)],
        config_toml=text,
    )


# --- inputs ---------------------------------------------------------------------


def _table(table: str) -> str:
    if table not in TABLES:
        raise HTTPException(404, f"unknown table '{table}': one of {', '.join(TABLES)}")
    return table


async def _receive(request: Request, folder: Path) -> Path:
    """Stream the body into a temporary file in ``folder`` (413 past the cap)."""
    fd, name = tempfile.mkstemp(prefix=".upload-", dir=folder)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_UPLOAD:
                    raise HTTPException(413, f"uploads are limited to {MAX_UPLOAD} bytes")
                out.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _store_upload(request: Request, program_id: int, table: str, upload: Path) -> dict[str, Any]:
    """Put an upload in place under the server's name and check the whole program."""
    store = _store(request)
    with _upload_locks.setdefault(program_id, threading.Lock()):
        with open(upload, "rb") as fh:
            head = fh.read(8)
        fmt = file_format(table, head)
        target = upload.parent / stored_name(table, fmt)
        for old in store.inputs(program_id):
            if old["name"] == table and old["stored"] != target.name:
                (upload.parent / old["stored"]).unlink(missing_ok=True)
        size = upload.stat().st_size
        os.replace(upload, target)
        store.put_input(program_id, table, stored=target.name, format=fmt, size=size)
        checks = check_program(program_files(request, program_id))
        store.set_checks(program_id, {k: v.as_dict() for k, v in checks.items()})
        return checks[table].as_dict()


@router.put(
    "/programs/{program_id}/inputs/{table}",
    response_model=InputAnswer,
    responses={422: {"model": ProblemsAnswer}, 413: {}},
)
async def put_input(program_id: int, table: str, request: Request) -> Any:
    """Upload one table (the file is the body); 422 lists its problems (it is kept, marked)."""
    _table(table)
    await run_in_threadpool(_program, request, program_id)
    folder = inputs_dir(request.app.state.data_dir, program_id)
    folder.mkdir(parents=True, exist_ok=True)
    upload = await _receive(request, folder)
    found = await run_in_threadpool(_store_upload, request, program_id, table, upload)
    if found["problems"]:
        return JSONResponse(
            ProblemsAnswer(problems=found["problems"], warnings=found["warnings"]).model_dump(),
            status_code=422,
        )
    return InputAnswer(rows=found["rows"], warnings=found["warnings"])


@router.get("/programs/{program_id}/inputs/{table}/template")
def input_template(program_id: int, table: str, request: Request) -> Response:
    """A CSV template of the table: its header row."""
    _program(request, program_id)
    if _table(table) == "config":
        raise HTTPException(404, "program.toml has no CSV template; see docs/workspace.md")
    return Response(
        template(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{table}.csv"'},
    )


@router.get("/programs/{program_id}/inputs/{table}")
def get_input(program_id: int, table: str, request: Request) -> Response:
    """The stored file of one table, as uploaded."""
    _program(request, program_id)
    path = program_files(request, program_id).get(_table(table))
    if path is None or not path.is_file():
        raise HTTPException(404, f"no {table} uploaded")
    media = {"csv": "text/csv; charset=utf-8", "toml": "text/plain; charset=utf-8"}.get(
        path.suffix.lstrip("."), "application/octet-stream"
    )
    return Response(
        path.read_bytes(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{path.name}"'},
    )


# --- runs -----------------------------------------------------------------------


@router.post(
    "/programs/{program_id}/runs",
    status_code=202,
    response_model=RunCreated,
    responses={422: {"model": ProblemsAnswer}},
)
def start_run(
    program_id: int,
    body: RunRequest,
    request: Request,
    idempotency_key: str | None = Header(default=None, max_length=200),
) -> Any:
    """Queue a run of the program's current inputs (422 while an input has problems)."""
    _program(request, program_id)
    return queue_checked(
        request,
        program_id,
        f"run:{program_id}:{idempotency_key}" if idempotency_key else None,
        time_limit=body.time_limit,
        seed=body.seed,
        deterministic=body.deterministic,
        allow_unassigned=body.allow_unassigned,
    )


def _run(request: Request, run_id: int) -> dict[str, Any]:
    run = _store(request).run(run_id)
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    return run


@router.get("/runs/{run_id}", response_model=RunStatus)
def get_run(run_id: int, request: Request) -> RunStatus:
    """A run's status and progress."""
    return run_status(_run(request, run_id))


@router.delete("/runs/{run_id}", response_model=RunStatus)
def stop_run(run_id: int, request: Request) -> RunStatus:
    """Stop the search; the best solution so far is kept (as SIGTERM does)."""
    _run(request, run_id)
    request.app.state.runs.stop(run_id)
    return run_status(_run(request, run_id))


@router.get("/runs/{run_id}/events")
async def run_events(run_id: int, request: Request) -> StreamingResponse:
    """Server-sent events: the run's status whenever it changes, until it ends."""
    await run_in_threadpool(_run, request, run_id)

    async def events() -> AsyncIterator[bytes]:
        last = None
        while True:
            run = await run_in_threadpool(_run, request, run_id)
            data = run_status(run).model_dump_json()
            if data != last:
                last = data
                yield f"event: progress\ndata: {data}\n\n".encode()
            if run["status"] in _TERMINAL:
                yield f"event: end\ndata: {json.dumps({'status': run['status']})}\n\n".encode()
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.5)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
