"""The workspace's HTML pages: server-rendered Jinja2 on the JSON API.

The pages are a client of the same ``/api/v1`` that tools use: each handler
calls the API in-process (:func:`api`, through httpx's ASGI transport with
the browser's own cookie), so a page can never do what the API would refuse,
and rules, validation and state have one implementation. Templates are
autoescaped; the pages carry no inline script, inline style or event
attribute (the app's Content-Security-Policy is ``script-src 'self'`` and
``style-src 'self'``): behaviour lives in ``static/app.js`` and
``static/board.js``, partial updates go through htmx.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import httpx
import jinja2
import markupsafe
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from peermatch.web.forms import config_form, form_to_toml

__all__ = ["TABLES", "ApiFailure", "api", "error_page", "router"]

#: The input tables in the order the inputs page lists them.
TABLES = ("participants", "facilitators", "history", "locks", "pairs", "previous", "config")
#: Cohorts per board page: a 10,000-person program is 1,250 cohorts, never drawn at once.
BOARD_PAGE = 24
#: The largest upload the page forwards (the API's own cap; larger gets 413 here too).
MAX_UPLOAD = 50 * 1024 * 1024

router = APIRouter(include_in_schema=False)
_REPORT_CSS = resources.files("peermatch.report") / "templates" / "report.css"
_FORWARDED = ("cookie", "authorization", "origin", "sec-fetch-site")

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("peermatch.web", "templates"),
    autoescape=True,
    undefined=jinja2.ChainableUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _breakable(key: str) -> markupsafe.Markup:
    """A program.toml key that may wrap after its underscores (``max_per_<wbr>organisation``)."""
    return markupsafe.Markup("_<wbr>").join(markupsafe.escape(key).split("_"))


_env.filters["breakable"] = _breakable


def _render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status_code)


async def api(
    request: Request,
    method: str,
    path: str,
    *,
    json: Any = None,
    content: bytes | str | None = None,
    params: dict[str, Any] | None = None,
) -> httpx.Response:
    """Call this app's JSON API in-process as the browser that made ``request``.

    Parameters
    ----------
    request
        The page request; its cookie (or bearer token) and origin are passed on.
    method, path
        The API request, ``path`` under ``/api/v1``.
    json, content, params
        The body (JSON or raw bytes) and the query.
    """
    headers = {k: v for k, v in request.headers.items() if k in _FORWARDED}
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url=str(request.base_url)) as client:
        return await client.request(
            method, f"/api/v1{path}", json=json, content=content, params=params, headers=headers
        )


class ApiFailure(Exception):
    """The API answered a page's read with an error; :func:`error_page` shows it."""

    def __init__(self, answer: httpx.Response):
        super().__init__(answer.status_code)
        self.answer = answer


async def _read(request: Request, path: str, **params: Any) -> Any:
    answer = await api(request, "GET", path, params=params or None)
    if answer.status_code != 200:
        raise ApiFailure(answer)
    return answer.json()


async def error_page(request: Request, failure: Exception) -> HTMLResponse:
    """The page of a failed API call: the workspace's handler of :class:`ApiFailure`.

    Every page lets the failure of a read it needs propagate to here.
    """
    if not isinstance(failure, ApiFailure):
        raise failure
    try:
        detail = failure.answer.json().get("detail", failure.answer.text)
    except ValueError:
        detail = failure.answer.text
    return _render(
        "error.html.j2",
        status_code=failure.answer.status_code,
        status=failure.answer.status_code,
        detail=str(detail),
    )


# --- the report's style sheet ------------------------------------------------


@router.get("/static/report.css")
async def report_css() -> Response:
    """The report's style sheet, shared so the workspace looks like report.html."""
    return Response(_REPORT_CSS.read_text(encoding="utf-8"), media_type="text/css")


# --- programs and inputs ------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def programs_page(request: Request) -> HTMLResponse:
    """Every program, newest first, and a form to create one."""
    programs = await _read(request, "/programs")
    if isinstance(programs, dict):
        programs = programs.get("programs", [])
    return _render("programs.html.j2", programs=programs, problem=None)


