"""The workspace's token: every request (pages, API and static files alike) carries it.

A browser brings it once in the URL (``/?token=...``, as ``peermatch serve``
prints it): the answer sets a cookie (HttpOnly, SameSite=Strict, Path=/) and
redirects to the same address without the token, so that it leaves the
address bar and the history. Tools send ``Authorization: Bearer TOKEN``.
Tokens are compared in constant time; a request without a valid one gets
401 and nothing else.
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["COOKIE", "TokenMiddleware", "send_plain", "token_from"]

#: The cookie that keeps the token in a browser.
COOKIE = "peermatch_token"


def _matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def token_from(headers: Headers) -> str | None:
    """The token a request carries in ``Authorization: Bearer`` or the cookie, if any."""
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header is no token
        return None
    morsel = cookie.get(COOKIE)
    return morsel.value if morsel is not None else None


async def send_plain(send: Send, status: int, body: bytes, *headers: tuple[bytes, bytes]) -> None:
    """Answer with a plain-text ``body`` (and ``headers``) straight from a middleware."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# The token's answers (its cookie, its refusal) must not be kept by a cache.
_NO_STORE = (b"cache-control", b"no-store")


class TokenMiddleware:
    """Let through only requests that carry ``token``; turn ``?token=`` into the cookie."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if _matches(token_from(headers), self.token):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = next((v for k, v in query if k == "token"), None)
        if scope["method"] in ("GET", "HEAD") and _matches(given, self.token):
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
            secure = "; Secure" if scope.get("scheme") == "https" else ""
            cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/{secure}"
            await send_plain(
                send,
                303,
                b"",
                _NO_STORE,
                (b"location", location.encode()),
                (b"set-cookie", cookie.encode()),
            )
            return
        await send_plain(
            send,
            401,
            b"401 Unauthorized\n",
            _NO_STORE,
            (b"www-authenticate", b'Bearer realm="peermatch"'),
        )
