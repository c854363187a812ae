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


def test_placement_rules_from_generate_through_validate_and_run(tmp_path: Path) -> None:
    import csv

    from peermatch.io import read_problem
    from peermatch.solution import Cohort, Solution
    from peermatch.violations import violations

    code, output = _run(
        "--size", "40", "--seed", "2", "--out", str(tmp_path), "--planted", "--placement-rules",
        "--no-facilitators",
    )  # fmt: skip
    assert code == 0, output
    files = [
        str(tmp_path / "participants.csv"), "--history", str(tmp_path / "history.csv"),
        "--config", str(tmp_path / "program.toml"),
    ]  # fmt: skip
    checked = CliRunner().invoke(main, ["validate", *files])
    assert checked.exit_code == 0, checked.output
    assert "[presence] gender = 2" in checked.output and "[limits] market = 1" in checked.output
    out = tmp_path / "out"
    ran = CliRunner().invoke(
        main, ["run", *files, "--out", str(out), "--time-limit", "20", "--deterministic", "-q"]
    )
    assert ran.exit_code == 0, ran.output  # 5 would mean the checker rejected the cohorts
    problem = read_problem(
        tmp_path / "participants.csv",
        history=tmp_path / "history.csv",
        config=tmp_path / "program.toml",
    )
    with (out / "cohorts.csv").open(encoding="utf-8") as f:
        members: dict[str, list[str]] = {}
        for row in csv.DictReader(f):
            members.setdefault(row["cohort_id"], []).append(row["participant_id"])
    found = Solution(
        cohorts=tuple(Cohort(id=c, members=tuple(m)) for c, m in sorted(members.items()))
    )
    placement = {"limits", "presence", "required", "closeness"}
    assert [str(v) for v in violations(problem, found) if v.rule in placement] == []
