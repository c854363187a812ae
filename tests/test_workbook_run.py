"""`peermatch run` from one workbook holding every table: the same outputs as from the CSV files."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from peermatch.cli import main
from workbooks import book_from_csvs

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"
# Timings differ between runs (summary.json's times and the report's "Solving time" row);
# every other byte must not.
_TIMING = re.compile(rb'^.*("runtime"|_time"|Solving time).*$', re.M)


def _folder(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): _TIMING.sub(b"", p.read_bytes())
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def _run(participants: str, history: str, facilitators: str, out: Path) -> None:
    args = [
        "run", participants,
        "--history", history,
        "--facilitators", facilitators,
        "--config", str(EXAMPLES / "program.toml"),
        "--out", str(out),
        "--time-limit", "1",
        "--deterministic",
        "--quiet",
    ]  # fmt: skip
    result = CliRunner().invoke(main, args, env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert result.exit_code == 0, (result.output, result.exception)


def test_one_workbook_gives_byte_identical_outputs(tmp_path: Path) -> None:
    book = book_from_csvs(
        tmp_path / "program.xlsx",
        {
            "Participants": EXAMPLES / "participants.csv",
            "History": EXAMPLES / "history.csv",
            "Facilitators": EXAMPLES / "facilitators.csv",
        },
    )
    _run(
        str(EXAMPLES / "participants.csv"),
        str(EXAMPLES / "history.csv"),
        str(EXAMPLES / "facilitators.csv"),
        tmp_path / "from_csv",
    )
    _run(str(book), f"{book}#History", f"{book}#Facilitators", tmp_path / "from_book")
    from_csv, from_book = _folder(tmp_path / "from_csv"), _folder(tmp_path / "from_book")
    assert "cohorts.xlsx" in from_csv and len(from_csv) > 8
    assert from_book == from_csv


def test_identical_runs_give_identical_workbooks(tmp_path: Path) -> None:
    # Without SOURCE_DATE_EPOCH: the workbook's own times are fixed, not "now".
    outs = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        args = [
            "run", str(EXAMPLES / "participants.csv"),
            "--config", str(EXAMPLES / "program.toml"),
            "--out", str(out), "--time-limit", "1", "--deterministic", "--quiet",
        ]  # fmt: skip
        result = CliRunner().invoke(main, args, env={"SOURCE_DATE_EPOCH": None})
        assert result.exit_code == 0, (result.output, result.exception)
        outs.append((out / "cohorts.xlsx").read_bytes())
    assert outs[0] == outs[1]
