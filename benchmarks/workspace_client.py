"""What the workspace scripts (``workspace.py``, ``screenshots.py``) share.

The program's input tables by the workspace's names, and one call of the
workspace's JSON API with a bearer token. Not a benchmark itself.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

__all__ = ["TABLES", "api_call"]

#: The workspace's input tables and their file names in a program folder.
TABLES = {
    "participants": "participants.csv",
    "facilitators": "facilitators.csv",
    "history": "history.csv",
    "config": "program.toml",
}


def api_call(
    base: str, token: str, method: str, path: str, body: Any = None, raw: bytes | None = None,
    timeout: float = 60.0,
) -> Any:  # fmt: skip
    """One API call with the bearer token; the JSON answer (raises on an error status)."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        method=method,
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read() or b"null")
