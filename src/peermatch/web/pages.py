"""The HTML pages (owned by the UI: templates in ``web/templates``, scripts in ``web/static``).

A placeholder until the pages land: ``/`` says where the API is.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["router"]

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home() -> str:
    """The start page."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>peermatch workspace</title></head><body><h1>peermatch workspace</h1>"
        "<p>The JSON API is under <code>/api/v1</code>.</p></body></html>"
    )
