"""Hard shapes (issue 25): planted, so a solution exists, and never an exit 3 or 4."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from click.testing import Result as CliResult
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from peermatch.cli import main
from peermatch.generate.shapes import SHAPES, shaped_population
from peermatch.violations import violations


@given(shape=st.sampled_from(sorted(SHAPES)), size=st.integers(100, 160), seed=st.integers(0, 50))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_shape_keeps_its_planted_solution_within_the_rules(
    shape: str, size: int, seed: int
) -> None:
    population = shaped_population(shape, size, seed)
    assert population.planted is not None
    assert list(violations(population.problem, population.planted)) == []
    assert len(population.problem.participants) == size


def test_a_sponsor_has_one_person_in_every_planted_cohort() -> None:
    population = shaped_population("sponsor", 120, 3)
    assert population.planted is not None
    org = {p.id: p.organisation for p in population.problem.participants}
    sponsor, count = Counter(org.values()).most_common(1)[0]
    assert count == len(population.planted.cohorts)
    for cohort in population.planted.cohorts:
        assert sum(org[m] == sponsor for m in cohort.members) == 1


def test_facilitators_at_capacity_need_every_seat() -> None:
    population = shaped_population("facilitators-at-capacity", 150, 4)
    assert population.planted is not None
    seats = sum(f.max_cohorts for f in population.problem.facilitators)
    assert seats == len(population.planted.cohorts)


def test_narrow_levels_allow_no_gap() -> None:
    population = shaped_population("narrow-levels", 100, 1)
    assert population.problem.config.cohort.max_level_gap == 0


def test_an_unknown_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="shape must be one of"):
        shaped_population("round", 100, 1)


def _solve_at_the_command_line(folder: Path, shape: str, seed: int) -> CliResult:
    runner = CliRunner()
    made = runner.invoke(main, ["generate", "--size", "110", "--seed", str(seed), "--shape", shape,
                                "--out", str(folder / "in")])  # fmt: skip
    assert made.exit_code == 0, made.output
    data = folder / "in"
    return runner.invoke(
        main,
        [
            "run", str(data / "participants.csv"), "--history", str(data / "history.csv"),
            "--facilitators", str(data / "facilitators.csv"), "--config", str(data / "program.toml"),
            "--out", str(folder / "out"), "--deterministic", "--time-limit", "10", "--quiet",
        ],
    )  # fmt: skip


#: Shapes the search solves within the test's limit (facilitators-at-capacity: see below).
SOLVED = sorted(set(SHAPES) - {"facilitators-at-capacity"})


@given(shape=st.sampled_from(SOLVED), seed=st.integers(0, 20))
@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    # A failing run takes minutes; shrinking it took 20 (issue 25's first run of this test).
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
def test_the_command_line_solves_a_small_shape(
    tmp_path_factory: pytest.TempPathFactory, shape: str, seed: int
) -> None:
    # Never exit 3 (infeasible) or 4 (no solution) on a planted population, within a
    # generous deterministic limit; 110 people go through the neighbourhood search.
    done = _solve_at_the_command_line(tmp_path_factory.mktemp("shape"), shape, seed)
    assert done.exit_code == 0, done.output


@pytest.mark.xfail(
    strict=True,
    reason="issue 25, open: with every facilitator seat needed (n = 110, seed 0) one person "
    "stays out even at 30 deterministic seconds (ejection chains and the whole-model attempt)",
)
def test_facilitators_at_capacity_are_solved(tmp_path: Path) -> None:
    done = _solve_at_the_command_line(tmp_path, "facilitators-at-capacity", 0)
    assert done.exit_code == 0, done.output
