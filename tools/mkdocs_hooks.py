"""MkDocs hooks for the manual: Sphinx cross-reference roles in docstrings.

The docstrings use Sphinx roles (``:func:`solve```, ``:class:`~peermatch.Result```),
which mkdocstrings renders as the role's name before a code span. This hook
drops the role, shortens ``~dotted.Name`` to ``Name`` as Sphinx does, and links
the name to its entry in the API reference when it documents a public name
(``docs/api/*.md`` holds one ``::: peermatch.NAME`` directive per public name).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROLE = re.compile(
    r":(?:func|class|mod|meth|attr|data|exc|obj|py:\w+):<code>(~?)([\w.]+)(\(\))?</code>"
)
DIRECTIVE = re.compile(r"^::: peermatch\.(\w+)\s*$", re.M)


def _reference(docs_dir: Path) -> dict[str, str]:
    """Each spelling of a public name (``Result``, ``peermatch.Result``,
    ``peermatch.solution.Result``) -> its entry in the API reference."""
    try:
        import peermatch
    except ImportError:  # not installed: link the short spellings only
        peermatch = None  # type: ignore[assignment]

    entries: dict[str, str] = {}
    for page in sorted((docs_dir / "api").glob("*.md")):
        for name in DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            entry = f"api/{page.stem}/#peermatch.{name}"
            home = getattr(getattr(peermatch, name, None), "__module__", "peermatch")
            for spelling in (name, f"peermatch.{name}", f"{home}.{name}"):
                entries[spelling] = entry
    return entries


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Replace every role with a code span, linked where the name is documented."""
    reference = _reference(Path(config["docs_dir"]))
    depth = page.url.count("/")
    to_root = "../" * depth

    def replace(match: re.Match[str]) -> str:
        tilde, target, call = match.groups()
        shown = target.rsplit(".", 1)[-1] if tilde else target
        shown += call or ""
        if target in reference:
            return f'<a href="{to_root}{reference[target]}"><code>{shown}</code></a>'
        return f"<code>{shown}</code>"

    return ROLE.sub(replace, html)
