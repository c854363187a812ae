"""Levels: integers or titles on the built-in or the program's ladder."""

from __future__ import annotations

import pytest

from peermatch.levels import DEFAULT_LADDER, LevelError, resolve_level


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Senior manager", (3, "Senior Manager")),
        ("  VP ", (6, "Vice President")),
        ("sr. manager", (3, "Senior Manager")),
        ("head-of-department", (4, "Director")),
        ("2", (2, "Manager")),
        (1, (1, "Team Lead")),
        ("12", (12, "12")),  # integers above the built-in ladder are still ranks
    ],
)
def test_default_ladder(value: str | int, expected: tuple[int, str]) -> None:
    assert resolve_level(value) == expected


def test_program_ladder_replaces_the_default() -> None:
    ladder = ["Associate", "Lead", "Principal"]
    assert resolve_level("principal", ladder) == (3, "Principal")
    assert resolve_level("2", ladder) == (2, "Lead")
    with pytest.raises(LevelError, match="unknown level title 'Manager'"):
        resolve_level("Manager", ladder)
    with pytest.raises(LevelError, match="outside the ladder"):
        resolve_level("4", ladder)


@pytest.mark.parametrize("value", ["0", "-1", "", "Wizard", "2.5"])
def test_rejects_unknown_levels(value: str) -> None:
    with pytest.raises(LevelError):
        resolve_level(value)


def test_every_default_title_resolves_to_its_rung() -> None:
    for rank, titles in enumerate(DEFAULT_LADDER, start=1):
        for title in titles:
            assert resolve_level(title)[0] == rank, title
