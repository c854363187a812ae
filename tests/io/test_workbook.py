"""Excel workbooks as input tables: the same problem, messages and validation as CSV files."""

from __future__ import annotations

import tempfile
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import PARTICIPANT_HEADER, participant_lines
from peermatch.cli import main
from peermatch.errors import InputError
from peermatch.io import read_problem
from peermatch.io.tables import PARTICIPANTS, PREVIOUS, load_table
from peermatch.io.workbook_out import workbook_bytes
from workbooks import book_from_csvs


def _problems(call: object) -> list[str]:
    with pytest.raises(InputError) as info:
        call()  # type: ignore[operator]
    return [str(p) for p in info.value.problems]


@pytest.fixture
def example_book(examples_dir: Path, tmp_path: Path) -> Path:
    """The example program as one workbook; History hidden (read by name only)."""
    return book_from_csvs(
        tmp_path / "program.xlsx",
        {
            "Participants": examples_dir / "participants.csv",
            "History": examples_dir / "history.csv",
            "Facilitators": examples_dir / "facilitators.csv",
        },
        hidden=["History"],
    )


def test_the_examples_from_one_workbook_give_the_same_problem(
    examples_dir: Path, example_book: Path
) -> None:
    from_csv = read_problem(
        examples_dir / "participants.csv",
        history=examples_dir / "history.csv",
        facilitators=examples_dir / "facilitators.csv",
        config=examples_dir / "program.toml",
    )
    from_book = read_problem(
        example_book,  # the first sheet
        history=f"{example_book}#History",
        facilitators=f"{example_book}#Facilitators",
        config=examples_dir / "program.toml",
    )
    assert from_book == from_csv
    # The levels were number cells: read as integers, not "2.0".
    assert {p.level for p in from_book.participants} <= set(range(1, 9))


def _book(path: Path, rows: list[list[object]], title: str = "People") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _people_rows(n: int) -> list[list[object]]:
    return [PARTICIPANT_HEADER.split(","), *(line.split(",") for line in participant_lines(n))]


def test_a_bad_cell_is_reported_with_the_sheet_row_and_column(tmp_path: Path) -> None:
    rows = _people_rows(8)
    rows[4][4] = "Archduke"  # Excel row 5, column level
    book = _book(tmp_path / "book.xlsx", rows, "Participants")
    result = CliRunner().invoke(main, ["validate", f"{book}#Participants"])
    assert result.exit_code == 1, result.output
    assert f"{book}#Participants:5:level: unknown level title 'Archduke'" in result.stderr
    assert "Traceback" not in result.output
    # Without a sheet name the first sheet is read, and named in the message.
    assert any(
        p.startswith(f"{book}#Participants:5:level:") for p in _problems(lambda: read_problem(book))
    )


def test_a_formula_without_a_saved_value_is_refused_naming_the_cell(tmp_path: Path) -> None:
    rows = _people_rows(14)
    rows[13][2] = '=LOWER(B14)&"@example.org"'  # C14: openpyxl saves no value for it
    book = _book(tmp_path / "book.xlsx", rows, "Participants")
    found = _problems(lambda: read_problem(f"{book}#Participants"))
    assert found == [
        f"{book}#Participants:14:email: cell C14 holds a formula without a saved value; "
        "open and save the file in Excel"
    ]


def _with_saved_value(book: Path, cell: str, value: str) -> None:
    """Give a formula cell the value Excel would have saved (openpyxl cannot calculate)."""
    with zipfile.ZipFile(book) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    start = sheet.index(f'<c r="{cell}"')
    end = sheet.index("</c>", start)
    parts["xl/worksheets/sheet1.xml"] = (
        sheet[:start] + sheet[start:end].replace("<v />", f"<v>{value}</v>") + sheet[end:]
    ).encode()
    with zipfile.ZipFile(book, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)


def test_a_formula_cell_is_its_saved_value(tmp_path: Path) -> None:
    rows = _people_rows(8)
    rows[3][4] = "=1+2"  # E4, level
    book = _book(tmp_path / "book.xlsx", rows)
    _with_saved_value(book, "E4", "3")
    people = {p.id: p for p in read_problem(book).participants}
    assert people["p2"].level == 3


