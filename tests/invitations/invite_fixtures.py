"""Fixtures of the ``invite`` tests: the small program run once, a real SMTP server (aiosmtpd).

They live here, not in a ``conftest.py``: other tests import helpers ``from
conftest``, and a second conftest module in this folder would shadow theirs.
Each test module loads this one with ``pytest_plugins = ["invite_fixtures"]``.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from invite_helpers import Recorder, invoke, write_inputs


@pytest.fixture(scope="session")
def program_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One deterministic ``peermatch run`` of the small program (3 cohorts, F1 leads two)."""
    base = tmp_path_factory.mktemp("invite-program")
    inputs = write_inputs(base / "inputs")
    out = base / "out"
    invoke("run", *inputs, "--out", out, "--deterministic", "--time-limit", 10, "-q")
    return out


@pytest.fixture
def folder(program_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the run's folder (its own ledger), under a fixed clock."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")  # 2027-01-01T00:00:00Z
    target = tmp_path / "out"
    shutil.copytree(program_run, target)
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Recorder, str]]]:
    """Start a real SMTP server on 127.0.0.1: ``start(accept=k)`` -> (recorder, "127.0.0.1:PORT")."""
    started: list[Controller] = []

    def start(accept: int | None = None) -> tuple[Recorder, str]:
        recorder = Recorder(accept)
        port = _free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return recorder, f"127.0.0.1:{port}"

    yield start
    for controller in started:
        controller.stop()
