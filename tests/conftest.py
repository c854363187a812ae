"""Shared fixtures for the whole test suite (keep them general)."""

from __future__ import annotations

import importlib.util
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from peermatch.availability import parse_availability
from peermatch.graph import relationship_graph
from peermatch.model import Participant, ProblemData

REPO = Path(__file__).resolve().parents[1]

#: The workspace's fixtures (tests/web), kept in their own module.
pytest_plugins = ["webfixtures"]

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


def make_participant(pid: int | str, **fields: object) -> Participant:
    """A valid participant: the one factory the tests share.

    ``pid`` is the id, or a number giving ``p00``, ``p01``...; defaults are a
    name and email from the id, an organisation of its own (``Org <id>``) and
    level 2. ``availability`` may be given as text (``"Mon 09:00-12:00"``).
    """
    ident = f"p{pid:02d}" if isinstance(pid, int) else pid
    values: dict[str, object] = {
        "id": ident,
        "name": f"P {ident}",
        "email": f"{ident}@x.org",
        "organisation": f"Org {ident}",
        "level": 2,
    }
    if isinstance(fields.get("availability"), str):
        fields["availability"] = parse_availability(str(fields["availability"]))
    values.update(fields)
    return Participant(**values)  # type: ignore[arg-type]


def make_people(n: int, *, start: int = 0, **fields: object) -> tuple[Participant, ...]:
    """``n`` participants ``make_participant(start)``, ... with the same ``fields``."""
    return tuple(make_participant(i, **fields) for i in range(start, start + n))


def participant_links(problem: ProblemData) -> dict[tuple[str, str], tuple[str, ...]]:
    """Linked participant pairs ``(a, b)`` with ``a < b`` and their reasons, from the graph."""
    graph = relationship_graph(problem)
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for a, b, data in graph.edges(data=True):
        if graph.nodes[a]["kind"] == "participant" and graph.nodes[b]["kind"] == "participant":
            out[(a, b) if a < b else (b, a)] = data["reasons"]
    return dict(sorted(out.items()))


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


@pytest.fixture
def python_signal_defaults() -> Iterator[None]:
    """Start from Python's own SIGINT/SIGTERM dispositions, and put the test's back after it.

    Some earlier test of a full run leaves SIGINT ignored in the pytest process (not
    tracked down yet); a test of signal handling must not depend on what ran before it.
    """
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    for number, handler in saved.items():
        if handler is not None:
            signal.signal(number, handler)


def load_benchmark(name: str) -> ModuleType:
    """The script ``benchmarks/<name>.py`` as a module (the benchmarks are not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
