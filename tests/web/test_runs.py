"""Runs: status, server-sent progress, stopping with the best kept, no double solve, restarts, repair."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from peermatch.web.runs import ABANDONED
from webhelpers import (
    AUTH,
    TOKEN,
    allowed_move,
    client_for,
    cohorts_of,
    placement,
    upload_example,
    wait_for,
)


def _events(client: Any, run_id: int, on_event: Any = None) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    with client.stream("GET", f"/api/v1/runs/{run_id}/events", headers=AUTH) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        kind = ""
        for line in answer.iter_lines():
            if line.startswith("event: "):
                kind = line[len("event: ") :]
            elif line.startswith("data: "):
                out.append((kind, json.loads(line[len("data: ") :])))
                if on_event is not None:
                    on_event(out[-1])
    return out


def test_a_finished_run_reports_its_figures(board: Any) -> None:
    status = board.get("/api/v1/runs/1", headers=AUTH).json()
    assert status["status"] == "done" and status["exit_code"] == 0 and status["has_solution"]
    assert status["objective"] is not None and status["limit"] == 1
    assert status["kind"] == "run" and status["diagnosis"] == []
    runs = board.get("/api/v1/programs/1", headers=AUTH).json()["runs"]
    assert [r["run_id"] for r in runs] == [1]
    # The events of a finished run: its status once, then the end.
    events = _events(board, 1)
    assert [k for k, _ in events] == ["progress", "end"]
    assert events[0][1] == status and events[1][1] == {"status": "done"}


def test_a_run_asked_for_twice_is_queued_once(client: Any) -> None:
    client.post("/api/v1/programs", json={"name": "X"}, headers=AUTH)
    upload_example(client, 1)
    body = {"time_limit": 5}
    first = client.post("/api/v1/programs/1/runs", json=body, headers=AUTH)
    again = client.post("/api/v1/programs/1/runs", json=body, headers=AUTH)
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    # The same request replayed later (its Idempotency-Key) is the same run, even once it ended.
    keyed = {**AUTH, "Idempotency-Key": "click-1"}
    client.delete(f"/api/v1/runs/{first.json()['run_id']}", headers=AUTH)
    second = client.post("/api/v1/programs/1/runs", json=body, headers=keyed)
    assert second.json() != first.json()
    client.delete(f"/api/v1/runs/{second.json()['run_id']}", headers=AUTH)
    replay = client.post("/api/v1/programs/1/runs", json=body, headers=keyed)
    assert replay.json() == second.json()
    runs = client.get("/api/v1/programs/1", headers=AUTH).json()["runs"]
    assert sorted(r["run_id"] for r in runs) == sorted(
        {first.json()["run_id"], second.json()["run_id"]}
    )
    assert {r["status"] for r in runs} == {"cancelled"}


def test_runs_a_killed_server_left_unfinished_are_marked_failed(tmp_path: Path) -> None:
    from peermatch.web import create_app

    data = tmp_path / "data"
    with client_for(create_app(data, TOKEN, start_workers=False)) as c:
        c.post("/api/v1/programs", json={"name": "X"}, headers=AUTH)
        upload_example(c, 1)
        run_id = c.post("/api/v1/programs/1/runs", json={}, headers=AUTH).json()["run_id"]
        assert c.get(f"/api/v1/runs/{run_id}", headers=AUTH).json()["status"] == "queued"
    with client_for(create_app(data, TOKEN, start_workers=False)) as c:
        status = c.get(f"/api/v1/runs/{run_id}", headers=AUTH).json()
        assert status["status"] == "failed" and status["message"] == ABANDONED


def test_a_stopped_run_keeps_its_best_solution_and_its_progress_was_streamed(
    tmp_path: Path,
) -> None:
    from peermatch.web import create_app

    with client_for(create_app(tmp_path / "data", TOKEN)) as c:
        c.post("/api/v1/programs", json={"name": "X"}, headers=AUTH)
        upload_example(c, 1)
        run_id = c.post("/api/v1/programs/1/runs", json={"time_limit": 300}, headers=AUTH).json()[
            "run_id"
        ]
        stopped: list[bool] = []

        def stop_once_there_is_a_cost(event: tuple[str, dict[str, Any]]) -> None:
            kind, data = event
            if kind == "progress" and data["objective"] is not None and not stopped:
                stopped.append(True)
                assert c.delete(f"/api/v1/runs/{run_id}", headers=AUTH).status_code == 200

        events = _events(c, run_id, stop_once_there_is_a_cost)
        statuses = [d["status"] for k, d in events if k == "progress"]
        assert statuses[0] in ("queued", "running") and "running" in statuses
        assert len({d["phase"] for k, d in events if k == "progress"}) > 1  # the phases moved on
        assert events[-1] == ("end", {"status": "cancelled"})
        status = c.get(f"/api/v1/runs/{run_id}", headers=AUTH).json()
        assert status["status"] == "cancelled" and status["has_solution"]
        assert status["elapsed"] < 300 and status["exit_code"] == 0
        cohorts = c.get(f"/api/v1/runs/{run_id}/cohorts", headers=AUTH).json()
        assert cohorts["revision"] == 0 and cohorts["cohorts"]


def test_a_repair_keeps_the_hand_moves_and_locks(board: Any) -> None:
    pid, target = allowed_move(board)
    made = board.post(
        "/api/v1/runs/1/moves", json={"participant_id": pid, "to_cohort": target}, headers=AUTH
    )
    assert made.status_code == 200
    other, other_target = allowed_move(board, skip={pid})
    board.post("/api/v1/runs/1/locks", json={"participant_id": other, "locked": True}, headers=AUTH)
    kept = placement(cohorts_of(board))[other]
    body = {"time_limit": 5, "deterministic": True}
    started = board.post("/api/v1/runs/1/repair", json=body, headers=AUTH)
    assert started.status_code == 202
    again = board.post("/api/v1/runs/1/repair", json=body, headers=AUTH)
    assert again.json() == started.json()  # not solved twice
    repair_id = started.json()["run_id"]
    status = wait_for(board, repair_id)
    assert status["status"] == "done", status
    assert status["kind"] == "repair" and status["parent_run"] == 1
    repaired = board.get(f"/api/v1/runs/{repair_id}/cohorts", headers=AUTH).json()
    where = {m: c["cohort_id"] for c in repaired["cohorts"] for m in c["members"]}
    assert where[pid] == target
    assert where[other] == kept
    archive = zipfile.ZipFile(
        io.BytesIO(board.get(f"/api/v1/runs/{repair_id}/export.zip", headers=AUTH).content)
    )
    assert "changes.csv" in archive.namelist()
    assert other_target  # the lock kept `other` where it was, though a move was allowed
