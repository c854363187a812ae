"""The token, the cookie, the security headers, the origin check and the upload cap."""

from __future__ import annotations

from typing import Any

import pytest

from peermatch.web.app import CSP
from peermatch.web.deps import MAX_UPLOAD
from webhelpers import AUTH, TOKEN

PAGES_AND_API = ["/", "/api/v1/programs", "/api/v1/programs/1", "/static/.gitkeep", "/nowhere"]


@pytest.mark.parametrize("path", PAGES_AND_API)
def test_without_the_token_every_request_gets_401_and_nothing_else(client: Any, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 401
    assert answer.text == "401 Unauthorized\n"
    assert "set-cookie" not in answer.headers
    assert answer.headers["content-security-policy"] == CSP


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Cookie": "peermatch_token=wrong"},
    ],
)
def test_a_wrong_token_is_refused(client: Any, headers: dict[str, str]) -> None:
    assert client.get("/api/v1/programs", headers=headers).status_code == 401


def test_a_state_change_without_the_token_changes_nothing(client: Any) -> None:
    assert client.post("/api/v1/programs", json={"name": "X"}).status_code == 401
    assert client.get("/api/v1/programs", headers=AUTH).json() == []


def test_the_token_in_the_url_becomes_a_strict_httponly_cookie_and_leaves_the_url(
    client: Any,
) -> None:
    answer = client.get(f"/?tab=runs&token={TOKEN}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?tab=runs"
    cookie = answer.headers["set-cookie"]
    parts = [p.strip() for p in cookie.split(";")]
    assert parts[0] == f"peermatch_token={TOKEN}"
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(parts)
    assert "Secure" not in parts  # plain http on this machine; https behind a proxy sets it
    # The browser now sends the cookie: pages and API answer.
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/programs").status_code == 200


def test_a_wrong_token_in_the_url_sets_no_cookie(client: Any) -> None:
    answer = client.get("/?token=nope", follow_redirects=False)
    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers
    assert client.get("/").status_code == 401


def test_the_bearer_token_opens_the_api(client: Any) -> None:
    assert client.get("/api/v1/programs", headers=AUTH).status_code == 200


@pytest.mark.parametrize("path", ["/", "/api/v1/programs"])
def test_every_answer_has_the_security_headers(client: Any, path: str) -> None:
    answer = client.get(path, headers=AUTH)
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_cross_site_state_change_is_refused(client: Any, headers: dict[str, str]) -> None:
    answer = client.post("/api/v1/programs", json={"name": "X"}, headers={**AUTH, **headers})
    assert answer.status_code == 403
    assert client.get("/api/v1/programs", headers=AUTH).json() == []


def test_a_same_origin_state_change_is_accepted(client: Any) -> None:
    headers = {**AUTH, "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/api/v1/programs", json={"name": "X"}, headers=headers).status_code == 201


def test_a_body_above_the_cap_is_refused_by_its_declared_length(client: Any) -> None:
    client.post("/api/v1/programs", json={"name": "X"}, headers=AUTH)
    answer = client.put(
        "/api/v1/programs/1/inputs/participants",
        content=b"x" * (MAX_UPLOAD + 1),
        headers=AUTH,
    )
    assert answer.status_code == 413
    assert client.get("/api/v1/programs/1", headers=AUTH).json()["inputs"] == {}


def test_a_streamed_body_above_the_cap_is_refused_as_it_arrives(client: Any) -> None:
    client.post("/api/v1/programs", json={"name": "X"}, headers=AUTH)
    chunk = b"id,name\n" + b"x" * (1024 * 1024)

    def body() -> Any:  # no Content-Length: only counting finds it too large
        for _ in range(MAX_UPLOAD // len(chunk) + 2):
            yield chunk

    answer = client.put("/api/v1/programs/1/inputs/participants", content=body(), headers=AUTH)
    assert answer.status_code == 413
    assert client.get("/api/v1/programs/1", headers=AUTH).json()["inputs"] == {}
    leftovers = [p.name for p in client.app.state.data_dir.rglob("*") if p.is_file()]
    assert not [n for n in leftovers if n.startswith(".upload-")]


def test_a_streamed_json_body_above_the_cap_is_413_not_a_parse_error(client: Any) -> None:
    def body() -> Any:
        for _ in range(MAX_UPLOAD // (1024 * 1024) + 2):
            yield b" " * (1024 * 1024)

    answer = client.post("/api/v1/programs", content=body(), headers=AUTH)
    assert answer.status_code == 413
    assert client.get("/api/v1/programs", headers=AUTH).json() == []


def test_a_same_origin_form_post_with_origin_null_is_accepted(client: Any) -> None:
    # Under Referrer-Policy: no-referrer a browser's same-origin form post says Origin: null;
    # its Sec-Fetch-Site, which no page can set, says what it is.
    headers = {**AUTH, "Origin": "null", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/api/v1/programs", json={"name": "X"}, headers=headers).status_code == 201
