"""CSV files as organisers export them: encodings, headers, ragged rows."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from peermatch.io.csvfile import MAX_CELL_CHARS, Column, InputWarning, read_csv

COLUMNS = (
    Column("id", True),
    Column("name", True, ("full name",)),
    Column("organisation", True, ("organization", "company")),
    Column("timezone", False, ("tz",)),
)
Writer = Callable[..., Path]


def messages(table: object) -> list[str]:
    return [str(p) for p in table.problems]  # type: ignore[attr-defined]


def test_utf8_with_and_without_bom_read_the_same(write_file: Writer) -> None:
    text = "id,name,organisation\n1,Zoë Müller,Société Lumière\n"
    plain = read_csv(write_file("a.csv", text.encode()), COLUMNS)
    bom = read_csv(write_file("b.csv", b"\xef\xbb\xbf" + text.encode()), COLUMNS)
    assert plain.problems == bom.problems == []
    assert (
        plain.rows[0].cells
        == bom.rows[0].cells
        == {
            "id": "1",
            "name": "Zoë Müller",
            "organisation": "Société Lumière",
        }
    )
    assert bom.headers["id"] == "id"  # the BOM is not part of the first header name


def test_cp1252_export_is_decoded_with_a_warning(write_file: Writer) -> None:
    path = write_file(
        "excel.csv", "id,name,organisation\n1,Zoë “Zo” Müller,Acme\n".encode("cp1252")
    )
    with pytest.warns(InputWarning, match="excel.csv.*Windows-1252"):
        table = read_csv(path, COLUMNS)
    assert table.problems == []
    assert table.rows[0].get("name") == "Zoë “Zo” Müller"


def test_utf8_file_gives_no_warning(write_file: Writer) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_csv(write_file("ok.csv", "id,name,organisation\n1,Zoë,Acme\n"), COLUMNS)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"id,name,organisation\n1,\x81\x8d\x8f,Acme\n", "neither UTF-8 nor Windows-1252"),
        ("id,name\n1,a\n".encode("utf-16"), "UTF-16"),
        (bytes(range(256)) * 4, "binary data"),
        (b"", "is empty"),
        (b"\n\n  \n", "is empty"),
        (b"id;name;organisation\n1;a;b\n", "separated by semicolons"),
    ],
)
def test_undecodable_or_empty_files_are_refused(
    write_file: Writer, content: bytes, needle: str
) -> None:
    table = read_csv(write_file("bad.csv", content), COLUMNS)
    assert table.rows == []
    assert len(table.problems) == 1
    assert needle in table.problems[0].message
    assert table.problems[0].file.endswith("bad.csv")


def test_header_only_is_reported(write_file: Writer) -> None:
    table = read_csv(write_file("p.csv", "id,name,organisation\n"), COLUMNS)
    assert [p.message for p in table.problems] == ["has a header but no data rows"]


def test_headers_match_case_spaces_hyphens_underscores_and_aliases(write_file: Writer) -> None:
    path = write_file(
        "p.csv", " ID ,FULL-NAME,Organization,T_Z,Spoken Language\n1,Ann,Acme,UTC,fr\n"
    )
    table = read_csv(path, COLUMNS, file="people.csv")
    assert table.problems == []
    assert table.headers == {
        "id": "ID",
        "name": "FULL-NAME",
        "organisation": "Organization",
        "timezone": "T_Z",
    }
    assert table.rows[0].cells["timezone"] == "UTC"
    assert table.rows[0].extra == {"Spoken Language": "fr"}
    assert table.file == "people.csv"


def test_missing_required_column_and_duplicate_header(write_file: Writer) -> None:
    path = write_file("p.csv", "id,Company,organisation,language,Language\n1,a,b,c,d\n")
    found = messages(read_csv(path, COLUMNS))
    assert f"{path}:1:name: missing required column 'name' (also accepted: full name)" in found
    assert any(
        ":1:organisation: column 'organisation' repeats column 'Company'" in m for m in found
    )
    assert any(":1:Language: column 'Language' repeats column 'language'" in m for m in found)


def test_commas_and_line_breaks_inside_quotes(write_file: Writer) -> None:
    path = write_file(
        "p.csv",
        'id,name,organisation\n1,"Smith, Jane",Acme\n2,"Two\nLines",Beta\n3,"Say ""hi""",Co\n',
    )
    table = read_csv(path, COLUMNS)
    assert table.problems == []
    assert [(r.number, r.get("name")) for r in table.rows] == [
        (2, "Smith, Jane"),
        (3, "Two\nLines"),
        (4, 'Say "hi"'),  # a multi-line cell is still one spreadsheet row
    ]


def test_blank_lines_count_as_rows_and_cells_are_stripped(write_file: Writer) -> None:
    path = write_file("p.csv", "id,name,organisation\n\n1 ,  Ann ,Acme\n,,\n2,Bo,Co\n")
    table = read_csv(path, COLUMNS)
    assert [(r.number, r.get("id"), r.get("name")) for r in table.rows] == [
        (3, "1", "Ann"),
        (5, "2", "Bo"),
    ]


def test_ragged_rows(write_file: Writer) -> None:
    path = write_file(
        "p.csv",
        "id,name,organisation\n1,Smith, Jane,Acme\n2,Bo\n3,Cy,Co,,\n4,Di,Co\n",
    )
    table = read_csv(path, COLUMNS)
    found = messages(table)
    assert (
        f"{path}:2:: has 4 cells but the header has 3 columns (is a comma inside a value not quoted?)"
        in found
    )
    assert f"{path}:3:: has 2 cells but the header has 3 columns (is a comma missing?)" in found
    assert (
        f"{path}:4:: has 5 cells but the header has 3 columns (is a comma inside a value not quoted?)"
        in found
    )
    assert [r.get("id") for r in table.rows] == ["4"]


def test_blank_header_cell_with_values_is_an_error(write_file: Writer) -> None:
    ok = read_csv(write_file("a.csv", "id,name,organisation,,\n1,a,b,,\n"), COLUMNS)
    assert ok.problems == []
    bad = read_csv(write_file("b.csv", "id,name,organisation,\n1,a,b,oops\n"), COLUMNS)
    assert [(p.row, p.column) for p in bad.problems] == [(1, "column 4")]


def test_huge_field_is_refused(write_file: Writer) -> None:
    path = write_file("p.csv", "id,name,organisation\n1," + "x" * (MAX_CELL_CHARS + 10) + ",Acme\n")
    table = read_csv(path, COLUMNS)
    assert [(p.row, p.message) for p in table.problems] == [
        (2, f"a cell is longer than {MAX_CELL_CHARS} characters")
    ]


def test_directory_and_missing_file(tmp_path: Path) -> None:
    assert "is a directory" in read_csv(tmp_path, COLUMNS).problems[0].message
    assert "not found" in read_csv(tmp_path / "nope.csv", COLUMNS).problems[0].message


def test_unclosed_quote_is_named(write_file: Writer) -> None:
    path = write_file("p.csv", 'id,name,organisation\n1,Ann,Acme\n2,"Bo,Co\n3,Cy,Co\n')
    table = read_csv(path, COLUMNS)
    assert [(p.row, p.message) for p in table.problems] == [
        (3, 'a quote (") opened in this row is never closed')
    ]


def test_old_mac_line_endings(write_file: Writer) -> None:
    table = read_csv(write_file("p.csv", b"id,name,organisation\r1,Ann,Acme\r2,Bo,Co\r"), COLUMNS)
    assert table.problems == [] and [r.number for r in table.rows] == [2, 3]
