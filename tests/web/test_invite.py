"""Invitations from the board, through a real SMTP server (aiosmtpd) and as .eml files."""

from __future__ import annotations

import io
import socket
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from webhelpers import AUTH, RUN, allowed_move, cohorts_of, placement

aiosmtpd = pytest.importorskip("aiosmtpd.controller")

SENDER = "Programme Office <office@example.org>"


class Recorder:
    """An SMTP handler that accepts and keeps every message."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    recorder = Recorder()
    controller = aiosmtpd.Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()


def _invite(board: Any, port: int | None, **extra: Any) -> Any:
    body: dict[str, Any] = {"from": SENDER, **extra}
    if port is not None:
        body["smtp"] = {"host": "127.0.0.1", "port": port, "security": "none"}
    return board.post(f"{RUN}/invite", json=body, headers=AUTH)


def test_a_dry_run_plans_and_sends_nothing(board: Any, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    answer = _invite(board, port, dry_run=True)
    assert answer.status_code == 200, answer.text
    assert answer.json()["delivery"] == "dry-run"
    assert answer.json()["planned"] and answer.json()["sent"] == []
    assert recorder.messages == []


def test_invitations_go_out_once_and_after_a_move_only_what_changed(
    board: Any, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    first = _invite(board, port)
    assert first.status_code == 200, first.text
    sent = first.json()["sent"]
    assert sent and len(recorder.messages) == len(sent)
    everyone = {m["recipient"] for m in sent}
    assert len(everyone) > 100  # every participant (and facilitator) of the example
    # Nothing changed: nothing is sent again.
    again = _invite(board, port)
    assert again.json()["sent"] == [] and len(recorder.messages) == len(sent)
    # A hand move: the next invitations concern the two cohorts only.
    pid, target = allowed_move(board)
    source = placement(cohorts_of(board))[pid]
    board.post(f"{RUN}/moves", json={"participant_id": pid, "to_cohort": target}, headers=AUTH)
    after = _invite(board, port)
    assert after.status_code == 200
    changed = after.json()["sent"]
    assert changed and {m["cohort_id"] for m in changed} <= {source, target}
    moved = [m for m in changed if m["recipient"] in _emails_of(board, pid)]
    assert {(m["cohort_id"], m["method"]) for m in moved} == {
        (source, "CANCEL"),
        (target, "REQUEST"),
    }


def _emails_of(board: Any, pid: str) -> set[str]:
    from peermatch.web.moves import RunState

    state = RunState(board.app.state.data_dir / "runs" / "1" / "out")
    return {state.problem.participants[state.problem.index[pid]].email}


def test_without_a_mail_server_the_messages_are_eml_files(board: Any) -> None:
    answer = _invite(board, None)
    assert answer.status_code == 200
    assert answer.json()["delivery"] == "eml"
    archive = zipfile.ZipFile(io.BytesIO(board.get(f"{RUN}/invitations.zip", headers=AUTH).content))
    names = [n for n in archive.namelist() if n.endswith(".eml")]
    assert len(names) == len(answer.json()["sent"]) > 0


def test_a_bad_sender_is_422_and_sends_nothing(board: Any, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    answer = board.post(
        f"{RUN}/invite",
        json={
            "from": "not an address",
            "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
        },
        headers=AUTH,
    )
    assert answer.status_code == 422
    assert answer.json()["detail"]
    assert recorder.messages == []
