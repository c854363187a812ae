"""Hard shapes (issue 25): planted, so a solution exists, and never an exit 3 or 4."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from click.testing import Result as CliResult
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from peermatch.cli import main
from peermatch.generate.shapes import SHAPES, shaped_population
from peermatch.generate.writing import request_options
from peermatch.solvers.greedy import greedy_cohorts
from peermatch.solvers.grouping import respect_groups
from peermatch.solvers.instance import build_instance
from peermatch.solvers.neighbourhoods import around_room, mean_level
from peermatch.violations import violations
from peermatch.waves import earlier_cohorts


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


def test_locks_and_together_pairs_sit_inside_planted_cohorts() -> None:
    population = shaped_population("locks-together", 150, 2)
    assert population.planted is not None
    where = {m: c.id for c in population.planted.cohorts for m in c.members}
    problem = population.problem
    assert len(problem.locks) >= 5 and len(problem.pairs) >= 5
    assert all(where[lock.participant_id] == lock.cohort_id for lock in problem.locks)
    assert all(pair.rule == "together" and where[pair.a] == where[pair.b] for pair in problem.pairs)


def test_an_alumni_wave_spreads_every_first_wave_cohort() -> None:
    population = shaped_population("alumni-wave", 150, 2)
    assert population.planted is not None
    where = {m: c.id for c in population.planted.cohorts for m in c.members}
    earlier = earlier_cohorts(population.problem)
    alumni = set().union(*earlier.values())
    assert len(alumni) >= 0.5 * 150
    assert max(len(m) for m in earlier.values()) == 8
    for members in earlier.values():
        # Earlier cohort-mates meet nobody twice: each sits in another planted cohort.
        assert len({where[m] for m in members}) == len(members)


def test_the_new_shapes_write_their_request_and_previous_files(tmp_path: Path) -> None:
    for shape, files in (
        ("locks-together", ("locks.csv", "pairs.csv")),
        ("alumni-wave", ("previous_cohorts.csv",)),
    ):
        out = tmp_path / shape
        done = CliRunner().invoke(
            main, ["generate", "--size", "100", "--seed", "1", "--shape", shape, "--out", str(out)]
        )
        assert done.exit_code == 0, done.output
        for name in files:
            assert len((out / name).read_text().splitlines()) > 5
    # The first wave is read with --previous, not written twice into history.csv.
    assert "earlier cohort" not in (tmp_path / "alumni-wave" / "history.csv").read_text()


def test_the_command_line_offers_every_shape() -> None:
    from peermatch.cli.generate import _SHAPES

    assert sorted(_SHAPES) == sorted(SHAPES)


def test_an_unknown_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="shape must be one of"):
        shaped_population("round", 100, 1)


def _solve_at_the_command_line(folder: Path, shape: str, seed: int, size: int = 110) -> CliResult:
    runner = CliRunner()
    made = runner.invoke(main, ["generate", "--size", str(size), "--seed", str(seed), "--shape",
                                shape, "--out", str(folder / "in")])  # fmt: skip
    assert made.exit_code == 0, made.output
    data = folder / "in"
    # Locks, pairs and a first wave, when the shape wrote them.
    requests = request_options(data)
    return runner.invoke(
        main,
        [
            "run", str(data / "participants.csv"), "--history", str(data / "history.csv"),
            "--facilitators", str(data / "facilitators.csv"), "--config", str(data / "program.toml"),
            *requests, "--out", str(folder / "out"), "--deterministic", "--time-limit", "10", "--quiet",
        ],
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(SHAPES))
@given(seed=st.integers(0, 20))
@settings(
    # One seed per shape per run keeps this under two minutes of the suite; the seed
    # differs between runs unless hypothesis is derandomised.
    max_examples=1,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    # A failing run takes minutes; shrinking it took 20 (issue 25's first run of this test).
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
def test_the_command_line_solves_every_small_shape(
    tmp_path_factory: pytest.TempPathFactory, shape: str, seed: int
) -> None:
    # Never exit 3 (infeasible) or 4 (no solution) on a planted population, within a
    # generous deterministic limit; 110 people go through the neighbourhood search.
    # Every shape (it was two (shape, seed) draws over all shapes).
    folder = tmp_path_factory.mktemp("shape")
    done = _solve_at_the_command_line(folder, shape, seed)
    assert done.exit_code == 0, done.output
    summary = json.loads((folder / "out" / "summary.json").read_text())
    assert summary["violations"] == 0 and summary["unassigned"] == 0


def test_facilitators_at_capacity_are_solved(tmp_path: Path) -> None:
    # Regression (issue 25): every facilitator seat needed (n = 110, seed 0) left one
    # person out even at 30 deterministic seconds; placement steps now stop at their
    # first grouping that places one more person (Step.place_more).
    done = _solve_at_the_command_line(tmp_path, "facilitators-at-capacity", 0)
    assert done.exit_code == 0, done.output


def test_scarce_slots_are_solved(tmp_path: Path) -> None:
    # Regression (issue 25): scarce slots at n = 120, seed 1 ended with exit 4 at 30 s.
    done = _solve_at_the_command_line(tmp_path, "scarce-slots", 1, size=120)
    assert done.exit_code == 0, done.output


def test_locks_and_together_pairs_are_solved(tmp_path: Path) -> None:
    # Regression (issue 25): 71 of 120 people left out of the start, not placed in time.
    done = _solve_at_the_command_line(tmp_path, "locks-together", 1, size=120)
    assert done.exit_code == 0, done.output


def test_gathering_groups_refills_the_cohorts_it_empties() -> None:
    population = shaped_population("locks-together", 120, 1)
    inst = build_instance(population.problem)
    start = greedy_cohorts(inst, 0, params=population.problem.config.solver.params().greedy)
    kept, left = respect_groups(inst, start.cohorts, start.unplaced)
    assert all(len(c) >= inst.min_size for c in kept)
    assert len(left) <= 35  # 71 before the cohorts it emptied were refilled (31 now)
    for members in kept:
        groups = {inst.group_of[i] for i in members if i in inst.group_of}
        assert all(set(inst.groups[g]) <= set(members) for g in groups)
        assert len({inst.group_locks[g] for g in groups} - {None}) <= 1


def test_a_left_out_person_held_by_their_organisation_gets_a_path_to_room() -> None:
    # facilitators-at-capacity, n = 110, seed 0: the greedy start leaves a level-4 person
    # out; every cohort in reach holds a colleague, the one without is of levels 1-2.
    population = shaped_population("facilitators-at-capacity", 110, 0)
    inst = build_instance(population.problem)
    start = greedy_cohorts(inst, 0, params=population.problem.config.solver.params().greedy)
    current, left = [list(c) for c in start.cohorts], list(start.unplaced)
    assert len(left) == 1
    org = inst.org_of[left[0]]
    room = [k for k, c in enumerate(current) if all(inst.org_of[i] != org for i in c)]
    chosen, extra = around_room(inst, current, left, random.Random(0), 6, 8)
    assert extra == left and len(chosen) == 6
    assert set(room) & set(chosen)
    assert any(abs(mean_level(inst, current[k]) - inst.levels[left[0]]) <= 1 for k in chosen)


def test_the_greedy_start_seats_locks_and_together_groups_whole() -> None:
    # Regression (issue 25): locks-together at n = 300, seed 1 ended with exit 4 at
    # --time-limit 30: the greedy start scattered the 41 groups, gathering them left 115
    # of 300 people out, and the search placed a few per step. Groups are seated first now.
    population = shaped_population("locks-together", 300, 1)
    inst = build_instance(population.problem)
    start = greedy_cohorts(inst, 0, params=population.problem.config.solver.params().greedy)
    where = {i: k for k, c in enumerate(start.cohorts) for i in c}
    for group in inst.groups:
        assert len({where.get(i) for i in group}) == 1, group
    kept, left = respect_groups(inst, start.cohorts, start.unplaced)
    assert len(left) <= 3
    assert len(kept) == len(start.cohorts)


def test_parts_of_a_large_start_keep_each_group_whole() -> None:
    # Regression (issue 25): locks-together at n = 3,000 is built in parts of 1,200; the
    # parts cut groups, gathering them left 485 people out and the run ended with exit 4.
    from peermatch.solvers.group_seating import deal_parts

    inst = build_instance(shaped_population("locks-together", 150, 2).problem)
    order = list(range(inst.n))
    dealt = deal_parts(inst, order, 3)
    assert sorted(i for part in dealt for i in part) == order
    part_of = {i: p for p, part in enumerate(dealt) for i in part}
    assert inst.groups and all(len({part_of[i] for i in g}) == 1 for g in inst.groups)
    # Without groups the deal is the plain round-robin.
    plain = build_instance(shaped_population("sponsor", 150, 2).problem)
    assert deal_parts(plain, order, 3) == [order[p::3] for p in range(3)]
