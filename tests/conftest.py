"""Shared fixtures for the whole test suite (keep them general)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: A valid participants.csv header, in the contract's column names.
PARTICIPANT_HEADER = (
    "id,name,email,organisation,level,industry,function,manager_id,timezone,availability"
)


def participant_lines(n: int, *, orgs: int | None = None, level: int | str = 2) -> list[str]:
    """``n`` valid participants.csv data lines (one organisation each unless ``orgs`` is given)."""
    orgs = orgs or n
    return [
        f"p{i},Person {i},p{i}@example.org,Org {i % orgs},{level},Industry {i % 3},"
        f"Function {i % 4},,Europe/London,Mon-Fri 09:00-17:00"
        for i in range(n)
    ]


@pytest.fixture
def examples_dir() -> Path:
    """The example program shipped in data/examples."""
    return REPO / "data" / "examples"


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a file into ``tmp_path`` and return its path.

    ``write_file("p.csv", "id,name\\n...")`` writes UTF-8 text; pass ``bytes``
    to write raw bytes, or a list of lines to join them with newlines.
    """

    def write(name: str, content: str | bytes | list[str]) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, list):
            content = "\n".join(content) + "\n"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write
