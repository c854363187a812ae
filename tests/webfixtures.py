"""Fixtures of the workspace tests (tests/web), loaded by the root conftest as a plugin.

An app on a fresh data folder, and one solved example run shared by the session.
Each fixture skips when the web extra is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from webhelpers import AUTH, TOKEN, client_for, upload_example, wait_for


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    """A client of an app on an empty data folder; runs are queued but never started."""
    pytest.importorskip("fastapi")
    from peermatch.web import create_app

    with client_for(create_app(tmp_path / "data", TOKEN, start_workers=False)) as c:
        yield c


@pytest.fixture(scope="session")
def solved_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the example program (id 1) and one finished run (id 1)."""
    pytest.importorskip("fastapi")
    from peermatch.web import create_app

    data = tmp_path_factory.mktemp("solved") / "data"
    with client_for(create_app(data, TOKEN)) as c:
        assert c.post("/api/v1/programs", json={"name": "Example"}, headers=AUTH).json() == {
            "id": 1
        }
        upload_example(c, 1)
        body = {"time_limit": 1, "seed": 0, "deterministic": True}
        started = c.post("/api/v1/programs/1/runs", json=body, headers=AUTH)
        assert started.status_code == 202, started.text
        # A double click while the worker is starting: the same run, solved once.
        again = c.post("/api/v1/programs/1/runs", json=body, headers=AUTH)
        assert again.json() == started.json()
        status = wait_for(c, started.json()["run_id"])
        assert status["status"] == "done", status
    return data


@pytest.fixture
def board(solved_data: Path, tmp_path: Path) -> Iterator[Any]:
    """A client of an app on a copy of the solved data folder (moves change only the copy)."""
    from peermatch.web import create_app

    data = tmp_path / "data"
    shutil.copytree(solved_data, data)
    with client_for(create_app(data, TOKEN)) as c:
        yield c
