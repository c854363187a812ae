"""Programs and their input tables: upload, the readers' problems (422), templates, storage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from webhelpers import AUTH, EXAMPLES, upload_example

HEADER = "id,name,email,organisation,level,timezone,availability"


def _program(client: Any, name: str = "Leadership Circles") -> int:
    answer = client.post("/api/v1/programs", json={"name": name}, headers=AUTH)
    assert answer.status_code == 201
    program_id: int = answer.json()["id"]
    return program_id


def _put(client: Any, program_id: int, table: str, body: bytes, **headers: str) -> Any:
    return client.put(
        f"/api/v1/programs/{program_id}/inputs/{table}", content=body, headers={**AUTH, **headers}
    )


def test_programs_are_created_listed_and_described(client: Any) -> None:
    first, second = _program(client, "First"), _program(client, "Second")
    assert second != first
    listed = client.get("/api/v1/programs", headers=AUTH).json()
    assert [p["name"] for p in listed] == ["Second", "First"]
    detail = client.get(f"/api/v1/programs/{first}", headers=AUTH).json()
    assert detail["name"] == "First" and detail["inputs"] == {} and detail["runs"] == []
    assert client.get("/api/v1/programs/999", headers=AUTH).status_code == 404


def test_a_program_needs_a_name(client: Any) -> None:
    assert client.post("/api/v1/programs", json={"name": ""}, headers=AUTH).status_code == 422
    assert client.post("/api/v1/programs", json={}, headers=AUTH).status_code == 422


def test_the_example_program_is_accepted_table_by_table(client: Any) -> None:
    program_id = _program(client)
    upload_example(client, program_id)
    detail = client.get(f"/api/v1/programs/{program_id}", headers=AUTH).json()
    rows = {name: table["rows"] for name, table in detail["inputs"].items()}
    people = (EXAMPLES / "participants.csv").read_text(encoding="utf-8").strip().count("\n")
    assert rows["participants"] == people
    assert rows["config"] is None
    assert all(not t["problems"] for t in detail["inputs"].values())
    assert detail["config_toml"] == (EXAMPLES / "program.toml").read_text(encoding="utf-8")


def test_a_broken_file_gets_422_with_file_row_column_and_message(client: Any) -> None:
    program_id = _program(client)
    body = "\n".join(
        [
            HEADER,
            "P1,Ann Lee,ann@a.example,Org A,2,Europe/London,Mon-Fri 09:00-17:00",
            "P2,Bo Chan,,Org B,2,Europe/London,Mon-Fri 09:00-17:00",
            "P3,Cy Ode,cy@c.example,Org C,2,Mars/Olympus,Mon-Fri 09:00-17:00",
        ]
    ).encode()
    answer = _put(client, program_id, "participants", body)
    assert answer.status_code == 422
    problems = answer.json()["problems"]
    where = {(p["file"], p["row"], p["column"]) for p in problems}
    assert ("participants.csv", 3, "email") in where
    assert ("participants.csv", 4, "timezone") in where
    assert all(p["message"] for p in problems)
    # The program shows the same problems until a good file replaces the bad one.
    shown = client.get(f"/api/v1/programs/{program_id}", headers=AUTH).json()["inputs"]
    assert shown["participants"]["problems"] == problems
    started = client.post(f"/api/v1/programs/{program_id}/runs", json={}, headers=AUTH)
    assert started.status_code == 422
    assert started.json()["problems"]
    fixed = _put(client, program_id, "participants", (EXAMPLES / "participants.csv").read_bytes())
    assert fixed.status_code == 200
    shown = client.get(f"/api/v1/programs/{program_id}", headers=AUTH).json()["inputs"]
    assert shown["participants"]["problems"] == []


def test_references_across_tables_are_checked_again_when_a_table_arrives(client: Any) -> None:
    program_id = _program(client)
    ok = _put(client, program_id, "participants", (EXAMPLES / "participants.csv").read_bytes())
    assert ok.status_code == 200
    # history.csv names facilitator F02, unknown until facilitators.csv is there.
    early = _put(client, program_id, "history", (EXAMPLES / "history.csv").read_bytes())
    assert early.status_code == 422
    assert any("F02" in p["message"] for p in early.json()["problems"])
    hosts = _put(client, program_id, "facilitators", (EXAMPLES / "facilitators.csv").read_bytes())
    assert hosts.status_code == 200
    shown = client.get(f"/api/v1/programs/{program_id}", headers=AUTH).json()["inputs"]
    assert shown["history"]["problems"] == []


def test_a_bad_config_names_program_toml(client: Any) -> None:
    program_id = _program(client)
    _put(client, program_id, "participants", (EXAMPLES / "participants.csv").read_bytes())
    answer = _put(client, program_id, "config", b"[cohort]\nmin_size = 'seven'\n")
    assert answer.status_code == 422
    assert {p["file"] for p in answer.json()["problems"]} == {"program.toml"}


def test_uploads_are_stored_under_the_servers_names_only(client: Any) -> None:
    program_id = _program(client)
    answer = _put(
        client,
        program_id,
        "participants",
        (EXAMPLES / "participants.csv").read_bytes(),
        **{"Content-Disposition": 'attachment; filename="../../../evil.sh"'},
    )
    assert answer.status_code == 200
    data: Path = client.app.state.data_dir
    names = sorted(p.name for p in data.rglob("*") if p.is_file())
    assert "evil.sh" not in names
    stored = data / "programs" / str(program_id) / "inputs"
    assert sorted(p.name for p in stored.iterdir()) == ["participants.csv"]


def test_an_unknown_table_or_program_is_404(client: Any) -> None:
    program_id = _program(client)
    assert _put(client, program_id, "secrets", b"x").status_code == 404
    assert _put(client, 999, "participants", b"x").status_code == 404


def test_a_template_is_the_tables_header(client: Any) -> None:
    program_id = _program(client)
    answer = client.get(f"/api/v1/programs/{program_id}/inputs/participants/template", headers=AUTH)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    header = answer.text.splitlines()[0].split(",")
    assert header[:5] == ["id", "name", "email", "organisation", "level"]
    history = client.get(f"/api/v1/programs/{program_id}/inputs/history/template", headers=AUTH)
    assert history.text.splitlines() == ["person_a,person_b,relation"]


def test_the_stored_file_is_given_back(client: Any) -> None:
    program_id = _program(client)
    body = (EXAMPLES / "participants.csv").read_bytes()
    _put(client, program_id, "participants", body)
    answer = client.get(f"/api/v1/programs/{program_id}/inputs/participants", headers=AUTH)
    assert answer.content == body


def _workbook(text: str) -> bytes:
    import csv
    import io

    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(text)):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_is_read_like_its_csv(client: Any) -> None:
    program_id = _program(client)
    text = (EXAMPLES / "participants.csv").read_text(encoding="utf-8")
    answer = _put(client, program_id, "participants", _workbook(text))
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == text.strip().count("\n")
    stored = client.app.state.data_dir / "programs" / str(program_id) / "inputs"
    assert sorted(p.name for p in stored.iterdir()) == ["participants.xlsx"]
    # A CSV replacing it replaces the stored workbook.
    _put(client, program_id, "participants", text.encode())
    assert sorted(p.name for p in stored.iterdir()) == ["participants.csv"]


def test_a_broken_workbook_names_its_row_and_column(client: Any) -> None:
    program_id = _program(client)
    text = "\n".join(
        [
            HEADER,
            "P1,Ann Lee,ann@a.example,Org A,2,Europe/London,Mon-Fri 09:00-17:00",
            "P2,Bo Chan,,Org B,2,Europe/London,Mon-Fri 09:00-17:00",
        ]
    )
    answer = _put(client, program_id, "participants", _workbook(text))
    assert answer.status_code == 422
    where = {(p["file"], p["row"], p["column"]) for p in answer.json()["problems"]}
    # The file and its sheet, as the library names them.
    assert ("participants.xlsx#Sheet", 3, "email") in where
