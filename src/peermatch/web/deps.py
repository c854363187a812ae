"""What the API's routes share: the upload cap, the store and a program's stored inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from peermatch.errors import InputError
from peermatch.web.inputs import read_program
from peermatch.web.models import RunCreated
from peermatch.web.store import Store

__all__ = [
    "MAX_UPLOAD",
    "inputs_dir",
    "problems_response",
    "program_files",
    "queue_checked",
    "store_of",
]

#: Uploads (any request body) above this many bytes are refused with 413.
MAX_UPLOAD = 50 * 1024 * 1024


def store_of(request: Request) -> Store:
    """The application's :class:`~peermatch.web.store.Store`."""
    store: Store = request.app.state.store
    return store


def inputs_dir(data_dir: Path, program_id: int) -> Path:
    """Where a program's uploaded tables are stored."""
    return data_dir / "programs" / str(program_id) / "inputs"


def program_files(request: Request, program_id: int) -> dict[str, Path]:
    """Table -> stored file of a program's inputs."""
    folder = inputs_dir(request.app.state.data_dir, program_id)
    return {i["name"]: folder / i["stored"] for i in store_of(request).inputs(program_id)}


def problems_response(exc: InputError) -> JSONResponse:
    """422 with every problem as ``{"file", "row", "column", "message"}``."""
    problems: list[dict[str, Any]] = [
        {"file": p.file, "row": p.row, "column": p.column, "message": p.message}
        for p in exc.problems
    ]
    return JSONResponse({"problems": problems, "warnings": []}, status_code=422)


def queue_checked(
    request: Request, program_id: int, idempotency_key: str | None, **fields: Any
) -> RunCreated | JSONResponse:
    """Queue a run (or repair) of the program's current inputs; 422 while an input has problems.

    ``fields`` are :meth:`~peermatch.web.runs.RunManager.submit`'s (kind, time_limit...).
    """
    files = program_files(request, program_id)
    try:
        read_program(files)
    except InputError as exc:
        return problems_response(exc)
    run_id, _ = request.app.state.runs.submit(
        program_id, files, idempotency_key=idempotency_key, **fields
    )
    return RunCreated(run_id=run_id)
