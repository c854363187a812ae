"""``peermatch generate``: files written, refusal to overwrite, usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from peermatch.cli import main
from peermatch.generate import generate_population
from peermatch.io import read_problem

FILES = ["facilitators.csv", "history.csv", "participants.csv", "program.toml"]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["generate", *args])
    return result.exit_code, result.output


def test_generate_writes_the_four_files(tmp_path: Path) -> None:
    out = tmp_path / "pop"
    code, output = _run("--size", "90", "--seed", "3", "--out", str(out))
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == FILES
    for name in FILES:
        assert str(out / name) in output
    assert "90 participants" in output
    assert "participants.csv (90 rows)" in output


def test_planted_also_writes_the_reference(tmp_path: Path) -> None:
    code, output = _run(
        "--size", "100", "--seed", "1", "--out", str(tmp_path), "--planted", "--difficulty", "hard"
    )
    assert code == 0, output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*FILES, "planted_cohorts.csv"])
    assert "planted reference: 12 cohorts" in output
    assert not list(tmp_path.glob(".generate-*"))  # the staging folder is gone


def test_refuses_a_non_empty_folder_without_force(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    code, output = _run("--size", "20", "--seed", "0", "--out", str(tmp_path))
    assert code == 2
    assert "not empty" in output and "--force" in output
    assert not (tmp_path / "participants.csv").exists()
    code, output = _run("--size", "20", "--seed", "0", "--out", str(tmp_path), "--force")
    assert code == 0, output
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "participants.csv").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--seed", "0", "--out", "X"],  # no size
        ["--size", "0", "--seed", "0", "--out", "X"],
        ["--size", "10", "--seed", "-1", "--out", "X"],
        ["--size", "10", "--seed", "0", "--out", "X", "--difficulty", "extreme"],
        ["--size", "13", "--seed", "0", "--out", "X", "--planted"],  # no split into 7..12
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    args = [str(tmp_path / "o") if a == "X" else a for a in args]
    code, _ = _run(*args)
    assert code == 2
    assert not (tmp_path / "o" / "participants.csv").exists()


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert _run("--size", "70", "--seed", "9", "--out", str(tmp_path / name))[0] == 0
    for f in FILES:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def test_validate_accepts_the_files(tmp_path: Path) -> None:
    code, output = _run("--size", "150", "--seed", "4", "--out", str(tmp_path), "--planted")
    assert code == 0, output
    problem = read_problem(
        tmp_path / "participants.csv",
        history=tmp_path / "history.csv",
        facilitators=tmp_path / "facilitators.csv",
        config=tmp_path / "program.toml",
    )
    assert problem == generate_population(150, 4, planted=True).problem
    result = CliRunner().invoke(
        main,
        [
            "validate",
            str(tmp_path / "participants.csv"),
            "--history",
            str(tmp_path / "history.csv"),
            "--facilitators",
            str(tmp_path / "facilitators.csv"),
            "--config",
            str(tmp_path / "program.toml"),
        ],
    )
    assert result.exit_code == 0, result.output
