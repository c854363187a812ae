"""Seniority levels: integers (1 = most junior) or titles on a ladder.

A program's ``[cohort] levels`` list (junior to senior) replaces the built-in
ladder of common titles below. Titles are matched case-insensitively, ignoring
punctuation and repeated spaces.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

__all__ = ["DEFAULT_LADDER", "LevelError", "resolve_level"]

#: The built-in ladder, junior to senior: each rung lists the titles that mean it.
DEFAULT_LADDER: tuple[tuple[str, ...], ...] = (
    ("Team Lead", "Team Leader", "Supervisor", "Coordinator", "Lead"),
    ("Manager", "Line Manager", "Project Manager", "Product Manager"),
    ("Senior Manager", "Sr Manager", "Principal", "Group Manager"),
    ("Director", "Head", "Head of Department", "Associate Director"),
    ("Senior Director", "Sr Director", "Executive Director"),
    ("Vice President", "VP"),
    ("Senior Vice President", "SVP", "Executive Vice President", "EVP"),
    (
        "C-level",
        "Chief",
        "CEO",
        "CFO",
        "COO",
        "CTO",
        "CIO",
        "CHRO",
        "CMO",
        "Managing Director",
        "President",
        "Partner",
    ),
)


class LevelError(ValueError):
    """A level that is neither a valid integer nor a title on the ladder."""


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def resolve_level(value: str | int, ladder: Sequence[str] | None = None) -> tuple[int, str]:
    """Turn a level cell into ``(rank, label)``, rank 1 being the most junior.

    Parameters
    ----------
    value
        An integer (or its text) or a title.
    ladder
        The program's ladder, junior to senior; ``None`` uses :data:`DEFAULT_LADDER`.

    Raises
    ------
    LevelError
        When the value is not a positive integer within the ladder or a known title.

    Examples
    --------
    >>> resolve_level("Senior manager")
    (3, 'Senior Manager')
    >>> resolve_level(2, ["Manager", "Director"])
    (2, 'Director')
    """
    # Cached: 100,000 rows name a dozen distinct levels, and the title match was a third
    # of reading them. A pure function of the text and the ladder (errors are not cached).
    return _resolve(str(value), tuple(ladder) if ladder else None)


@functools.lru_cache(maxsize=4096)
def _resolve(value: str, ladder: tuple[str, ...] | None) -> tuple[int, str]:
    rungs: list[tuple[str, ...]] = (
        [(title,) for title in ladder] if ladder else [tuple(r) for r in DEFAULT_LADDER]
    )
    text = value.strip()
    if re.fullmatch(r"[+]?\d+", text):
        rank = int(text)
        if rank < 1 or (ladder and rank > len(rungs)):
            limit = f"1..{len(rungs)}" if ladder else "1 or more"
            raise LevelError(f"level {rank} is outside the ladder ({limit})")
        label = rungs[rank - 1][0] if rank <= len(rungs) else str(rank)
        return rank, label
    if not text:
        raise LevelError("level is empty")
    key = _key(text)
    for rank, titles in enumerate(rungs, start=1):
        if any(_key(t) == key for t in titles):
            return rank, titles[0]
    known = ", ".join(r[0] for r in rungs)
    raise LevelError(f"unknown level title '{text}' (the ladder is: {known}; or use an integer)")
