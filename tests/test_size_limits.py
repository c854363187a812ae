"""The house's size limits: no function over 100 lines, no module over 800 (model.py may stay).

Measured with ``ast`` (a function from its ``def`` or first decorator to its
last line, docstring included), so that a long function is found however it
is formatted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import peermatch

SRC = Path(peermatch.__file__).resolve().parent
MODULES = sorted(SRC.rglob("*.py"))
MAX_FUNCTION, MAX_MODULE = 100, 800
#: The cohesive domain model is allowed to be long (issue 24).
LONG_MODULES_ALLOWED = {"model.py"}
#: Being rewritten on the search branch (one search loop, issue 24): it goes with that work.
LONG_FUNCTIONS_ALLOWED = {"solvers/cpsat/parallel_lns.py:_rounds"}


def _long_functions(path: Path, root: Path = SRC) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > MAX_FUNCTION and f"{path.relative_to(root)}:{node.name}" not in (
                LONG_FUNCTIONS_ALLOWED
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_is_over_100_lines() -> None:
    assert [f for path in MODULES for f in _long_functions(path)] == []


def test_no_module_is_over_800_lines() -> None:
    long = [
        f"{path.relative_to(SRC)} ({n} lines)"
        for path in MODULES
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE
        and str(path.relative_to(SRC)) not in LONG_MODULES_ALLOWED
    ]
    assert long == []


def test_the_function_check_finds_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(100))
    probe = tmp_path / "probe.py"
    probe.write_text(f"@decorated\ndef long():\n{body}\n\n\ndef short():\n    pass\n")
    assert _long_functions(probe, tmp_path) == ["probe.py:2 long (102 lines)"]
