"""The public surface: sorted, importable ``__all__`` everywhere, OR-Tools kept in one package."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import peermatch

SRC = Path(peermatch.__file__).resolve().parent
# Private modules (leading underscore) and the entry point need no __all__.
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages([str(SRC)], prefix="peermatch.")
    if not any(part.startswith("_") for part in m.name.split(".")[1:])
)


def test_top_level_all_is_sorted_and_importable() -> None:
    assert peermatch.__all__ == sorted(peermatch.__all__)
    assert len(set(peermatch.__all__)) == len(peermatch.__all__)
    for name in peermatch.__all__:
        assert getattr(peermatch, name, None) is not None, name
    namespace: dict[str, object] = {}
    exec("from peermatch import *", namespace)
    assert set(peermatch.__all__) <= set(namespace)


def test_the_engine_modules_are_found() -> None:
    for name in ("peermatch.schedule", "peermatch.slots", "peermatch.solvers.cpsat.solving"):
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_every_public_module_defines_a_true_all(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert isinstance(exported, list | tuple)
    missing = [n for n in exported if not hasattr(module, n)]
    assert missing == [], f"{name}.__all__ names what it does not define: {missing}"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_ortools_is_imported_only_by_the_cpsat_package() -> None:
    cpsat = SRC / "solvers" / "cpsat"
    offenders = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if cpsat not in path.parents
        and any(m == "ortools" or m.startswith("ortools.") for m in _imports(path))
    ]
    assert offenders == []
    # The scan itself works: the back end does import it.
    assert any("ortools" in m for m in _imports(cpsat / "solving.py"))
