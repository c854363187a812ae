"""Nothing lost, on every path: each participant is in cohorts.csv or in unassigned.csv with a reason.

One test per way a run ends with an output: solved, infeasible with
``--allow-unassigned``, stopped by the time limit (with and without
``--allow-unassigned``). Interrupted runs are checked the same way in
test_signals.py. The check itself (tests/checks.py) reads the files with the
csv module alone.

``peermatch repair``: an output repaired after people left and joined.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from click.testing import Result as CliResult

from checks import assert_nothing_lost
from helpers import PARTICIPANT_HEADER, participant_lines
from peermatch.cli import main
from peermatch.generate import generate_population, write_population


def _run(*args: str | Path) -> CliResult:
    result = CliRunner().invoke(main, ["run", *map(str, args), "--quiet"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _people(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "participants.csv"
    path.write_text("\n".join([PARTICIPANT_HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def _summary(out: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return data


def test_repaired(tmp_path: Path) -> None:
    first = _people(tmp_path, participant_lines(24))
    out = tmp_path / "first"
    assert _run(first, "--out", out, "--time-limit", "2").exit_code == 0
    # p0 and p1 leave, p24..p26 join.
    later = tmp_path / "later"
    later.mkdir()
    people = _people(later, participant_lines(27)[2:])
    repaired = tmp_path / "repaired"
    result = CliRunner().invoke(
        main,
        ["repair", "--previous-run", str(out), str(people), "--out", str(repaired),
         "--time-limit", "2", "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    assert assert_nothing_lost(people, repaired) == (25, 0)


def test_solved(tmp_path: Path) -> None:
    people = _people(tmp_path, participant_lines(16))
    result = _run(people, "--out", tmp_path / "out", "--time-limit", "2")
    assert result.exit_code == 0, result.stderr
    assert assert_nothing_lost(people, tmp_path / "out") == (16, 0)


def test_infeasible_with_allow_unassigned(tmp_path: Path) -> None:
    # Two people free one hour on Sundays: no three-hour session fits, so no cohort takes them.
    stuck = [
        f"s{i},Stuck {i},s{i}@example.org,Stuck Org {i},2,Retail,HR,,Europe/London,Sun 03:00-04:00"
        for i in range(2)
    ]
    people = _people(tmp_path, [*participant_lines(16), *stuck])
    refused = _run(people, "--out", tmp_path / "strict", "--time-limit", "2")
    assert refused.exit_code == 3, refused.stderr
    assert not (tmp_path / "strict").exists()
    out = tmp_path / "out"
    result = _run(people, "--out", out, "--time-limit", "2", "--allow-unassigned")
    assert result.exit_code == 0, result.stderr
    assert assert_nothing_lost(people, out) == (16, 2)
    assert _summary(out)["unassigned"] == 2


def _generated(tmp_path: Path, size: int, seed: int, difficulty: str) -> dict[str, Path]:
    population = generate_population(size, seed, planted=True, difficulty=difficulty)
    return {p.name: p for p in write_population(population, tmp_path / "in")}


def _inputs(files: dict[str, Path]) -> list[str | Path]:
    return [files["participants.csv"], "--history", files["history.csv"],
            "--facilitators", files["facilitators.csv"], "--config", files["program.toml"]]  # fmt: skip


def test_time_limited(tmp_path: Path) -> None:
    """Stopped by the limit (neighbourhood search, not proven optimal): still everyone."""
    files = _generated(tmp_path, 150, 1, "easy")
    out = tmp_path / "out"
    result = _run(*_inputs(files), "--out", out, "--time-limit", "1")
    assert result.exit_code == 0, result.stderr
    summary = _summary(out)
    assert summary["status"] == "feasible" and summary["interrupted"] is False
    assert assert_nothing_lost(files["participants.csv"], out) == (150, 0)


def test_time_limited_with_allow_unassigned(tmp_path: Path) -> None:
    """A hard program cut short: whoever the search did not place is listed, with a reason."""
    files = _generated(tmp_path, 60, 3, "hard")  # its greedy start leaves 6 people out
    out = tmp_path / "out"
    result = _run(*_inputs(files), "--out", out, "--time-limit", "0.01", "--allow-unassigned")
    assert result.exit_code == 0, result.stderr
    assert _summary(out)["status"] == "feasible"
    placed, left = assert_nothing_lost(files["participants.csv"], out)
    assert placed + left == 60


def test_a_model_that_finds_nothing_still_returns_the_start_when_people_may_stay_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: under load the whole model found nothing in a 0.01 s run and the run said
    "no solution" (exit 4), although people may stay out and the greedy start placed most."""
    from peermatch.solvers.cpsat import solving

    real = solving.cp_solver

    def starved(*args: Any, **kwargs: Any) -> Any:
        solver = real(*args, **kwargs)
        solver.parameters.max_time_in_seconds = 0.0  # finds nothing, like a starved machine
        solver.parameters.max_deterministic_time = 0.0
        return solver

    monkeypatch.setattr(solving, "cp_solver", starved)
    files = _generated(tmp_path, 60, 3, "hard")  # its greedy start leaves 6 people out
    out = tmp_path / "out"
    result = _run(*_inputs(files), "--out", out, "--time-limit", "5", "--allow-unassigned")
    assert result.exit_code == 0, result.stderr
    placed, left = assert_nothing_lost(files["participants.csv"], out)
    assert placed + left == 60 and placed > 0
