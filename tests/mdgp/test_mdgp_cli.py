"""Tests of the ``peermatch mdgp`` command (invoked directly, not via the main group)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from peermatch.cli.mdgp import mdgp
from peermatch.mdgp import default_mdgp_dir, load_bks, mdgp_objective, read_mdgp

INSTANCES = default_mdgp_dir() / "instances"
needs_data = pytest.mark.skipif(
    not INSTANCES.is_dir(), reason=f"shared MDGP data not found at {INSTANCES}"
)


@needs_data
def test_text_output_with_gap() -> None:
    path = INSTANCES / "RanInt_n010_ss_01.txt"
    result = CliRunner().invoke(mdgp, [str(path), "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "RanInt_n010_ss_01" in out
    assert "objective:  1292.000000 (optimal)" in out
    assert "best known: 1292.000000 (gap 0.000%)" in out
    assert "runtime:" in out


@needs_data
def test_json_output() -> None:
    path = INSTANCES / "Geo_n012_ss_01.txt"
    result = CliRunner().invoke(mdgp, [str(path), "--json", "--seed", "2", "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["instance"] == "Geo_n012_ss_01"
    assert data["best_known"] == pytest.approx(load_bks()["Geo_n012_ss_01"].bks)
    assert data["gap_percent"] == pytest.approx(0.0, abs=1e-6)
    assert data["time_limit_s"] == 5
    inst = read_mdgp(path)
    assert mdgp_objective(inst, data["groups"]) == pytest.approx(data["objective"])
    assert {"runtime_s", "objective", "status", "best_bound"} <= set(data)


@needs_data
def test_default_time_limit_from_bks() -> None:
    # Tiny instances have no reference time: the 10 s default applies, but
    # CP-SAT proves optimality long before it.
    path = INSTANCES / "RanReal_n010_ds_01.txt"
    result = CliRunner().invoke(mdgp, [str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["time_limit_s"] == 10


def test_unknown_instance_has_no_gap(tmp_path: Path) -> None:
    path = tmp_path / "mine.txt"
    lines = ["4 2 ss 2 2 2 2"] + [f"{i} {j} {i + j}" for i in range(4) for j in range(i + 1, 4)]
    path.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(mdgp, [str(path), "--time-limit", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["best_known"] is None and data["gap_percent"] is None
    # d_ij = i + j: every split into two pairs scores 6.
    assert data["objective"] == pytest.approx(6)
    assert sorted(e for g in data["groups"] for e in g) == [0, 1, 2, 3]


def test_bad_file_reports_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.txt"
    path.write_text("4 2 ss 2 2 2 2\n0 1 1.0\n0 9 2.0\n")
    result = CliRunner().invoke(mdgp, [str(path)])
    assert result.exit_code == 1
    assert f"{path}:3:" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert result.stdout == ""


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"
    result = CliRunner().invoke(mdgp, [str(path)])
    assert result.exit_code == 1
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_search_option_chooses_the_primal_search(tmp_path: Path) -> None:
    # n = 40 > CPSAT_MAX_N, so the chosen search alone gives the groups.
    rng = np.random.default_rng(0)
    n = 40
    lines = [f"{n} 4 ds 8 12 8 12 8 12 8 12"]
    lines += [f"{i} {j} {rng.integers(0, 50)}" for i in range(n) for j in range(i + 1, n)]
    path = tmp_path / "Made_up_n040.txt"
    path.write_text("\n".join(lines) + "\n")
    inst = read_mdgp(path)
    for search in ("memetic", "tabu"):
        args = [str(path), "--time-limit", "0.5", "--search", search, "--json"]
        result = CliRunner().invoke(mdgp, args)
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert mdgp_objective(inst, data["groups"]) == pytest.approx(data["objective"])
    bad = CliRunner().invoke(mdgp, [str(path), "--search", "annealing"])
    assert bad.exit_code == 2 and "annealing" in bad.output


@needs_data
@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 2), (20, 8)])
def test_default_workers_are_the_cores_up_to_eight(
    monkeypatch: pytest.MonkeyPatch, cores: int, expected: int
) -> None:
    # As `peermatch run`: without --workers, one search per core (capped).
    import peermatch.cli.mdgp as cli

    seen: list[int] = []
    real = cli.solve_mdgp

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(int(kwargs["workers"]))  # type: ignore[call-overload]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "default_workers", lambda: cores)
    monkeypatch.setattr(cli, "solve_mdgp", spy)
    path = INSTANCES / "RanInt_n010_ss_01.txt"
    result = CliRunner().invoke(mdgp, [str(path), "--json", "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    assert seen == [expected]
    assert json.loads(result.output)["workers"] == expected
    explicit = CliRunner().invoke(mdgp, [str(path), "--json", "--workers", "1"])
    assert explicit.exit_code == 0, explicit.output
    assert seen[-1] == 1 and json.loads(explicit.output)["workers"] == 1