def test_cells_are_read_as_an_excel_user_typed_them(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "People"
    sheet.append([])  # the header need not be on row 1: rows keep Excel's numbers
    sheet.append(["id", "Full Name", "E-mail", "Company", "Grade", "joined", "starts", None, None])
    sheet.append(["a1", "Ann", "ann@x.org", "Acme", 2.0, datetime(2026, 3, 2), time(9, 30)])
    sheet.append(["a2", "Bob", "bob@x.org", None, 3, date(2026, 3, 9), time(10, 0)])
    sheet.append(["a3", "Cy", "cy@x.org", None, 4.0])
    sheet.merge_cells("D4:D5")  # Acme for Bob and Cy too
    sheet["D4"] = "Beta"
    for _ in range(5):  # formatted but empty rows and columns, as Excel leaves them
        sheet.append([None] * 12)
    sheet["L20"].number_format = "0.00"
    path = tmp_path / "people.xlsx"
    book.save(path)
    table = load_table(path, PARTICIPANTS)
    assert table.problems == []
    assert table.file == f"{path}#People" and table.header_row == 2
    got = [(r.number, dict(r.cells), dict(r.extra)) for r in table.rows]
    assert got[0] == (
        3,
        {"id": "a1", "name": "Ann", "email": "ann@x.org", "organisation": "Acme", "level": "2"},
        {"joined": "2026-03-02", "starts": "09:30"},
    )
    assert [r[1]["organisation"] for r in got] == ["Acme", "Beta", "Beta"]
    assert [r[1]["level"] for r in got] == ["2", "3", "4"]


def test_sheets_first_visible_hidden_by_name_unknown_listed(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    secret = book.active
    secret.title = "Secret"
    secret.sheet_state = "hidden"
    for row in _people_rows(3):
        secret.append(row)
    shown = book.create_sheet("Shown")
    for row in _people_rows(2):
        shown.append(row)
    path = tmp_path / "b.xlsx"
    book.save(path)
    assert len(read_problem(path).participants) == 2  # the first visible sheet
    assert len(read_problem(f"{path}#Secret").participants) == 3  # hidden, by name
    assert _problems(lambda: read_problem(f"{path}#Staff")) == [
        f"{path}#Staff::: the workbook has no sheet 'Staff' (its sheets: 'Secret', 'Shown')"
    ]
    result = CliRunner().invoke(main, ["validate", f"{tmp_path}/missing.xlsx#Secret"])
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_a_workbook_named_csv_and_a_csv_named_xlsx_are_refused(
    tmp_path: Path, example_book: Path
) -> None:
    disguised = tmp_path / "people.csv"
    disguised.write_bytes(example_book.read_bytes())
    assert _problems(lambda: read_problem(disguised)) == [
        f"{disguised}::: is an Excel workbook (a zip archive), not a CSV file: name it .xlsx "
        "(book.xlsx#Sheet reads one sheet) or save it as 'CSV UTF-8 (Comma delimited)'"
    ]
    text = tmp_path / "people.xlsx"
    text.write_text(PARTICIPANT_HEADER + "\n" + "\n".join(participant_lines(3)) + "\n")
    [problem] = _problems(lambda: read_problem(text))
    assert problem.startswith(f"{text}::: is not an Excel workbook")


def test_a_damaged_workbook_is_a_problem_not_a_crash(tmp_path: Path, example_book: Path) -> None:
    data = example_book.read_bytes()
    for cut in (200, len(data) // 2, len(data) - 30):
        damaged = tmp_path / f"cut{cut}.xlsx"
        damaged.write_bytes(data[:cut])
        [problem] = _problems(lambda path=damaged: read_problem(path))  # type: ignore[misc]
        assert problem.startswith(f"{damaged}") and "cannot be read as an Excel workbook" in problem


def test_every_table_option_accepts_a_sheet(example_book: Path, examples_dir: Path) -> None:
    args = [
        "validate",
        f"{example_book}#Participants",
        "--history", f"{example_book}#History",
        "--facilitators", f"{example_book}#Facilitators",
        "--config", str(examples_dir / "program.toml"),
    ]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


# Text as peermatch writes it into a workbook: no surrounding spaces (cells are stripped when
# read), no control characters (a workbook cannot hold them), "\n" as the line break.
_CELL_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029")
    | st.just("\n"),
    max_size=20,
).map(str.strip)


@given(st.lists(st.tuples(_CELL_TEXT, _CELL_TEXT.filter(bool)), min_size=1, max_size=8))
@settings(max_examples=40, deadline=None)
def test_a_written_workbook_reads_back_exactly(rows: list[tuple[str, str]]) -> None:
    # cohorts.xlsx given back as a table (check --cohorts, --previous) names the very same values:
    # "=x" stays text, "007" stays "007", "12" is a number cell read back as "12".
    data = workbook_bytes({"Cohorts": (["cohort_id", "participant_id"], rows)})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohorts.xlsx"
        path.write_bytes(data)
        table = load_table(path, PREVIOUS)
    assert table.problems == []
    assert [(r.get("cohort_id"), r.get("participant_id")) for r in table.rows] == rows
