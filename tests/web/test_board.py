"""The board of a finished run: cohorts, move checks, moves as revisions, undo/redo, locks, export."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

from webhelpers import AUTH, EXAMPLES, RUN, allowed_move, check, cohorts_of, history_pair, placement


def test_the_cohorts_of_the_run_place_everyone_once(board: Any) -> None:
    cohorts = cohorts_of(board)
    assert cohorts["revision"] == 0
    placed = [m for c in cohorts["cohorts"] for m in c["members"]]
    people = (EXAMPLES / "participants.csv").read_text(encoding="utf-8").strip().count("\n")
    assert len(placed) == len(set(placed)) == people - len(cohorts["unassigned"])
    assert all(c["slot"] and c["facilitator_id"] for c in cohorts["cohorts"])


def test_a_move_into_a_cohort_with_a_history_pair_is_refused_naming_the_rule_and_both(
    board: Any,
) -> None:
    a, b = history_pair(board)
    target = placement(cohorts_of(board))[b]
    checked = check(board, a, target)
    assert not checked["allowed"]
    neutral = [v for v in checked["violations"] if v["rule"] == "neutrality"]
    assert neutral and {a, b} <= set(neutral[0]["people"])
    assert a in neutral[0]["message"] and b in neutral[0]["message"]
    refused = board.post(
        f"{RUN}/moves", json={"participant_id": a, "to_cohort": target}, headers=AUTH
    )
    assert refused.status_code == 409
    assert refused.json()["violations"] == checked["violations"]
    assert cohorts_of(board)["revision"] == 0  # nothing changed
    assert placement(cohorts_of(board))[a] != target


def test_a_forced_move_is_made_and_records_what_it_breaks(board: Any) -> None:
    a, b = history_pair(board)
    target = placement(cohorts_of(board))[b]
    forced = board.post(
        f"{RUN}/moves", json={"participant_id": a, "to_cohort": target, "force": True}, headers=AUTH
    )
    assert forced.status_code == 200
    assert forced.json()["revision"] == 1
    assert forced.json()["move"]["forced"] is True
    assert any(v["rule"] == "neutrality" for v in forced.json()["violations"])
    assert placement(cohorts_of(board))[a] == target


def test_an_allowed_move_makes_a_revision_and_undo_redo_walk_them(board: Any) -> None:
    before = cohorts_of(board)
    pid, target = allowed_move(board)
    checked = check(board, pid, target)
    made = board.post(
        f"{RUN}/moves", json={"participant_id": pid, "to_cohort": target}, headers=AUTH
    )
    assert made.status_code == 200
    assert made.json()["revision"] == 1
    assert made.json()["objective_delta"] == checked["objective_delta"]
    after = cohorts_of(board)
    assert after["revision"] == 1 and placement(after)[pid] == target
    undone = board.post(f"{RUN}/undo", headers=AUTH)
    assert undone.status_code == 200 and undone.json()["revision"] == 0
    assert cohorts_of(board) == before
    assert board.post(f"{RUN}/undo", headers=AUTH).status_code == 409  # the run's own cohorts
    redone = board.post(f"{RUN}/redo", headers=AUTH)
    assert redone.status_code == 200 and redone.json()["revision"] == 1
    assert cohorts_of(board) == after
    assert board.post(f"{RUN}/redo", headers=AUTH).status_code == 409


def test_a_new_move_after_undo_drops_what_was_undone(board: Any) -> None:
    pid, target = allowed_move(board)
    board.post(f"{RUN}/moves", json={"participant_id": pid, "to_cohort": target}, headers=AUTH)
    board.post(f"{RUN}/undo", headers=AUTH)
    made = board.post(f"{RUN}/moves", json={"participant_id": pid, "to_cohort": None}, headers=AUTH)
    if made.status_code == 409:  # taking them out breaks their cohort's size: force it
        made = board.post(
            f"{RUN}/moves",
            json={"participant_id": pid, "to_cohort": None, "force": True},
            headers=AUTH,
        )
    assert made.json()["revision"] == 1
    assert pid in cohorts_of(board)["unassigned"]
    assert board.post(f"{RUN}/redo", headers=AUTH).status_code == 409
    page = board.get(f"{RUN}/board", headers=AUTH).json()
    assert page["can_undo"] and not page["can_redo"]
    assert [u["reason"] for u in page["unassigned"] if u["id"] == pid] == [
        "taken out of their cohort by hand"
    ]


def test_unknown_people_and_cohorts_are_404(board: Any) -> None:
    cohort = cohorts_of(board)["cohorts"][0]
    body = {"participant_id": "NOBODY", "to_cohort": cohort["cohort_id"]}
    assert board.post(f"{RUN}/moves/check", json=body, headers=AUTH).status_code == 404
    body = {"participant_id": cohort["members"][0], "to_cohort": "C999"}
    assert board.post(f"{RUN}/moves", json=body, headers=AUTH).status_code == 404
    assert board.get("/api/v1/runs/42/cohorts", headers=AUTH).status_code == 404


def test_locks_keep_members_and_cohorts_in_place(board: Any) -> None:
    pid, target = allowed_move(board)
    locked = board.post(f"{RUN}/locks", json={"participant_id": pid, "locked": True}, headers=AUTH)
    assert locked.status_code == 200 and locked.json()["members"] == [pid]
    checked = check(board, pid, target)
    assert not checked["allowed"]
    assert [v["rule"] for v in checked["violations"]] == ["lock"]
    board.post(f"{RUN}/locks", json={"participant_id": pid, "locked": False}, headers=AUTH)
    assert check(board, pid, target)["allowed"]
    board.post(f"{RUN}/locks", json={"cohort_id": target, "locked": True}, headers=AUTH)
    checked = check(board, pid, target)
    assert [v["rule"] for v in checked["violations"]] == ["lock"]
    assert target in checked["violations"][0]["message"]
    page = board.get(f"{RUN}/board", params={"q": target}, headers=AUTH).json()
    assert any(c["cohort_id"] == target and c["locked"] for c in page["cohorts"])
    bad = board.post(
        f"{RUN}/locks", json={"participant_id": pid, "cohort_id": target}, headers=AUTH
    )
    assert bad.status_code == 422


def test_the_board_is_paged_and_filtered(board: Any) -> None:
    everything = board.get(f"{RUN}/board", params={"limit": 500}, headers=AUTH).json()
    total = everything["total"]
    assert total == len(cohorts_of(board)["cohorts"]) == len(everything["cohorts"])
    page = board.get(f"{RUN}/board", params={"offset": 2, "limit": 3}, headers=AUTH).json()
    assert [c["cohort_id"] for c in page["cohorts"]] == [
        c["cohort_id"] for c in everything["cohorts"][2:5]
    ]
    member = everything["cohorts"][4]["members"][0]
    assert member["name"] and member["organisation"] and member["level"] and member["local_time"]
    found = board.get(f"{RUN}/board", params={"q": member["name"].upper()}, headers=AUTH).json()
    assert everything["cohorts"][4]["cohort_id"] in [c["cohort_id"] for c in found["cohorts"]]
    assert found["total"] < total
    card = everything["cohorts"][0]
    assert card["slot"] and card["facilitator"]


def _zipcohorts_of(answer: Any) -> dict[str, list[str]]:
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    rows = csv.DictReader(io.StringIO(archive.read("cohorts.csv").decode("utf-8-sig")))
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["cohort_id"], []).append(row["participant_id"])
    return out


def test_export_zip_holds_the_current_revision(board: Any) -> None:
    pid, target = allowed_move(board)
    board.post(f"{RUN}/moves", json={"participant_id": pid, "to_cohort": target}, headers=AUTH)
    answer = board.get(f"{RUN}/export.zip", headers=AUTH)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert {"cohorts.csv", "sessions.csv", "report.html", "summary.json", "run.json"} <= set(names)
    exported = _zipcohorts_of(answer)
    shown = {c["cohort_id"]: c["members"] for c in cohorts_of(board)["cohorts"]}
    assert {k: sorted(v) for k, v in exported.items()} == {k: sorted(v) for k, v in shown.items()}
    assert pid in exported[target]
    # Undo: the export follows the board back.
    board.post(f"{RUN}/undo", headers=AUTH)
    assert pid not in _zipcohorts_of(board.get(f"{RUN}/export.zip", headers=AUTH))[target]


def test_the_report_is_the_current_revisions_and_runs_no_script(board: Any) -> None:
    answer = board.get(f"{RUN}/report", headers=AUTH)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy and "sandbox" in policy
    assert "<html" in answer.text.lower()


def test_revisions_survive_a_new_app_on_the_same_data(board: Any) -> None:
    from peermatch.web import create_app
    from webhelpers import TOKEN, client_for

    pid, target = allowed_move(board)
    board.post(f"{RUN}/moves", json={"participant_id": pid, "to_cohort": target}, headers=AUTH)
    before = cohorts_of(board)
    data: Path = board.app.state.data_dir
    with client_for(create_app(data, TOKEN, start_workers=False)) as again:
        assert cohorts_of(again) == before
