"""What the API's routes share: the upload cap, the store and a program's stored inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from peermatch.errors import InputError
from peermatch.web.store import Store

__all__ = ["MAX_UPLOAD", "inputs_dir", "problems_response", "program_files", "store_of"]

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
