"""Every package's ``__init__`` docstring is a true map: it names each of its modules and subpackages."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import pytest

import peermatch

SRC = Path(peermatch.__file__).resolve().parent
PACKAGES = sorted(p.parent for p in SRC.rglob("__init__.py"))


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: str(p.relative_to(SRC.parent)))
def test_the_package_docstring_names_every_module(package: Path) -> None:
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert doc, f"{package} has no docstring"
    words = set(doc.replace(".", " ").replace(",", " ").replace("`", " ").replace(":", " ").split())
    inside = [m.name for m in pkgutil.iter_modules([str(package)]) if m.name != "__main__"]
    missing = [name for name in inside if name not in words]
    assert missing == [], f"{package.name}/__init__.py does not map {missing}"
