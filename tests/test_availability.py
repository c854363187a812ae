"""Availability texts: the contract's syntax, its errors, and round trips."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given

from peermatch.availability import (
    AvailabilityError,
    Window,
    format_availability,
    merge_windows,
    parse_availability,
    windows_contain,
)
from strategies import availability_texts, window_lists


def texts(windows: tuple[Window, ...]) -> list[str]:
    return [str(w) for w in windows]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon 09:00-12:00; Wed 14:00-17:00", ["Mon 09:00-12:00", "Wed 14:00-17:00"]),
        ("Mon-Wed 08:30-18:00", ["Mon 08:30-18:00", "Tue 08:30-18:00", "Wed 08:30-18:00"]),
        ("Sat-Mon 10:00-11:00", ["Mon 10:00-11:00", "Sat 10:00-11:00", "Sun 10:00-11:00"]),
        ("monday,Wednesday 9-17", ["Mon 09:00-17:00", "Wed 09:00-17:00"]),
        ("Tue 9:00 – 12:30 | Tue 12:00-13:00", ["Tue 09:00-13:00"]),
        ("Fri 18:00-24:00", ["Fri 18:00-24:00"]),
        ("Thu 10:00-11:00\nThu 11:00-12:00", ["Thu 10:00-12:00"]),  # touching windows merge
    ],
)
def test_parses_the_contract_syntax(text: str, expected: list[str]) -> None:
    assert texts(parse_availability(text)) == expected


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("Mon 12:00-09:00", "ends before it starts"),
        ("Mon 09:00-09:00", "ends before it starts"),
        ("Funday 09:00-12:00", "not a day of the week"),
        ("Mon 9am-5pm", "is not of the form"),
        ("Mon 25:00-26:00", "not a time of day"),
        ("Mon 09:75-10:00", "not a time of day"),
        ("09:00-12:00", "is not of the form"),
        ("   ", "empty"),
    ],
)
def test_rejects_malformed_and_reversed_windows(text: str, needle: str) -> None:
    with pytest.raises(AvailabilityError, match=needle):
        parse_availability(text)


def test_window_rejects_crossing_midnight() -> None:
    with pytest.raises(ValueError, match="within one day"):
        Window(day=0, start=1380, end=1500)


def test_windows_contain_needs_one_window_covering_the_interval() -> None:
    ws = parse_availability("Mon 09:00-12:00; Mon 13:00-17:00")
    assert windows_contain(ws, 0, 540, 720)
    assert not windows_contain(ws, 0, 660, 840)  # spans the lunch gap
    assert not windows_contain(ws, 1, 540, 600)


@given(window_lists)
def test_format_then_parse_gives_the_merged_windows(ws: list[Window]) -> None:
    assert parse_availability(format_availability(ws)) == merge_windows(ws)


@given(availability_texts())
def test_parse_format_parse_is_stable(text: str) -> None:
    parsed = parse_availability(text)
    assert parse_availability(format_availability(parsed)) == parsed


@given(window_lists)
def test_merged_windows_are_sorted_and_disjoint(ws: list[Window]) -> None:
    merged = merge_windows(ws)
    for a, b in itertools.pairwise(merged):
        assert (a.day, a.start) < (b.day, b.start)
        assert a.day < b.day or a.end < b.start
