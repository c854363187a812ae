"""The application factory: routers, the security middleware, static files and templates.

The middleware, outermost first:

- :class:`SecurityHeaders` adds the Content-Security-Policy (no inline
  script), ``X-Content-Type-Options`` and ``Referrer-Policy`` to every answer,
  401s and 413s included;
- :class:`~peermatch.web.auth.TokenMiddleware`: the token, on every request;
- :class:`SameOrigin` refuses a state-changing request (POST, PUT, PATCH,
  DELETE) from another site (its ``Origin`` or ``Sec-Fetch-Site``) with 403;
- :class:`BodyLimit` refuses a body above :data:`MAX_UPLOAD` with 413, by its
  ``Content-Length`` and by counting what actually arrives.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peermatch.web.auth import TokenMiddleware, send_plain
from peermatch.web.deps import MAX_UPLOAD

__all__ = ["CSP", "MAX_UPLOAD", "STATIC", "TEMPLATES", "create_app"]

#: The Content-Security-Policy of every answer: nothing inline, nothing from elsewhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

_HERE = Path(__file__).parent
#: The static files (JavaScript, CSS, vendored libraries), served at /static.
STATIC = _HERE / "static"
#: The Jinja2 templates of the pages.
TEMPLATES = _HERE / "templates"

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SecurityHeaders:
    """Add the security headers to every response (a route may set its own CSP first)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                for name, value in (
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ):
                    if name not in names:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class SameOrigin:
    """Refuse a state-changing request that another site's page sent (403)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _UNSAFE and self._cross_site(scope):
            await send_plain(send, 403, b"403 Forbidden: cross-site request refused\n")
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _cross_site(scope: Scope) -> bool:
        headers = Headers(scope=scope)
        site = headers.get("sec-fetch-site")
        if site is not None:
            # A browser's own word (no script can set it). It wins over Origin, which a
            # same-origin form post sends as "null" under Referrer-Policy: no-referrer.
            return site not in ("same-origin", "none")
        origin = headers.get("origin")
        if origin is None:
            return False  # not a browser's cross-origin request (tools, same-origin GET forms)
        host = headers.get("x-forwarded-host") or headers.get("host", "")
        return origin == "null" or urlsplit(origin).netloc.lower() != host.lower()


class BodyTooLarge(Exception):
    """The request body grew past :data:`MAX_UPLOAD`."""


class BodyLimit:
    """413 for a body above ``limit`` bytes, declared or counted as it streams in."""

    def __init__(self, app: ASGIApp, limit: int = MAX_UPLOAD) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(send)
            return
        seen = 0
        exceeded = replaced = started = False

        async def counting() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def tracking(message: Message) -> None:
            # A framework may turn the error into its own answer (a 400): it becomes the 413.
            nonlocal replaced, started
            if replaced:
                return
            if exceeded and message["type"] == "http.response.start":
                replaced = True
                await self._too_large(send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, tracking)
        except BodyTooLarge:
            if not started and not replaced:
                await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        await send_plain(send, 413, f"413 Payload Too Large: at most {self.limit} bytes\n".encode())


def create_app(data_dir: Path, token: str, *, start_workers: bool = True) -> FastAPI:
    """The workspace application on the data folder ``data_dir``, guarded by ``token``.

    Parameters
    ----------
    data_dir
        Holds the database and every program's inputs and runs' outputs
        (created when missing).
    token
        The secret every request must carry.
    start_workers
        Start runs in background workers (tests of the API alone may not).
    """
    from peermatch.web import api, pages
    from peermatch.web.moves import StateCache
    from peermatch.web.runs import RunManager
    from peermatch.web.store import Store

    if not token:
        raise ValueError("the token must not be empty")
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    from peermatch.web.db import DB_FILE

    store = Store(data_dir / DB_FILE)
    manager = RunManager(store, data_dir, start_workers=start_workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        manager.recover()
        try:
            yield
        finally:
            manager.shutdown()

    app = FastAPI(
        title="peermatch workspace",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.store = store
    app.state.runs = manager
    app.state.data_dir = data_dir
    app.state.states = StateCache()
    app.state.templates = Jinja2Templates(directory=str(TEMPLATES))
    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_exception_handler(pages.ApiFailure, pages.error_page)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    # Added innermost first: the last one added sees a request first.
    app.add_middleware(BodyLimit)
    app.add_middleware(SameOrigin)
    app.add_middleware(TokenMiddleware, token=token)
    app.add_middleware(SecurityHeaders)
    return app
