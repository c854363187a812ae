"""``peermatch serve`` as a real process: the start line, a restart after SIGKILL, the missing extra."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from peermatch.cli import main
from webhelpers import AUTH, EXAMPLE_FILES, EXAMPLES, TOKEN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """``peermatch serve`` in a subprocess on a free port, with a fixed token."""

    def __init__(self, data: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PEERMATCH_TOKEN": TOKEN}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "peermatch",
                "serve",
                "--data",
                str(data),
                "--port",
                str(self.port),
                "--no-browser",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
        )
        assert self.process.stdout is not None
        self.first_line = self.process.stdout.readline().strip()
        self.http = httpx.Client(base_url=self.base, headers=AUTH, timeout=30)
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                if self.http.get("/api/v1/programs").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"the server did not answer; it said {self.first_line!r}")

    def kill(self) -> None:
        self.http.close()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)


def _wait(http: httpx.Client, run_id: int) -> dict[str, Any]:
    end = time.monotonic() + 300
    while time.monotonic() < end:
        status: dict[str, Any] = http.get(f"/api/v1/runs/{run_id}").json()
        if status["status"] not in ("queued", "running"):
            return status
        time.sleep(0.5)
    raise AssertionError("the run did not end")


def test_a_server_killed_after_a_move_shows_the_same_revision_after_a_restart(
    tmp_path: Path,
) -> None:
    server_data = tmp_path / "data"
    server = Server(server_data)
    try:
        assert server.first_line == (
            f"peermatch workspace: http://127.0.0.1:{server.port}/?token={TOKEN}"
        )
        http = server.http
        assert httpx.get(f"{server.base}/api/v1/programs").status_code == 401
        assert http.post("/api/v1/programs", json={"name": "Example"}).status_code == 201
        for table, name in EXAMPLE_FILES:
            put = http.put(
                f"/api/v1/programs/1/inputs/{table}", content=(EXAMPLES / name).read_bytes()
            )
            assert put.status_code == 200, put.text
        run = http.post("/api/v1/programs/1/runs", json={"time_limit": 1, "deterministic": True})
        run_id = run.json()["run_id"]
        assert _wait(http, run_id)["status"] == "done"
        cohorts = http.get(f"/api/v1/runs/{run_id}/cohorts").json()
        # Take someone out (forced: it may leave their cohort too small) and keep the answer.
        pid = cohorts["cohorts"][0]["members"][0]
        moved = http.post(
            f"/api/v1/runs/{run_id}/moves",
            json={"participant_id": pid, "to_cohort": None, "force": True},
        )
        assert moved.status_code == 200
        before = http.get(f"/api/v1/runs/{run_id}/cohorts").json()
        board = http.get(f"/api/v1/runs/{run_id}/board", params={"limit": 500}).json()
    finally:
        server.kill()
    again = Server(server_data)
    try:
        after = again.http.get(f"/api/v1/runs/{run_id}/cohorts").json()
        assert after == before
        assert after["revision"] == moved.json()["revision"] == 1
        assert pid in after["unassigned"]
        assert again.http.get(f"/api/v1/runs/{run_id}/board", params={"limit": 500}).json() == board
        assert again.http.get(f"/api/v1/runs/{run_id}").json()["status"] == "done"
    finally:
        again.kill()


def test_serve_without_the_web_extra_exits_2_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now fails
    result = CliRunner().invoke(main, ["serve", "--no-browser"])
    assert result.exit_code == 2
    assert 'pip install -e ".[web]"' in result.output
    assert "Traceback" not in result.output


def _workers(data: Path) -> list[int]:
    """Process ids of the workspace workers solving in ``data`` (Linux: /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"peermatch.web.worker" in cmdline and str(data).encode() in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_a_server_killed_mid_run_marks_the_run_failed_and_its_worker_stops(
    tmp_path: Path,
) -> None:
    from peermatch.web.runs import ABANDONED

    data = (tmp_path / "data").resolve()
    server = Server(data)
    try:
        http = server.http
        http.post("/api/v1/programs", json={"name": "Example"})
        for table, name in EXAMPLE_FILES:
            http.put(f"/api/v1/programs/1/inputs/{table}", content=(EXAMPLES / name).read_bytes())
        run_id = http.post("/api/v1/programs/1/runs", json={"time_limit": 600}).json()["run_id"]
        end = time.monotonic() + 120
        while http.get(f"/api/v1/runs/{run_id}").json()["status"] != "running":
            assert time.monotonic() < end
            time.sleep(0.2)
        assert _workers(data)
    finally:
        server.kill()
    again = Server(data)
    try:
        status = again.http.get(f"/api/v1/runs/{run_id}").json()
        assert status["status"] == "failed" and status["message"] == ABANDONED
        # The orphaned worker noticed and stopped, long before its 600 s.
        end = time.monotonic() + 120
        while _workers(data):
            assert time.monotonic() < end, "the orphaned worker is still running"
            time.sleep(0.5)
        # What it found is not recorded over the failure.
        assert again.http.get(f"/api/v1/runs/{run_id}").json()["status"] == "failed"
    finally:
        again.kill()


def test_serve_on_a_port_in_use_exits_2_saying_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            main, ["serve", "--data", str(tmp_path), "--port", str(port), "--no-browser"]
        )
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output