@router.post("/programs")
async def create_program(request: Request) -> Response:
    """Create a program from the form and open its inputs."""
    form = await request.form()
    answer = await api(request, "POST", "/programs", json={"name": str(form.get("name", ""))})
    if answer.status_code != 201:
        return _render(
            "programs.html.j2",
            status_code=answer.status_code,
            programs=[],
            problem=_detail(answer),
        )
    return RedirectResponse(f"/programs/{answer.json()['id']}", status_code=303)


def _detail(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return detail if isinstance(detail, str) else str(detail)


def _problems(answer: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = answer.json()
    except ValueError:
        return [{"file": "", "row": "", "column": "", "message": answer.text}]
    if isinstance(body, dict) and isinstance(body.get("problems"), list):
        return list(body["problems"])
    return [{"file": "", "row": "", "column": "", "message": _detail(answer)}]


async def _inputs_context(request: Request, program_id: str) -> dict[str, Any]:
    program = await _read(request, f"/programs/{program_id}")
    return {"program": program, "tables": TABLES, "result": None}


@router.get("/programs/{program_id}", response_class=HTMLResponse)
async def inputs_page(request: Request, program_id: str) -> HTMLResponse:
    """A program's input tables: upload each, see every problem, download templates."""
    context = await _inputs_context(request, program_id)
    return _render("inputs.html.j2", **context)


@router.post("/programs/{program_id}/inputs/{table}", response_class=HTMLResponse)
async def upload_input(request: Request, program_id: str, table: str) -> HTMLResponse:
    """Forward an uploaded file to ``PUT inputs/{table}`` and show the outcome.

    htmx asks for the inputs section only (``HX-Request``); a plain form post
    gets the whole page.
    """
    form = await request.form()
    upload = form.get("file")
    data = b""
    if isinstance(upload, UploadFile):
        data = await upload.read(MAX_UPLOAD + 1)
    filename = getattr(upload, "filename", "") or table
    result: dict[str, Any]
    if len(data) > MAX_UPLOAD:
        result = {"table": table, "file": filename, "status": 413, "problems": []}
    else:
        answer = await api(request, "PUT", f"/programs/{program_id}/inputs/{table}", content=data)
        result = {"table": table, "file": filename, "status": answer.status_code}
        result |= answer.json() if answer.status_code == 200 else {"problems": _problems(answer)}
    context = await _inputs_context(request, program_id)
    context["result"] = result
    name = "inputs_section.html.j2" if request.headers.get("hx-request") else "inputs.html.j2"
    return _render(name, status_code=200, **context)


# --- rules --------------------------------------------------------------------


def _config_text(program: dict[str, Any]) -> str:
    text = program.get("config") or program.get("config_toml") or ""
    return text if isinstance(text, str) else ""


def _raw_config(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


@router.get("/programs/{program_id}/rules", response_class=HTMLResponse)
async def rules_page(request: Request, program_id: str) -> HTMLResponse:
    """Every program.toml key as a form, and the raw TOML."""
    program = await _read(request, f"/programs/{program_id}")
    text = _config_text(program)
    return _render(
        "rules.html.j2",
        program=program,
        sections=config_form(_raw_config(text)),
        toml=text,
        problems=[],
        saved=False,
    )


@router.post("/programs/{program_id}/rules", response_class=HTMLResponse)
async def save_rules(request: Request, program_id: str) -> HTMLResponse:
    """Save the form (or the raw TOML, when that form was sent) through ``PUT inputs/config``."""
    form = await request.form()
    fields = {k: str(v) for k, v in form.items()}
    text = fields["raw"] if "raw" in fields else form_to_toml(fields)
    answer = await api(request, "PUT", f"/programs/{program_id}/inputs/config", content=text)
    program = await _read(request, f"/programs/{program_id}")
    ok = answer.status_code == 200
    return _render(
        "rules.html.j2",
        status_code=200 if ok else 422,
        program=program,
        sections=config_form(_raw_config(text)),
        toml=_config_text(program) if ok else text,
        problems=[] if ok else _problems(answer),
        saved=ok,
    )


# --- runs ---------------------------------------------------------------------


@router.get("/programs/{program_id}/runs", response_class=HTMLResponse)
async def runs_page(request: Request, program_id: str) -> HTMLResponse:
    """A program's runs and the form that starts one."""
    program = await _read(request, f"/programs/{program_id}")
    return _render("runs.html.j2", program=program, problems=[])


@router.post("/programs/{program_id}/runs")
async def start_run(request: Request, program_id: str) -> Response:
    """Start a run with the form's time limit and seed, then follow its progress."""
    form = await request.form()
    body: dict[str, Any] = {"deterministic": form.get("deterministic") == "on"}
    for key, convert in (("time_limit", float), ("seed", int)):
        text = str(form.get(key, "")).strip()
        if text:
            try:
                body[key] = convert(text)
            except ValueError:
                body[key] = text  # the API names the bad value
    answer = await api(request, "POST", f"/programs/{program_id}/runs", json=body)
    if answer.status_code != 202:
        program = await _read(request, f"/programs/{program_id}")
        return _render(
            "runs.html.j2",
            status_code=answer.status_code,
            program=program,
            problems=_problems(answer),
        )
    return RedirectResponse(f"/runs/{answer.json()['run_id']}", status_code=303)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
async def run_page(request: Request, run_id: str) -> HTMLResponse:
    """One run's live progress (Server-Sent Events through ``static/app.js``)."""
    run = await _read(request, f"/runs/{run_id}")
    program = await _read(request, f"/programs/{run['program_id']}")
    return _render("run.html.j2", run=run, run_id=run_id, program=program)


# --- the board ----------------------------------------------------------------


def _page_query(offset: int, limit: int, q: str) -> str:
    return urlencode({k: v for k, v in (("offset", offset), ("limit", limit), ("q", q)) if v})


async def _board_context(
    request: Request, run_id: str, offset: int, limit: int, q: str
) -> dict[str, Any]:
    offset, limit = max(offset, 0), min(max(limit, 1), 200)
    board = await _read(request, f"/runs/{run_id}/board", offset=offset, limit=limit, q=q)
    total = int(board.get("total", len(board.get("cohorts", []))))
    return {
        "run_id": run_id,
        "board": board,
        "q": q,
        "offset": offset,
        "limit": limit,
        "total": total,
        "prev_query": _page_query(max(offset - limit, 0), limit, q) if offset > 0 else None,
        "next_query": _page_query(offset + limit, limit, q) if offset + limit < total else None,
        "query": _page_query(offset, limit, q),
    }


@router.get("/runs/{run_id}/board", response_class=HTMLResponse)
async def board_page(
    request: Request, run_id: str, offset: int = 0, limit: int = BOARD_PAGE, q: str = ""
) -> HTMLResponse:
    """The board: a page of cohorts as cards, the unassigned, and the tools."""
    context = await _board_context(request, run_id, offset, limit, q)
    run = await _read(request, f"/runs/{run_id}")
    program = await _read(request, f"/programs/{run['program_id']}")
    everyone = await _read(request, f"/runs/{run_id}/cohorts")
    targets = [c["cohort_id"] for c in everyone.get("cohorts", [])]
    return _render("board.html.j2", run=run, program=program, targets=targets, **context)


@router.get("/runs/{run_id}/board/cohorts", response_class=HTMLResponse)
async def board_fragment(
    request: Request, run_id: str, offset: int = 0, limit: int = BOARD_PAGE, q: str = ""
) -> HTMLResponse:
    """The board's cohorts alone, for htmx (paging, the filter, after a move)."""
    context = await _board_context(request, run_id, offset, limit, q)
    return _render("board_cohorts.html.j2", **context)
