"""The formula-injection rule of every CSV peermatch writes (peermatch.io.safecsv)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peermatch.io.csvfile import Column, read_csv
from peermatch.io.safecsv import (
    DictWriter,
    Writer,
    csv_bytes,
    is_plain_number,
    neutralise,
    restore,
)

#: What a spreadsheet may run when a cell starts with it (OWASP, plus NUL from ASVS 1.2.10).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "@SUM(A1:A9) Holdings",
    "+1 555 0100 call me",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "'=already quoted",
    "''@twice",
    "-",
    "+",
    "=",
]


def dangerous(cell: str) -> bool:
    """Whether a spreadsheet could read ``cell`` as a formula (our independent statement of the rule)."""
    body = cell.lstrip(" ")
    if not body or body[0] not in TRIGGERS:
        return False
    try:
        float(cell)
    except ValueError:
        return True
    # float() also accepts "-inf", "+nan", "1_000" and surrounding spaces: those are no plain numbers.
    return not all(ch in "0123456789+-.eE" for ch in cell)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_cells_get_a_quote_and_come_back(value: str) -> None:
    cell = neutralise(value)
    assert cell == "'" + value
    assert not dangerous(cell)
    assert restore(cell) == value


@pytest.mark.parametrize("value", ["-3", "+1.5", "-0.25", "-.5", "+7.", "-2.5e-3", "12", "1E+9"])
def test_plain_numbers_stay_numbers(value: str) -> None:
    assert is_plain_number(value)
    assert neutralise(value) == value
    assert restore(value) == value


@pytest.mark.parametrize(
    "value", ["-3 ", " -3", "-3,5", "-1_000", "-inf", "+nan", "-٣", "--3", "-3e"]
)
def test_almost_numbers_are_text(value: str) -> None:
    assert not is_plain_number(value)
    assert neutralise(value).startswith("'")


@pytest.mark.parametrize(
    "value", ["Ann", "2027-01-11T09:00:00+00:00", "O'Brien", "'quoted'", "a=b", "x-1", ""]
)
def test_harmless_text_is_untouched(value: str) -> None:
    assert neutralise(value) == value
    assert restore(value) == value


def test_typed_values() -> None:
    assert neutralise(None) == ""
    assert neutralise(-3) == "-3"
    assert neutralise(-2.5) == "-2.5"
    assert neutralise(float("-inf")) == "-inf"  # a float by type is a number, never a formula
    assert neutralise(True) == "True"


@settings(max_examples=300)
@given(st.text())
def test_every_string_is_safe_and_round_trips(value: str) -> None:
    cell = neutralise(value)
    assert not dangerous(cell), repr(cell)
    assert restore(cell) == value


@settings(max_examples=200)
@given(st.text(alphabet="'=+-@ \t\r0123456789.eE", max_size=8))
def test_the_trigger_alphabet_round_trips(value: str) -> None:
    cell = neutralise(value)
    assert not dangerous(cell), repr(cell)
    assert restore(cell) == value


@settings(max_examples=100)
@given(st.lists(st.lists(st.text(), min_size=2, max_size=4), max_size=5))
def test_csv_bytes_reads_back_with_the_csv_module(rows: list[list[str]]) -> None:
    header = ["=a", "b", "c0", "c1"]
    rows = [[*r, "", "", ""][:4] for r in rows]
    data = csv_bytes(header, rows)
    read = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert read[0][0] == "'=a"
    for row in read:
        assert not any(dangerous(cell) for cell in row), row
    assert [[restore(c) for c in row] for row in read[1:]] == rows


def test_writers_neutralise_every_row(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = Writer(fh)
        w.writerow(["id", "@name"])
        w.writerows([["=1", -3], ["-x", None]])
    assert path.read_text(encoding="utf-8") == "id,'@name\n'=1,-3\n'-x,\n"
    path = tmp_path / "d.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        d = DictWriter(fh, fieldnames=["+k", "v"], lineterminator="\n")
        d.writeheader()
        d.writerow({"+k": "@x", "v": -1.5})
    assert path.read_text(encoding="utf-8") == "'+k,v\n'@x,-1.5\n"


def test_the_reader_undoes_the_rule(tmp_path: Path) -> None:
    """A neutralised cell reads back as the written value, stripped like any cell."""
    path = tmp_path / "back.csv"
    path.write_bytes(
        csv_bytes(["id", "name"], [["-P1", "=HYPERLINK(1)"], ["P2", "  @x"], ["P3", "'plain"]])
    )
    table = read_csv(path, [Column("id", required=True), Column("name", required=True)])
    assert table.problems == []
    assert [(r.get("id"), r.get("name")) for r in table.rows] == [
        ("-P1", "=HYPERLINK(1)"),
        ("P2", "@x"),
        ("P3", "'plain"),
    ]


def test_a_bare_carriage_return_inside_a_cell_is_quoted() -> None:
    """Regression: csv.writer with "\\n" line ends left "a\\rb" unquoted, splitting the row."""
    data = csv_bytes(["id", "name"], [["P1", "Ann\rLee"], ["P2", "\r"]])
    assert data == b'id,name\nP1,"Ann\rLee"\nP2,"\'\r"\n'
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows == [["id", "name"], ["P1", "Ann\rLee"], ["P2", "'\r"]]


@settings(max_examples=100)
@given(
    st.lists(
        st.lists(st.text(alphabet='ab ,"\nZ;', max_size=5), min_size=1, max_size=4), min_size=1
    )
)
def test_same_bytes_as_the_csv_module_for_cells_it_handles(rows: list[list[str]]) -> None:
    """Without triggers or a bare CR, the output is exactly csv.writer's (QUOTE_MINIMAL, "\\n")."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    assert csv_bytes(rows[0], rows[1:]).decode("utf-8") == buffer.getvalue()
