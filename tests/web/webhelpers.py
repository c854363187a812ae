"""What the workspace tests share: the example program, a client, waiting for a run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "data" / "examples"
TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

#: The example program's tables, in an order whose references are always known.
EXAMPLE_FILES = (
    ("participants", "participants.csv"),
    ("facilitators", "facilitators.csv"),
    ("history", "history.csv"),
    ("config", "program.toml"),
)


def upload_example(client: Any, program_id: int) -> None:
    """Upload every table of the example program; each must be accepted."""
    for table, name in EXAMPLE_FILES:
        answer = client.put(
            f"/api/v1/programs/{program_id}/inputs/{table}",
            content=(EXAMPLES / name).read_bytes(),
            headers=AUTH,
        )
        assert answer.status_code == 200, answer.text


def wait_for(client: Any, run_id: int, timeout: float = 300.0) -> dict[str, Any]:
    """Poll a run until it is no longer queued or running; its last status."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        status: dict[str, Any] = client.get(f"/api/v1/runs/{run_id}", headers=AUTH).json()
        if status["status"] not in ("queued", "running"):
            return status
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} still {status['status']} after {timeout}s")


def client_for(app: Any) -> TestClient:
    """A test client whose requests come from the app's own origin."""
    return TestClient(app, base_url="http://testserver")
