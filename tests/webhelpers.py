"""What the workspace tests (tests/web) share: the example program, a client, waiting for a run.

Nothing here imports the web extra at import time: the root conftest loads
:mod:`webfixtures`, which imports this, in every test session.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
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


def client_for(app: Any) -> Any:
    """A FastAPI test client of ``app`` (requests come from its own origin, http://testserver)."""
    from fastapi.testclient import TestClient

    return TestClient(app, base_url="http://testserver")


#: The run of the solved example.
RUN = "/api/v1/runs/1"


def cohorts_of(client: Any) -> dict[str, Any]:
    """``GET /api/v1/runs/1/cohorts`` (must answer 200)."""
    answer = client.get(f"{RUN}/cohorts", headers=AUTH)
    assert answer.status_code == 200
    data: dict[str, Any] = answer.json()
    return data


def placement(cohorts: dict[str, Any]) -> dict[str, str]:
    """Participant id -> cohort id of a cohorts answer."""
    return {m: c["cohort_id"] for c in cohorts["cohorts"] for m in c["members"]}


def check(client: Any, pid: str, to: str | None) -> dict[str, Any]:
    """``POST .../moves/check`` for one move (must answer 200)."""
    answer = client.post(
        f"{RUN}/moves/check", json={"participant_id": pid, "to_cohort": to}, headers=AUTH
    )
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def history_pair(client: Any) -> tuple[str, str]:
    """Two participants of the example who share history (so never one cohort)."""
    where = placement(cohorts_of(client))
    for line in (EXAMPLES / "history.csv").read_text(encoding="utf-8").splitlines()[1:]:
        a, b = line.split(",")[:2]
        if a in where and b in where:
            return a, b
    raise AssertionError("the example has no history pair of two participants")


def allowed_move(client: Any, skip: frozenset[str] | set[str] = frozenset()) -> tuple[str, str]:
    """The first move of someone (not in ``skip``) to another cohort that breaks no rule."""
    cohorts = cohorts_of(client)["cohorts"]
    for source in cohorts:
        for pid in source["members"]:
            if pid in skip:
                continue
            for target in cohorts:
                if target is not source and check(client, pid, target["cohort_id"])["allowed"]:
                    return pid, target["cohort_id"]
    raise AssertionError("no allowed move on the example board")
